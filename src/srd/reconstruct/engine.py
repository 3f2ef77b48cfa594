"""Algorithm 2, batched: basin hopping with Adam over positions, for many trials of many structures at once.

All replicas (structures x trials) live in one concatenated atom tensor, so one EAD evaluation with gradients
advances every trial of every structure by one Adam step. The lattice and species are fixed; only positions move:
Cartesian positions, or with `keep_symmetry` the Wyckoff generators of trials that started from a symmetric start
(srd.reconstruct.ties). Randomness is drawn per structure from its own seed, so a structure's result does not
depend on which other structures share its batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import torch

from srd.reconstruct.config import Settings
from srd.reconstruct.cpu import tune_cpu
from srd.reconstruct.skin import SkinNeighbors
from srd.reconstruct.moves import hop_moves
from srd.reconstruct.site_prior import NO_SITE_DATA, SitePrior
from srd.reconstruct.starts import snap_starts, spread_starts, uniform_starts
from srd.reconstruct.symmetric import WyckoffMap, lattice_setting, symmetric_starts
from srd.reconstruct.ties import Ties
from srd.representation.descriptor import CrystalBatch
from srd.representation.pooled import structure_descriptor
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler
from srd.structures import Crystal, lattice_matrix

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # Adam
SCREEN_BATCH = 256  # candidate starts per descriptor evaluation


@dataclass(frozen=True)
class Target:
    """What reconstruction is given: the raw (unscaled) R_str, one atomic number per atom, the six lattice numbers."""

    r_str: np.ndarray
    numbers: np.ndarray
    lattice: np.ndarray
    seed: int = 0

    @property
    def n_atoms(self) -> int:
        return int(len(self.numbers))


@dataclass(frozen=True)
class LossTerms:
    """The features of R_str a loss compares, held as what the step needs: their columns, and per structure their
    scaled targets and weights. An unknown target value (NaN d_min of a decoded sample) gets weight 0 and target 0,
    so it adds nothing and no gradient instead of making the loss NaN for every trial."""

    columns: torch.Tensor  # (M,) long, into R_str
    index: np.ndarray  # the same columns, for the scaler
    goal: torch.Tensor  # (S, M) scaled targets, 0 where unknown
    weight: torch.Tensor  # (S, M) 1 / M where known, else 0: the loss is a mean over the M columns

    @classmethod
    def build(cls, mask: torch.Tensor, goal: torch.Tensor) -> "LossTerms":
        columns = torch.nonzero(mask).squeeze(1)
        goal = goal.index_select(1, columns)
        known = torch.isfinite(goal)
        return cls(columns, columns.cpu().numpy(), torch.where(known, goal, 0.0), known.to(goal.dtype) / len(columns))


@dataclass
class Result:
    """Best positions found (fractional, wrapped to [0, 1)), their loss and how much search it took."""

    frac: np.ndarray
    loss: float = math.inf
    trials: int = 0
    hops: int = 0
    steps: int = 0  # Adam steps summed over trials
    history: list[float] = field(default_factory=list)  # best loss after each hop
    symmetric_starts: int = 0  # candidate starts drawn from space groups (0 where none can hold the composition)
    symmetric_trials: int = 0  # trials searched within their start's space group (keep_symmetry)
    symmetric_best: bool = False  # the best positions came from such a trial

    def merged(self, later: "Result") -> "Result":
        """This search and a later one of the same structure: the better positions, the effort of both."""
        best = later if later.loss < self.loss else self
        return Result(frac=best.frac, loss=best.loss, trials=self.trials + later.trials, hops=self.hops + later.hops,
                      steps=self.steps + later.steps, history=self.history + later.history,
                      symmetric_starts=self.symmetric_starts + later.symmetric_starts,
                      symmetric_trials=self.symmetric_trials + later.symmetric_trials,
                      symmetric_best=best.symmetric_best)

    def columns(self) -> dict:
        """The search's figures as table columns (the reconstruct stages add their own)."""
        return {"loss": self.loss, "trials": self.trials, "hops": self.hops, "steps": self.steps,
                "symmetric_starts": self.symmetric_starts, "symmetric_trials": self.symmetric_trials,
                "symmetric_best": self.symmetric_best, "loss_history": list(self.history)}


