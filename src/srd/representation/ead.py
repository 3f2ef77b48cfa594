"""Embedded Atom Density in torch: per-atom features, and the sums their analytic gradient needs (pooling and the
chain rule to positions live in srd.representation.pooled).

    rho_i(L, eta, mu) = sum_{lx+ly+lz=L} L!/(lx! ly! lz!) * (sum_j Z_j x^lx y^ly z^lz exp(-eta (r_ij - mu)^2) fc(r_ij))^2

Everything is vectorised over pairs, atoms and crystals of a batch (concatenated atoms, a `batch` index per atom).
Each eta only visits the pairs its Gaussians can reach (grid tolerance), which is where most of the speed comes from:
the narrow eta = 20, 90 Gaussians need ~1/5 of the pairs that eta = 1 needs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from itertools import accumulate, product, repeat
from typing import Iterator, NamedTuple

import torch

from srd.representation.grid import EADGrid
from srd.representation.neighbors import NeighborList


ATOMS_PER_BLOCK = 64  # rows of a block share one padded width; ranked rows keep it near each row's own count


@dataclass(frozen=True)
class PairLayout:
    """Where each pair sits in the kernel's padded (rows, width) layout. It depends on the pair list only, so it is
    built once per list and reused by every evaluation (a reconstruction keeps its lists for many steps).

    Rows are the atoms ranked by neighbour count, so that each block of ATOMS_PER_BLOCK rows pads to a similar
    width. A row keeps its pairs in list order, which is by distance when the list was built (neighbors.py): the
    pairs a Gaussian reaches are then a prefix of the row, give or take what atoms moved since.
    """

    atom_of_row: torch.Tensor  # (n_atoms,)
    row_of_atom: torch.Tensor  # (n_atoms,)
    place: torch.Tensor  # (P,) index into the flattened (n_atoms, width) layout
    row: torch.Tensor  # (P,) its row
    slot: torch.Tensor  # (P,) position within its row
    block: torch.Tensor  # (P,) block of its row
    width: int

    @classmethod
    def build(cls, center: torch.Tensor, n_atoms: int) -> "PairLayout":
        counts = torch.bincount(center, minlength=n_atoms)
        atom_of_row = torch.argsort(counts, stable=True)
        row_of_atom = torch.empty_like(atom_of_row)
        row_of_atom[atom_of_row] = torch.arange(n_atoms, device=center.device)
        row = row_of_atom.index_select(0, center)
        order = torch.argsort(row, stable=True)
        row_counts = counts.index_select(0, atom_of_row)
        starts = torch.cumsum(row_counts, 0) - row_counts
        slot = torch.empty_like(row)
        slot[order] = torch.arange(len(order), device=center.device) - starts[row[order]]
        width = max(int(row_counts.max()) if n_atoms else 0, 1)
        return cls(atom_of_row, row_of_atom, row * width + slot, row, slot, row // ATOMS_PER_BLOCK, width)


@dataclass(frozen=True)
class Pairs:
    """Torch view of a NeighborList on one device."""

    center: torch.Tensor  # (P,) long
    neighbor: torch.Tensor  # (P,) long
    image: torch.Tensor  # (P, 3) float
    _layouts: dict[int, PairLayout] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_list(cls, nl: NeighborList, device: torch.device | str, dtype: torch.dtype) -> "Pairs":
        return cls(
            center=torch.as_tensor(nl.center, device=device),
            neighbor=torch.as_tensor(nl.neighbor, device=device),
            image=torch.as_tensor(nl.image, device=device, dtype=dtype),
        )

    def layout(self, n_atoms: int) -> PairLayout:
        """The kernel layout of these pairs over n_atoms atoms, built on first use."""
        if n_atoms not in self._layouts:
            self._layouts[n_atoms] = PairLayout.build(self.center, n_atoms)
        return self._layouts[n_atoms]


def angular_terms(orders: tuple[int, ...]) -> tuple[list[tuple[int, int, int]], list[float], list[int]]:
    """Monomials x^lx y^ly z^lz of every order, their multinomial weights L!/(lx! ly! lz!), and their order."""
    powers, weights, order_of = [], [], []
    for order in orders:
        for lx, ly, lz in product(range(order + 1), repeat=3):
            if lx + ly + lz == order:
                powers.append((lx, ly, lz))
                weights.append(math.factorial(order) / (math.factorial(lx) * math.factorial(ly) * math.factorial(lz)))
                order_of.append(order)
    return powers, weights, order_of


def eta_reach(grid: EADGrid) -> list[float]:
    """Per-eta neighbour radius: beyond it exp(-eta (r - mu)^2) < tolerance for every mu of the grid."""
    log_tol = math.log(1.0 / grid.tolerance)
    return [min(grid.rc, max(grid.mus) + math.sqrt(log_tol / eta)) for eta in grid.etas]


class GridTensors(NamedTuple):
    """Per-grid tensors every evaluation needs, built once per (grid, dtype, device)."""

    reaches: tuple[float, ...]  # per eta (eta_reach)
    ranks: tuple[int, ...]  # per eta: the rank of its reach among the distinct reaches
    powers: tuple[tuple[int, int, int], ...]  # (K,) monomial exponents
    mu: torch.Tensor  # (n_mu,)
    mu_centered: torch.Tensor  # mu minus the middle of its range (separable Gaussians)
    weight: torch.Tensor  # (K,) multinomial weight of each monomial
    order_index: torch.Tensor  # (K,) index of each monomial's order in grid.orders
    thresholds: torch.Tensor  # sorted distinct reaches
    mu_factor: tuple[torch.Tensor | None, ...]  # per eta: its mu factor when its Gaussians separate
    mu_split: tuple[torch.Tensor, torch.Tensor] | None  # mu_centered as head + tail sums (split_mu)


@functools.lru_cache(maxsize=16)
def grid_tensors(grid: EADGrid, dtype: torch.dtype, device: torch.device) -> GridTensors:
    powers, weights, order_of = angular_terms(grid.orders)
    mu = torch.tensor(grid.mus, dtype=dtype, device=device)
    reaches = tuple(eta_reach(grid))
    return GridTensors(
        reaches=reaches,
        ranks=tuple(sorted(set(reaches)).index(reach) for reach in reaches),
        powers=tuple(powers),
        mu=mu,
        mu_centered=mu - mu_middle(grid)[0],
        weight=torch.tensor(weights, dtype=dtype, device=device),
        order_index=torch.tensor([grid.orders.index(o) for o in order_of], device=device),
        thresholds=torch.tensor(sorted(set(reaches)), dtype=dtype, device=device),
        mu_factor=tuple(separable_mu_factor(grid, e, mu) for e in range(len(grid.etas))),
        mu_split=split_mu(mu - mu_middle(grid)[0]),
    )


def mu_middle(grid: EADGrid) -> tuple[float, float]:
    """Middle of the mu range and its half width."""
    return (min(grid.mus) + max(grid.mus)) / 2, (max(grid.mus) - min(grid.mus)) / 2


def separable_mu_factor(grid: EADGrid, e: int, mu: torch.Tensor) -> torch.Tensor | None:
    """The mu factor exp(-eta (mu - m)^2) of eta's Gaussians when they separate, else None.

    With m the middle of the mu range, exp(-eta (r - mu)^2) = exp(-eta (r - m)^2) * exp(2 eta (r - m)(mu - m))
    * exp(-eta (mu - m)^2): a product of normal numbers, as accurate as the direct form, as long as no factor leaves
    the dtype's exponent range. That holds for the wide Gaussians (eta = 1; also eta = 20 in float64), the costly
    ones: they reach the most pairs, and the product needs two passes over them instead of four.
    """
    eta = grid.etas[e]
    middle, half = mu_middle(grid)
    far = max(middle, eta_reach(grid)[e] - middle)
    limit = -math.log(torch.finfo(mu.dtype).tiny) - 8.0
    if eta * far * far > limit or 2.0 * eta * far * half > limit:
        return None
    return torch.exp(-eta * (mu - middle) ** 2)


def split_mu(mu_centered: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(head, tail) with mu_centered[a * len(tail) + b] = head[a] + tail[b] (evenly spaced mus whose count has a
    factor), else None.

    exp(c mu) is then the outer product exp(c head) (x) exp(c tail): separable Gaussians cost len(head) + len(tail)
    exponentials per pair instead of one per mu (15 instead of 50 on the default grid), and the product is never
    formed (Gaussians). Both factors stay within half the mu range of zero, so `separable_mu_factor`'s overflow
    bound holds for each.
    """
    n = len(mu_centered)
    n_tail = next((k for k in range(math.ceil(math.sqrt(n)), n) if n % k == 0), n)
    if n_tail == n:
        return None
    head, tail = mu_centered[::n_tail], mu_centered[:n_tail] - mu_centered[0]
    spread = float(mu_centered.max() - mu_centered.min())
    atol = 8 * torch.finfo(mu_centered.dtype).eps * max(spread, 1.0)  # rounding of the dtype, not unevenness
    if not torch.allclose((head[:, None] + tail).reshape(-1), mu_centered, rtol=0.0, atol=atol):
        return None
    return head, tail


