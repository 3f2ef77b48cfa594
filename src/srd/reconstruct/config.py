"""Reconstruction settings: the `reconstruct` config slice, resolved against a named preset.

`paper` is Algorithm 2 with the values of the paper's appendix A.3.5 (6 trials x 7 hops x 300 Adam steps, uniform
random starts, +/-1 A hops from each trial's best). `fast` is the recommended preset, chosen on val structures
(benchmarks/reconstruct.py quality): 24 trials in one batch whose starts are the best of 20x as many candidates
ranked by the smooth loss, half of them random crystals of a space group the lattice admits (of its family or a
lower one, e.g. tetragonal groups on a cubic lattice; srd.reconstruct.symmetric) on Wyckoff sites drawn by how often
the train split's crystals occupy them (srd.reconstruct.site_prior, which the workflow fits), half spread to the target's
shortest distance with coordinates snapped to 0 or 1/2 with probability 0.8; each of up to 8 hops runs 100 Adam
steps on the smooth loss (widest Gaussians only, ~1 A basins), then 100 on the full loss, with a cosine-annealed
learning rate; hops swap two atoms of different species (40 %), relocate one atom (20 %) or shake all of them, with
Metropolis acceptance; a structure stops once reproduced (loss < tol) or once two hops in a row lowered its best
loss by less than 10 % (patience). `keep_symmetry` (searching symmetric starts over their free Wyckoff coordinates
only, so they keep their group) is off in the preset: on val it helped MP-20 (exact 43 -> 50 %, 30 crystals; 53.3 %
once starts drew Wyckoff sites favouring free coordinates), hurt Perov-5 (97 -> 83 %) and left Carbon-24 unchanged
(4/12 exact); config.yaml turns it on for MP-20. Screening tied and free starts as separate pools (half each) did
not help it: MP-20 val 30 exact 53.3 -> 50 %, match 60 -> 50 %; nor did 48 trials instead of 24 (exact 53.3 -> 50 %,
27 -> 41 s/structure) or drawing groups by their frequency in another split instead of order^2 (exact 53.3 % either
way, the same crystals found but two) or ranking candidates by their smooth loss after 30 Adam steps on it rather
than as drawn (exact 53.3 % either way, 27 -> 31 s/structure; the raw screen ranks the one or two right starts of
12-atom Pnma cells 243rd-301st of 480). config.yaml also gives Carbon-24 smaller steps (smooth_lr 0.05, lr 0.02):
they keep a hop inside the true basin of its larger cells, where 0.1 A steps leave it; on MP-20 they cost
exploration (exact 15 -> 13 of 30 val crystals). `rounds` searches a structure not reproduced again from fresh
starts; config.yaml sets 2 for Perov-5, whose misses are cheap 5-atom cells, with a tighter tol (0.003: at 0.008
wrong cells stopped as found), and for Carbon-24, where a second search finds 8-atom cells the first missed; on
MP-20 (keep_symmetry) a second search within symmetric starts doubled the time and found nothing more, while one
with every atom free (`free_rounds`) found 7 more of 60 val cells of <= 11 atoms (exact 70 -> 81.7 %; none more of
val 30, seed 1), so config.yaml sets both for MP-20. Longer searches do not find its 12-20-atom cells: 12 hops with
patience 4 found the same 5 of 20 val cells (seed 2) at 1.6x the time. `polish_steps` relaxes a search's best once
more, every atom free, when it is not reproduced: a search within a symmetric start's group comes close to a crystal
whose symmetry is only approximate but cannot reach it (MP-20 val mp-1320002: a best at rms 0.0132 -> 0.0008 with
100 steps, ~0.5 % of its search's 19,200), and a hop's annealing often ends inside the true basin unconverged
(Perov-5 test 50 with config.yaml's settings: the polish ended 4 first searches below tol, sparing their second
round, and found 4 crystals in second rounds; exact 49/50). On MP-20 val (30, seed 1) it changed nothing: exact
15/30, match 60 % either way.

With config.yaml's settings and the site prior fitted on val (the workflow's train split offline), test 50 (seed 0,
one core; benchmarks/reconstruct.py quality --site-prior): Perov-5 exact 98 %, match 100 %, rmse 0.012,
10 s/structure; Carbon-24 68 %, 98 %, 0.097, 42 s; MP-20 48 %, 64 %, 0.084, 26 s. Without the prior: Perov-5 98 %,
100 %, 0.011, 12 s (two of its three Pmm2 cells are found in one run and not in another); Carbon-24 66 %, 100 %,
0.112, 41 s (70-76 % in runs whose float32 rounding differed); MP-20 48 %, 56 %, 0.063, 25 s (38 %, 52 %, 0.111, 15 s
without free_rounds: cells of <= 6 atoms 13 -> 16 of 18, 7-11 atoms 3 -> 5 of 12, 12-20 atoms 3 of 20 either way).
The prior's MP-20 gain is in larger cells and in match (test 50: 7-11 atoms exact 5 -> 6 of 12, 12-20 atoms 3 -> 5
of 20, but <= 6 atoms 16 -> 13 of 18, lost in free second rounds and once to a different crystal at loss 7e-5; val 60,
seed 7, with the prior fitted on the other val crystals: exact 56.7 -> 60 %, match 66.7 -> 76.7 %). With the prior,
more symmetric starts did not clearly help on those 60: start_symmetric 0.75 / 0.9 gave exact 63.3 % either way
but match 71.7 / 73.3 % (76.7 % at 0.5), at the same 21 s/structure, so 0.5 stays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

import torch

from srd.config_values import typed


@dataclass(frozen=True)
class Settings:
    preset: str = "paper"
    trials: int = 6  # independent starts per structure, all in one batch
    hops: int = 7  # basin hops per trial
    steps: int = 300  # Adam steps per hop
    smooth_steps: int = 0  # Adam steps before them, per hop, on the widest Gaussians' features and d_min only
    lr: float = 0.05  # Adam step size, A
    smooth_lr: float = 0.1  # Adam step size of the smooth phase, A: large, to find the ~1 A basin
    lr_final: float = 1.0  # lr at the end of each hop as a fraction of lr (cosine); 1 = constant
    hop_size: float = 1.0  # hop perturbation: uniform [-hop_size, hop_size] A per Cartesian coordinate
    hop_decay: float = 1.0  # hop_size multiplier after each hop
    swap_probability: float = 0.0  # chance that a trial's hop swaps two atoms of different species instead
    relocate_probability: float = 0.0  # chance that a trial's hop moves one atom to a random place instead
    temperature: float = 0.0  # Metropolis temperature for accepting a hop's result; 0 = keep each trial's best
    start: str = "uniform"  # uniform | spread (no pair closer than start_min_distance * target d_min)
    start_min_distance: float = 0.7
    screen: int = 1  # draw trials * screen candidate starts, keep the `trials` with the lowest smooth loss
    start_snap: float = 0.0  # probability that a start coordinate snaps to the nearest multiple of 1/start_grid
    start_grid: int = 4  # special positions (0, 1/4, 1/2, ...) where many crystals put their atoms
    start_symmetric: float = 0.0  # share of candidate starts that are random crystals of a group the lattice admits
    symprec: float = 0.1  # A: tolerance of the lattice's Bravais type for `start_symmetric`
    keep_symmetry: bool = False  # symmetric starts move only their free Wyckoff coordinates: they keep their group
    tol: float = 0.0  # stop a structure once its best loss is below tol (0 = never stop early)
    rounds: int = 1  # searches per structure at most: another from fresh starts while best loss >= tol (tol 0: all)
    free_rounds: bool = False  # searches after the first search every atom free (keep_symmetry off)
    polish_steps: int = 0  # Adam steps of a free (untied) relaxation of a search's best when its loss is >= tol
    polish_lr: float = 0.02  # A, cosine-annealed to lr_final of it
    check_every: int = 50  # steps between early-stopping checks
    patience: int = 0  # stop a structure whose best loss fell by less than min_gain over this many hops (0 = never)
    min_gain: float = 0.1  # relative fall of the best loss that counts as progress for `patience`
    min_feature_range: float = 1e-6  # leave out of the loss features whose scaler range (log1p units) is below this
    skin: float = 1.0  # neighbour-list skin, A: lists are rebuilt when an atom moved more than skin / 2
    batch_structures: int = 16  # structures per batch (each with `trials` replicas)
    dtype: str = "float32"  # float32 | float64
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        checks = [
            (self.trials >= 1, "trials must be >= 1"), (self.hops >= 1, "hops must be >= 1"),
            (self.steps >= 1, "steps must be >= 1"),
            (self.smooth_steps >= 0, "smooth_steps must be >= 0"), (self.lr > 0, "lr must be > 0"),
            (self.smooth_lr > 0, "smooth_lr must be > 0"),
            (0 < self.lr_final <= 1, "lr_final must be in (0, 1]"), (self.hop_size >= 0, "hop_size must be >= 0"),
            (self.hop_decay > 0, "hop_decay must be > 0"),
            (self.swap_probability >= 0 and self.relocate_probability >= 0
             and self.swap_probability + self.relocate_probability <= 1,
             "swap_probability and relocate_probability must be >= 0 and sum to <= 1"), (self.temperature >= 0, "temperature must be >= 0"),
            (self.start in ("uniform", "spread"), "start must be 'uniform' or 'spread'"),
            (self.screen >= 1, "screen must be >= 1"),
            (0 <= self.start_snap <= 1, "start_snap must be in [0, 1]"), (self.start_grid >= 1, "start_grid must be >= 1"),
            (0 <= self.start_symmetric <= 1, "start_symmetric must be in [0, 1]"),
            (self.symprec > 0, "symprec must be > 0"),
            (self.min_feature_range >= 0, "min_feature_range must be >= 0"),
            (self.skin >= 0, "skin must be >= 0"), (self.batch_structures >= 1, "batch_structures must be >= 1"),
            (self.check_every >= 1, "check_every must be >= 1"), (self.patience >= 0, "patience must be >= 0"),
            (self.rounds >= 1, "rounds must be >= 1"),
            (not self.free_rounds or (self.keep_symmetry and self.rounds >= 2),
             "free_rounds needs keep_symmetry: true and rounds >= 2 (it frees the later searches' symmetric starts)"),
            (self.polish_steps >= 0, "polish_steps must be >= 0"),
            (self.polish_lr > 0, "polish_lr must be > 0"),
            (0 <= self.min_gain < 1, "min_gain must be in [0, 1)"),
            (self.dtype in ("float32", "float64"), "dtype must be 'float32' or 'float64'"),
            (self.device in ("auto", "cpu", "cuda"), "device must be 'auto', 'cpu' or 'cuda'"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"reconstruct config: {message}")

    @property
    def torch_dtype(self) -> torch.dtype:
        return torch.float32 if self.dtype == "float32" else torch.float64

    @property
    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


PRESETS: dict[str, Settings] = {
    "paper": Settings(),
    "fast": Settings(
        preset="fast", trials=24, hops=8, smooth_steps=100, steps=100, smooth_lr=0.1, lr=0.1, lr_final=0.002,
        hop_size=0.6, hop_decay=0.7, swap_probability=0.4, relocate_probability=0.2, temperature=0.02, start="spread",
        screen=20, start_snap=0.8, start_grid=2, start_symmetric=0.5, tol=0.008, check_every=50, patience=2,
        polish_steps=100, batch_structures=4,
    ),
}


def resolve(cfg: Mapping[str, Any] | None) -> Settings:
    """Settings of cfg["preset"] (default `paper`) with every other key of cfg overriding it; unknown keys raise."""
    cfg = dict(cfg or {})
    name = cfg.pop("preset", "paper")
    if name not in PRESETS:
        raise ValueError(f"reconstruct config: unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    known = {f.name for f in fields(Settings)} - {"preset"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ValueError(f"reconstruct config: unknown key(s) {unknown}; known keys: {sorted(known)}")
    base = PRESETS[name]
    return replace(base, **{k: typed("reconstruct", k, v, type(getattr(base, k))) for k, v in cfg.items()})