def reconstruct(targets: Sequence[Target], scaler: Scaler, grid: EADGrid, settings: Settings,
                sites: SitePrior = NO_SITE_DATA) -> list[Result]:
    """Reconstruct every target, `settings.batch_structures` structures (x trials) per batch, symmetric starts
    drawing their Wyckoff sites with the weights of `sites` (fitted on the training split). A structure not
    reproduced (best loss >= tol) is searched again from fresh starts, up to `settings.rounds` searches in all: the
    extra budget goes only where the first search failed, and the misses of one call share their batches. With
    `free_rounds` the later searches release symmetric starts (keep_symmetry off): a crystal of a group or Wyckoff
    sites the first search never drew is then searched with every atom free."""
    results = _search(targets, scaler, grid, settings, sites)
    later = replace(settings, keep_symmetry=False, free_rounds=False) if settings.free_rounds else settings
    for round_ in range(1, settings.rounds):
        again = [k for k, r in enumerate(results) if not r.loss < settings.tol]
        if not again:
            break
        fresh = _search([replace(targets[k], seed=round_seed(targets[k].seed, round_)) for k in again],
                        scaler, grid, later, sites)
        for k, r in zip(again, fresh):
            results[k] = results[k].merged(r)
    return results


def round_seed(seed: int, round_: int) -> int:
    """The seed of a structure's later search: fresh starts, still independent of its batch neighbours."""
    return int(np.random.SeedSequence([seed, round_]).generate_state(1)[0])


def _search(targets: Sequence[Target], scaler: Scaler, grid: EADGrid, settings: Settings,
            sites: SitePrior) -> list[Result]:
    results: list[Result] = []
    for start in range(0, len(targets), settings.batch_structures):
        results += _Batch(targets[start:start + settings.batch_structures], scaler, grid, settings, sites).run()
    return _polish(targets, results, scaler, grid, settings) if settings.polish_steps else results


def _polish(targets: Sequence[Target], results: list[Result], scaler: Scaler, grid: EADGrid,
            settings: Settings) -> list[Result]:
    """Relax the best positions of each structure not reproduced once more, every atom free: a search within a
    symmetric start's group cannot reach a crystal whose symmetry is only approximate (spglib admits the group at
    symprec 0.1 A), however close it came. The polish counts as one more trial of one hop. A non-finite loss (no
    positions found) stays as it is, so the failure shows."""
    todo = [k for k, r in enumerate(results) if math.isfinite(r.loss) and r.loss >= settings.tol]
    free = replace(settings, trials=1, hops=1, smooth_steps=0, steps=settings.polish_steps, lr=settings.polish_lr,
                   start="uniform", screen=1, start_symmetric=0.0, keep_symmetry=False, free_rounds=False, patience=0,
                   polish_steps=0)
    for first in range(0, len(todo), settings.batch_structures):
        part = todo[first:first + settings.batch_structures]
        batch = _Batch([targets[k] for k in part], scaler, grid, free)
        batch.place([[WyckoffMap.identity(results[k].frac)] for k in part])
        for k, polished in zip(part, batch.run()):  # polished positions still come from the trial they relax
            results[k] = results[k].merged(replace(polished, symmetric_best=results[k].symmetric_best))
    return results