def ead_per_atom(
    disp: torch.Tensor, layout: PairLayout, z_neighbor: torch.Tensor, n_atoms: int, grid: EADGrid
) -> torch.Tensor:
    """Per-atom EAD features (n_atoms, N_e), ordered (order, eta, mu), of the pair displacements `disp`.

    Not differentiable by autograd: gradients come from `EADSums.grad_disp`, which `srd.representation.pooled`
    chains through pooling and displacements (recording every padded temporary for autograd would cost more than
    the forward itself).
    """
    with torch.no_grad():
        return EADSums(disp, layout, z_neighbor, n_atoms, grid, keep=False).features()


class Gaussians(NamedTuple):
    """One block's Gaussians g(mu, pair) (rows, n_mu, width), times `factor` (rows, 1, width; None: 1).

    Held whole, or, when they separate over a split mu grid (split_mu), as head (rows, H, width) and tail
    (rows, T, width) factors with g(a T + b) = head(a) tail(b): 15 numbers per pair instead of 50 on the default
    grid, and the contractions run on the factors, so the (rows, n_mu, width) array is never written or read. Pairs
    are the last axis, so the elementwise work runs along contiguous rows.
    """

    whole: torch.Tensor | None
    head: torch.Tensor | None
    tail: torch.Tensor | None
    factor: torch.Tensor | None

    def contract(self, w: torch.Tensor) -> torch.Tensor:
        """sum_pairs w(k, pair) factor(pair) g(mu, pair): (rows, K, n_mu) from w (rows, K, width)."""
        if self.factor is not None:
            w = w * self.factor
        if self.whole is not None:
            return torch.bmm(w, self.whole.transpose(1, 2))
        rows, n_k, width = w.shape
        spread = (w[:, :, None] * self.head[:, None]).view(rows, n_k * self.head.shape[1], width)
        return torch.bmm(spread, self.tail.transpose(1, 2)).view(rows, n_k, -1)

    def expand(self, lhs: torch.Tensor) -> torch.Tensor:
        """sum_mu lhs(c, mu) g(mu, pair) factor(pair): (rows, C, width) from lhs (rows, C, n_mu)."""
        if self.whole is not None:
            h = torch.bmm(lhs, self.whole)
        else:
            rows, n_c, _ = lhs.shape
            n_head, width = self.head.shape[1:]
            by_head = torch.bmm(lhs.reshape(rows, n_c * n_head, -1), self.tail).view(rows, n_c, n_head, width)
            h = by_head.mul_(self.head[:, None]).sum(2)
        return h if self.factor is None else h.mul_(self.factor)