class _Batch:
    """State of one batch of structures: per-atom positions and Adam moments, per-replica hop bests."""

    def __init__(self, targets: Sequence[Target], scaler: Scaler, grid: EADGrid, settings: Settings,
                 sites: SitePrior = NO_SITE_DATA) -> None:
        tune_cpu()
        self.sites = sites
        # Every evaluation below uses self.grid, the grid as the dtype resolves it (a shorter radius in float32);
        # the argument `grid` is not used again, so no neighbour list is built for the full radius by mistake.
        self.s, self.grid, self.scaler = settings, grid.resolved(torch.finfo(settings.torch_dtype).eps), scaler
        self.layout = VectorLayout.from_grid(self.grid)
        kw = {"dtype": settings.torch_dtype, "device": settings.torch_device}
        self.kw = kw
        T = settings.trials
        self.targets = list(targets)
        self.rngs = [np.random.default_rng(t.seed) for t in targets]
        for i, t in enumerate(targets):
            if not np.isfinite(t.r_str[:-1]).all():  # d_min may be NaN (one-atom cells): starts ignore it then
                raise ValueError(f"target {i}: R_str has non-finite values at {np.flatnonzero(~np.isfinite(t.r_str[:-1]))[:5]}")
        self.matrices = np.stack([lattice_matrix(t.lattice, f"target {i}") for i, t in enumerate(targets)])
        for t in targets:
            if len(t.r_str) != self.layout.structure.stop:
                raise ValueError(f"target R_str has length {len(t.r_str)}, the grid needs {self.layout.structure.stop}")
        # The scaled loss is taken in float64: some features' training ranges (~1e-40) underflow in float32.
        r_str = torch.as_tensor(np.stack([t.r_str for t in targets]), dtype=torch.float64, device=kw["device"])
        self.goal = scaler.transform_torch(r_str, self.layout.structure)  # (S, D) scaled targets
        # Features (near-)constant over the training split, e.g. Gaussian tails at 1e-27, are only shifted by the
        # scaler, never stretched: they carry no usable signal, so they are left out of the loss.
        span = (scaler.high - scaler.low)[self.layout.structure]
        self.full_mask = torch.as_tensor(span >= settings.min_feature_range, device=kw["device"])
        # The smooth loss: only the widest Gaussians' features (and d_min). Their basins are ~1 A wide where the full
        # loss's are ~0.1 A (the eta = 90 features), so a hop first finds the region, then the full loss settles in.
        widest = np.tile(self.grid.eta_of_feature() == min(self.grid.etas), 2)
        self.smooth_mask = self.full_mask & torch.as_tensor(np.append(widest, True), device=kw["device"])
        self.full, self.smooth = LossTerms.build(self.full_mask, self.goal), LossTerms.build(self.smooth_mask, self.goal)
        self.terms = self.full
        self.symmetric_counts = [0] * len(targets)
        starts = [self._starts(k, m) for k, m in enumerate(self.matrices)]
        # replica r = structure r // T, trial r % T; atoms of a replica (and of a structure) are contiguous
        self.structure = torch.arange(len(targets), device=kw["device"]).repeat_interleave(T)
        self.n_atoms = np.repeat([t.n_atoms for t in targets], T)
        self.batch = torch.arange(len(self.n_atoms), device=kw["device"]).repeat_interleave(
            torch.as_tensor(self.n_atoms, device=kw["device"]))
        self.numbers = torch.as_tensor(np.concatenate([np.tile(t.numbers, T) for t in targets]), device=kw["device"])
        self.cell = torch.as_tensor(np.repeat(self.matrices, T, axis=0), **kw)
        self.neighbors = SkinNeighbors(self.grid.cutoff, settings.skin, np.repeat(self.matrices, T, axis=0), self.n_atoms)
        self.place(starts)
        self.active = np.ones(len(targets), dtype=bool)
        self.results = [Result(frac=np.zeros((t.n_atoms, 3)), trials=T, symmetric_starts=c,
                               symmetric_trials=sum(m.constrained for m in maps))
                        for t, c, maps in zip(targets, self.symmetric_counts, starts)]

    def place(self, starts: Sequence[Sequence[WyckoffMap]]) -> None:
        """Put every replica at its start (per structure, one map per trial), with fresh Adam moments and no accepted
        hop. The constructor places the screened starts, the polish each structure's best positions; benchmarks
        place known ones (shaken truths) to measure how far from the truth a hop still finds it."""
        maps = [m for structure in starts for m in structure]
        self.theta, self.ties = Ties.build(maps, np.repeat(self.matrices, self.s.trials, axis=0), **self.kw)
        self.tied = np.array([m.constrained for m in maps])  # per replica
        self.neighbors.invalidate()
        self._reset_hop()
        self.accepted_theta = self.theta.clone()
        self.accepted_loss = torch.full((len(self.n_atoms),), math.inf, **self.kw)

    def positions(self, theta: torch.Tensor) -> torch.Tensor:
        """Cartesian positions of every atom from the free coordinates (the same tensor where nothing is tied)."""
        return theta if self.ties is None else self.ties.positions(theta)

    def _starts(self, k: int, matrix: np.ndarray) -> list[WyckoffMap]:
        """Starts of structure k, one per trial: the best `trials` of trials * screen candidates. Symmetric ones keep
        their Wyckoff ties with `keep_symmetry`; every other start is free."""
        rng, target, T = self.rngs[k], self.targets[k], self.s.trials
        n = T * max(self.s.screen, 1)
        if self.s.start == "uniform":
            frac = uniform_starts(rng, n, target.n_atoms)
        else:
            d_min = float(np.clip(np.nan_to_num(target.r_str[-1]), 0.0, 5.0))
            frac = spread_starts(rng, n, target.n_atoms, matrix, self.s.start_min_distance * d_min)
        frac = snap_starts(rng, frac, self.s.start_snap, self.s.start_grid)
        maps = [WyckoffMap.identity(f) for f in frac]
        if self.s.start_symmetric > 0:
            symmetric = symmetric_starts(rng, round(n * self.s.start_symmetric), target.numbers,
                                         lattice_setting(matrix, self.s.symprec), self.sites)
            # a group that cannot hold the composition leaves the rest as they are
            maps[:len(symmetric)] = symmetric if self.s.keep_symmetry else [WyckoffMap.identity(m.frac)
                                                                            for m in symmetric]
            self.symmetric_counts[k] = len(symmetric)
        if n == T:
            return maps
        crystals = [Crystal(target.numbers, m.frac, target.lattice) for m in maps]
        losses = torch.cat([self._smooth_loss(crystals[i:i + SCREEN_BATCH], k) for i in range(0, n, SCREEN_BATCH)])
        return [maps[i] for i in torch.argsort(losses, stable=True)[:T].tolist()]

    def _smooth_loss(self, crystals: Sequence[Crystal], k: int) -> torch.Tensor:
        """Smooth loss of candidate crystals against target k: cheap (no gradient), it ranks starts."""
        with torch.no_grad():
            R = CrystalBatch.build(crystals, self.grid.cutoff, **self.kw).structure_descriptor(self.grid)
            return self._l1(R, torch.full((len(crystals),), k, device=R.device), self.smooth)

    def _reset_hop(self) -> None:
        self.m = torch.zeros_like(self.theta)
        self.v = torch.zeros_like(self.theta)
        self.t = 0
        self.hop_theta = self.theta.clone()
        self.hop_loss = torch.full((len(self.n_atoms),), math.inf, **self.kw)

    def loss(self, pos: torch.Tensor) -> torch.Tensor:
        """Per-replica L1 loss between scaled R_str(pos) and the scaled target."""
        pairs = self.neighbors.update(pos, self.batch)
        R = structure_descriptor(pos, self.cell, self.numbers, self.batch, pairs, self.grid)
        return self._l1(R, self.structure, self.terms).to(pos.dtype)

    def _l1(self, R: torch.Tensor, structure: torch.Tensor, terms: LossTerms) -> torch.Tensor:
        """Mean |scaled R_str - scaled target| over the features of `terms`, one value per row of R."""
        scaled = self.scaler.transform_torch(R.index_select(1, terms.columns).double(), terms.index)
        return ((scaled - terms.goal[structure]).abs() * terms.weight[structure]).sum(1)

    def step(self, lr: float) -> None:
        """One Adam step on every replica's free coordinates; remembers each replica's best of this hop."""
        x = self.theta.detach().requires_grad_(True)
        loss = self.loss(self.positions(x))
        (grad,) = torch.autograd.grad(loss.sum(), x)
        with torch.no_grad():
            better = loss < self.hop_loss
            self.hop_loss = torch.where(better, loss, self.hop_loss)
            self.hop_theta = torch.where(better[self.batch, None], self.theta, self.hop_theta)
            self.t += 1
            self.m.mul_(BETA1).add_(grad, alpha=1 - BETA1)
            self.v.mul_(BETA2).addcmul_(grad, grad, value=1 - BETA2)
            step = self.m / (1 - BETA1**self.t) / ((self.v / (1 - BETA2**self.t)).sqrt_() + EPS)
            self.theta = self.theta - lr * step
        for s in np.flatnonzero(self.active):
            self.results[s].steps += self.s.trials

    def _lr(self, lr: float, k: int, steps: int) -> float:
        """Cosine decay from lr to lr * lr_final over a phase: big steps to find a basin, small ones to settle in it."""
        f = self.s.lr_final
        return lr * (f + (1 - f) * 0.5 * (1 + math.cos(math.pi * k / max(steps - 1, 1))))

    def smooth_phase(self) -> None:
        """smooth_steps Adam steps on the smooth loss; the hop then goes on from their best positions."""
        self.terms = self.smooth
        for k in range(self.s.smooth_steps):
            self.step(self._lr(self.s.smooth_lr, k, self.s.smooth_steps))
        self.theta = self.hop_theta
        self.terms = self.full
        self._reset_hop()  # hop bests are compared on the full loss only

    def record(self) -> None:
        """Copy each active structure's best replica of this hop into its result if it beats the best so far."""
        T = self.s.trials
        losses = self.hop_loss.view(-1, T).cpu().numpy()
        pos = self.positions(self.hop_theta).detach().cpu().double().numpy()
        offsets = np.concatenate([[0], np.cumsum(self.n_atoms)])
        for k, s in enumerate(np.flatnonzero(self.active)):
            best = int(np.argmin(losses[k]))
            if losses[k, best] < self.results[s].loss:
                r = k * T + best
                cart = pos[offsets[r]:offsets[r + 1]]
                self.results[s].loss = float(losses[k, best])
                self.results[s].frac = (cart @ np.linalg.inv(self.matrices[s])) % 1.0
                self.results[s].symmetric_best = bool(self.tied[r])

    def converged(self) -> np.ndarray:
        """Per structure: active and reproduced (best loss below tol)."""
        return np.array([self.active[s] and self.results[s].loss < self.s.tol for s in range(len(self.active))])

    def stalled(self) -> np.ndarray:
        """Per structure: active, and its best loss fell by less than min_gain over the last `patience` hops.

        Such a structure has every trial stuck in a false minimum; running its remaining hops is what made the
        structures never found the most expensive ones."""
        p = self.s.patience
        return np.array([p > 0 and self.active[s] and len(h := self.results[s].history) > p
                         and h[-1] > (1.0 - self.s.min_gain) * h[-1 - p] for s in range(len(self.active))])

    def retire(self, done: np.ndarray, mid_hop: bool) -> None:
        """Drop the replicas of the structures marked done from every tensor of the batch."""
        if not done.any():
            return
        for s in np.flatnonzero(done) if mid_hop else ():  # the interrupted hop counts
            self.results[s].hops += 1
            self.results[s].history.append(self.results[s].loss)
        keep_rep = np.repeat(~done[self.active], self.s.trials)
        self.active &= ~done
        if not self.active.any():
            return
        keep = torch.as_tensor(keep_rep, device=self.theta.device)
        atoms = keep[self.batch]
        remap = torch.cumsum(keep.long(), 0) - 1
        self.neighbors = self.neighbors.select(keep_rep, self.theta[atoms], atoms)
        if self.ties is not None:
            self.ties = self.ties.select(atoms)
        self.tied = self.tied[keep_rep]
        for name in ("theta", "m", "v", "hop_theta", "accepted_theta", "numbers"):
            setattr(self, name, getattr(self, name)[atoms])
        for name in ("hop_loss", "accepted_loss", "cell"):
            setattr(self, name, getattr(self, name)[keep])
        self.structure = self.structure[keep]
        self.batch = remap[self.batch[atoms]]
        self.n_atoms = self.n_atoms[keep_rep]

    def hop(self, size: float) -> None:
        """Metropolis choice between each replica's accepted state and its hop result, then the next hop's move
        (srd.reconstruct.moves) from the accepted state. The moves displace free coordinates: a tied trial's atoms
        follow their generators, so it stays in its group."""
        T = self.s.trials
        active = np.flatnonzero(self.active)
        u = torch.as_tensor(np.concatenate([self.rngs[s].random(T) for s in active]), **self.kw)
        delta = self.hop_loss - self.accepted_loss
        if self.s.temperature > 0:
            accept = (delta < 0) | (u < torch.exp(-delta.clamp_min(0) / self.s.temperature))
        else:
            accept = delta < 0
        self.accepted_loss = torch.where(accept, self.hop_loss, self.accepted_loss)
        self.accepted_theta = torch.where(accept[self.batch, None], self.hop_theta, self.accepted_theta)
        accepted = self.positions(self.accepted_theta).detach().cpu().double().numpy()
        offsets = np.concatenate([[0], np.cumsum(self.n_atoms)])[::T]  # first atom of each active structure
        moves = [hop_moves(self.rngs[s], accepted[offsets[k]:offsets[k + 1]].reshape(T, -1, 3), self.targets[s].numbers,
                           self.matrices[s], size, self.s.swap_probability, self.s.relocate_probability)
                 for k, s in enumerate(active)]
        self.theta = self.accepted_theta + torch.as_tensor(np.concatenate([m.reshape(-1, 3) for m in moves]), **self.kw)
        self.neighbors.invalidate()
        self._reset_hop()

    def run(self) -> list[Result]:
        size = self.s.hop_size
        for h in range(self.s.hops):
            if self.s.smooth_steps:
                self.smooth_phase()
            for k in range(self.s.steps):
                self.step(self._lr(self.s.lr, k, self.s.steps))
                if self.s.tol > 0 and (k + 1) % self.s.check_every == 0 and k + 1 < self.s.steps:
                    self.record()
                    self.retire(self.converged(), mid_hop=True)
                    if not self.active.any():
                        return self.results
            self.record()
            for s in np.flatnonzero(self.active):
                self.results[s].hops += 1
                self.results[s].history.append(self.results[s].loss)
            self.retire(self.converged() | self.stalled(), mid_hop=False)
            if not self.active.any():
                break
            if h + 1 < self.s.hops:
                self.hop(size)
                size *= self.s.hop_decay
        return self.results