class EADSums:
    """The sums S_k(i, eta, mu) = sum_j W_k(ij) exp(-eta (r_ij - mu)^2), with W_k = Z_j fc(r_ij) x^lx y^ly z^lz.

    Pairs sit in a padded (rows, width) layout (PairLayout) in which the pairs an eta can reach (r < eta_reach) are
    nearly a prefix of every row, so each eta contracts a slice of the same layout with batched matmuls (Gaussians).
    Padding has W = 0 and contributes nothing. With `keep`, the Gaussians of every (eta, block) are kept for
    `grad_disp`.
    """

    def __init__(self, disp: torch.Tensor, layout: PairLayout, z_neighbor: torch.Tensor, n_atoms: int,
                 grid: EADGrid, keep: bool) -> None:
        self.grid, self.n_atoms = grid, n_atoms
        self.consts = grid_tensors(grid, disp.dtype, disp.device)
        thresholds = self.consts.thresholds
        self.reaches, self.powers = self.consts.reaches, self.consts.powers
        self.d, self.r = disp, torch.linalg.vector_norm(disp, dim=1)
        # Level of a pair: how many reaches it is not within (level n_levels: beyond every reach, as neighbour lists
        # with a skin hold). Those pairs stay in the layout with Z = 0: they weigh nothing and get no gradient, which
        # is cheaper than gathering every per-pair tensor down to the pairs in reach.
        n_levels = len(thresholds)
        level = torch.bucketize(self.r, thresholds, right=True)
        self.z = torch.where(level < n_levels, z_neighbor.to(disp.dtype), 0.0)  # every reach is < rc: fc needs no mask
        self.zfc = self.z * 0.5 * (torch.cos(math.pi * self.r / grid.rc) + 1.0)
        ones = torch.ones_like(self.r)
        self.monomials = torch.stack([monomial(self.d, p) if any(p) else ones for p in self.powers], dim=1)  # (P, K)

        # Each eta contracts, per block, the prefix of the rows up to their last pair within its reach.
        self.atom_of_row, self.row_of_atom, self.place = layout.atom_of_row, layout.row_of_atom, layout.place
        n_blocks, width = -(-n_atoms // ATOMS_PER_BLOCK), layout.width
        last = torch.zeros(n_blocks * (n_levels + 1), dtype=torch.long, device=disp.device).scatter_reduce_(
            0, layout.block * (n_levels + 1) + level, layout.slot + 1, reduce="amax"
        )
        within = last.view(n_blocks, n_levels + 1)[:, :n_levels].cummax(1).values  # (block, level)
        self.widths = within[:, self.consts.ranks].T.tolist()  # (eta, block)
        self.r_pad = self.r.new_zeros(n_atoms * width).index_copy_(0, self.place, self.r).view(n_atoms, width)
        self.w_pad = self.r.new_zeros(n_atoms, len(self.powers), width)  # pairs last, as in Gaussians
        self.w_pad[layout.row, :, layout.slot] = self.monomials * self.zfc[:, None]

        self.kept: list[Gaussians] = []  # per block
        self.sums = self.r.new_empty(len(grid.etas), n_atoms, len(self.powers), len(grid.mus))  # rows: layout order
        # The Gaussians of all blocks share one buffer (kept: back to back; else: reused): one allocation per call,
        # which the allocator can hand back next call instead of mapping (and page-faulting) fresh memory.
        sizes = [(rows.stop - rows.start) * width * self.values_per_pair(e) for e, rows, width in self.blocks()]
        buffer = self.r.new_empty(sum(sizes) if keep else max(sizes))
        offsets = accumulate(sizes, initial=0) if keep else repeat(0)
        for (e, rows, width), size, offset in zip(self.blocks(), sizes, offsets):
            g = self.gaussians(e, self.r_pad[rows, :width], buffer[offset:offset + size])
            sums = g.contract(self.w_pad[rows, :, :width])
            mu_factor = self.consts.mu_factor[e]
            self.sums[e, rows] = sums if mu_factor is None else sums.mul_(mu_factor)
            if keep:
                self.kept.append(g)

    def blocks(self) -> Iterator[tuple[int, slice, int]]:
        """(eta index, row slice, width) of every block, in the order the Gaussians are kept."""
        for e, widths in enumerate(self.widths):
            for b, width in enumerate(widths):
                yield e, slice(b * ATOMS_PER_BLOCK, min((b + 1) * ATOMS_PER_BLOCK, self.n_atoms)), width

    def split(self, e: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(head, tail) of the mus when eta's Gaussians separate and the mus split, else None (held whole)."""
        return self.consts.mu_split if self.consts.mu_factor[e] is not None else None

    def values_per_pair(self, e: int) -> int:
        """Buffer numbers eta's Gaussians need per pair: head + tail when they split, else one per mu."""
        split = self.split(e)
        return len(self.grid.mus) if split is None else len(split[0]) + len(split[1])

    def gaussians(self, e: int, r_pad: torch.Tensor, out: torch.Tensor) -> Gaussians:
        """eta's Gaussians exp(-eta (r - mu)^2) of the pairs r_pad (rows, width), written into the flat buffer `out`;
        when they separate (`separable_mu_factor`), only their (r, mu) factor, with the r factor in `factor`. Pairs
        beyond eta's reach get factor 0.

        A row's slice may hold pairs beyond the reach (its width is set by the block's widest row, and atoms that
        moved since the list was built reorder distances); dropping them keeps every atom's features independent of
        its block. Pairs beyond the largest reach have W = 0 already. Direct Gaussians clamp arguments far below
        log(tolerance): they contribute nothing measurable, and the clamp avoids float32 denormals.
        """
        eta, reach = self.grid.etas[e], self.reaches[e]
        masked = reach < max(self.reaches)
        rows, width = r_pad.shape
        if self.consts.mu_factor[e] is not None:
            x = r_pad.clamp_max(reach) - mu_middle(self.grid)[0]  # pairs beyond the reach must not overflow
            scaled = (2.0 * eta * x)[:, None, :]
            r_factor = torch.exp(x.square_().mul_(-eta))
            factor = (torch.where(r_pad < reach, r_factor, 0.0) if masked else r_factor)[:, None, :]
            if self.split(e) is None:
                whole = out.view(rows, len(self.grid.mus), width)
                torch.mul(scaled, self.consts.mu_centered[:, None], out=whole).exp_()
                return Gaussians(whole, None, None, factor)
            head, tail = self.split(e)
            at = rows * len(head) * width
            head_g = torch.mul(scaled, head[:, None], out=out[:at].view(rows, len(head), width)).exp_()
            tail_g = torch.mul(scaled, tail[:, None], out=out[at:].view(rows, len(tail), width)).exp_()
            return Gaussians(None, head_g, tail_g, factor)
        floor = -math.log(1.0 / self.grid.tolerance) - 10.0
        scale = math.sqrt(eta)
        dist = out.view(rows, len(self.grid.mus), width)
        torch.sub((r_pad * scale)[:, None, :], (self.consts.mu * scale)[:, None], out=dist)
        torch.addcmul(self.r.new_zeros(()), dist, dist, value=-1.0, out=dist).clamp_min_(floor).exp_()
        return Gaussians(dist, None, None, (r_pad < reach)[:, None, :].to(r_pad.dtype) if masked else None)

    def features(self) -> torch.Tensor:
        """rho = sum_k weight_k S_k^2 per order, (n_atoms, N_e) ordered (order, eta, mu)."""
        n_eta, _, _, n_mu = self.sums.shape
        squares = self.consts.weight[:, None] * self.sums * self.sums
        rho = squares.new_zeros(n_eta, self.n_atoms, len(self.grid.orders), n_mu).index_add_(
            2, self.consts.order_index, squares
        )
        return rho[:, self.row_of_atom].permute(1, 2, 0, 3).reshape(self.n_atoms, -1)

    def grad_disp(self, grad: torch.Tensor) -> torch.Tensor:
        """dL/d(disp), (n_pairs, 3), from dL/d(features).

        dL/dS_k = 2 weight_k S_k dL/drho_order(k). Per pair, dL/dW_k = sum_mu dL/dS_k g_mu and the Gaussians'
        d/dr = sum_k W_k sum_mu dL/dS_k (-2 eta (r - mu)) g_mu: both come from one expansion of [dL/dS_k | mu dL/dS_k]
        over the kept Gaussians (Gaussians.expand). The chain through W_k = Z fc(r) x^lx y^ly z^lz then runs per pair.
        """
        n_eta, _, n_k, n_mu = self.sums.shape
        consts = self.consts
        g_rho = grad.reshape(self.n_atoms, len(self.grid.orders), n_eta, n_mu).permute(2, 0, 1, 3)
        g_sums = 2.0 * consts.weight[:, None] * self.sums * g_rho[:, self.atom_of_row][:, :, consts.order_index]
        lhs = torch.cat([g_sums, g_sums * consts.mu], dim=2)  # (eta, rows, 2K, n_mu)
        # Per padded pair: h_w = dL/dW and h_r = sum_e 2 eta [h_mu dS - r h_dS], accumulated over the etas, kept as
        # (rows, 2K, width), the orientation of Gaussians.expand's output.
        h_w = torch.zeros_like(self.w_pad)
        h_r = self.w_pad.new_zeros(self.n_atoms, 2 * n_k, self.w_pad.shape[2])
        for (e, rows, width), g in zip(self.blocks(), self.kept):
            mu_factor = consts.mu_factor[e]
            h = g.expand(lhs[e, rows] if mu_factor is None else lhs[e, rows] * mu_factor)
            h_w[rows, :, :width] += h[:, :n_k]
            h_r[rows, :, :width].add_(h, alpha=2.0 * self.grid.etas[e])
        r_pad = self.r_pad[:, None, :]
        radial = torch.addcmul(h_r[:, n_k:], h_r[:, :n_k], r_pad, value=-1.0).mul_(self.w_pad)
        ones = self.r.new_ones(n_k)
        g_r = radial.sum(1).view(-1).index_select(0, self.place)
        g_w = h_w.transpose(1, 2).reshape(-1, n_k).index_select(0, self.place)
        angle = math.pi / self.grid.rc
        g_r += ((g_w * self.monomials) @ ones) * self.z * (-0.5 * angle) * torch.sin(angle * self.r)
        along = torch.where(self.r > 0, g_r / self.r, 0.0)  # coincident atoms: no direction, no NaN
        g_d = self.zfc[:, None] * monomial_grad(self.d, self.powers, g_w) + along[:, None] * self.d
        return g_d


def monomial(d: torch.Tensor, power: tuple[int, ...], start: torch.Tensor | None = None) -> torch.Tensor | None:
    """start * x^lx y^ly z^lz for every row of d, (P,), computing only the factors that are not 1.

    Returns `start` itself when every exponent is 0 (None when there is nothing to multiply).
    """
    for axis, n in enumerate(power):
        if n:
            factor = d[:, axis] if n == 1 else d[:, axis] ** n
            start = factor if start is None else start * factor
    return start


def monomial_grad(d: torch.Tensor, powers: list[tuple[int, int, int]], g_m: torch.Tensor) -> torch.Tensor:
    """sum_k g_m[:, k] d(monomial_k)/dd, (P, 3), using d(x^lx y^ly z^lz)/dx = lx x^(lx-1) y^ly z^lz."""
    columns = []
    for axis in range(3):
        terms = []
        for k, power in enumerate(powers):
            if power[axis]:
                lower = tuple(n - (a == axis) for a, n in enumerate(power))
                term = monomial(d, lower, start=g_m[:, k])
                terms.append(term if power[axis] == 1 else power[axis] * term)
        columns.append(sum(terms[1:], start=terms[0]) if terms else torch.zeros_like(d[:, 0]))
    return torch.stack(columns, dim=1)
