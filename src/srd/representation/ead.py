"""Embedded Atom Density in torch: per-atom features, and the sums their analytic gradient needs (pooling and the
chain rule to positions live in srd.representation.pooled).

    rho_i(L, eta, mu) = sum_{lx+ly+lz=L} L!/(lx! ly! lz!) * (sum_j Z_j x^lx y^ly z^lz exp(-eta (r_ij - mu)^2) fc(r_ij))^2

Everything is vectorised over pairs, atoms and crystals of a batch (concatenated atoms, a `batch` index per atom).
Each eta only visits the pairs its Gaussians can reach (grid tolerance), which is where most of the speed comes from:
the narrow eta = 20, 90 Gaussians need ~1/5 of the pairs that eta = 1 needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate, product, repeat
from typing import Iterator

import torch

from srd.representation.grid import EADGrid
from srd.representation.neighbors import NeighborList


@dataclass(frozen=True)
class Pairs:
    """Torch view of a NeighborList on one device."""

    center: torch.Tensor  # (P,) long
    neighbor: torch.Tensor  # (P,) long
    image: torch.Tensor  # (P, 3) float

    @classmethod
    def from_list(cls, nl: NeighborList, device: torch.device | str, dtype: torch.dtype) -> "Pairs":
        return cls(
            center=torch.as_tensor(nl.center, device=device),
            neighbor=torch.as_tensor(nl.neighbor, device=device),
            image=torch.as_tensor(nl.image, device=device, dtype=dtype),
        )


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


def ead_per_atom(
    disp: torch.Tensor, center: torch.Tensor, z_neighbor: torch.Tensor, n_atoms: int, grid: EADGrid
) -> torch.Tensor:
    """Per-atom EAD features (n_atoms, N_e), ordered (order, eta, mu), of the pair displacements `disp`.

    Not differentiable by autograd: gradients come from `EADSums.grad_disp`, which `srd.representation.pooled`
    chains through pooling and displacements (recording every padded temporary for autograd would cost more than
    the forward itself).
    """
    with torch.no_grad():
        return EADSums(disp, center, z_neighbor, n_atoms, grid, keep=False).features()


ATOMS_PER_BLOCK = 64  # rows of a block share one padded width; ranked rows keep it near each row's own count


class EADSums:
    """The sums S_k(i, eta, mu) = sum_j W_k(ij) exp(-eta (r_ij - mu)^2), with W_k = Z_j fc(r_ij) x^lx y^ly z^lz.

    Pairs are laid out once, padded, as (atoms ranked by neighbour count, neighbours by reach level): each block of
    ATOMS_PER_BLOCK rows pads to a similar width, and the pairs an eta can reach (r < eta_reach) are a prefix of
    every row, so each eta contracts a slice of the same layout with one batched matmul (K, width) @ (width, n_mu).
    Padding has W = 0 and contributes nothing. With `keep`, the Gaussians of every (eta, block) are kept for
    `grad_disp`.
    """

    def __init__(self, disp: torch.Tensor, center: torch.Tensor, z_neighbor: torch.Tensor, n_atoms: int,
                 grid: EADGrid, keep: bool) -> None:
        dtype, device = disp.dtype, disp.device
        self.grid, self.n_atoms = grid, n_atoms
        self.reaches = eta_reach(grid)
        self.d, self.r = disp, torch.linalg.vector_norm(disp, dim=1)
        # Level of a pair: how many reaches it is not within (level n_levels: beyond every reach, as neighbour lists
        # with a skin hold). Those pairs stay in the layout with Z = 0: they weigh nothing and get no gradient, which
        # is cheaper than gathering every per-pair tensor down to the pairs in reach.
        thresholds = sorted(set(self.reaches))
        n_levels = len(thresholds)
        level = torch.bucketize(self.r, torch.tensor(thresholds, dtype=dtype, device=device), right=True)
        self.z = torch.where(level < n_levels, z_neighbor.to(dtype), 0.0)  # every reach is < rc: fc needs no mask
        self.zfc = self.z * 0.5 * (torch.cos(math.pi * self.r / grid.rc) + 1.0)
        self.powers, weights, order_of = angular_terms(grid.orders)
        self.weight = torch.tensor(weights, dtype=dtype, device=device)
        self.order_index = torch.tensor([grid.orders.index(o) for o in order_of], device=device)
        self.mu = torch.tensor(grid.mus, dtype=dtype, device=device)
        ones = torch.ones_like(self.r)
        self.monomials = torch.stack([monomial(self.d, p) if any(p) else ones for p in self.powers], dim=1)  # (P, K)

        # An eta reaches exactly the pairs of level <= its own reach's rank, so ordering each row by level (then pair
        # order, independent of the batch) makes them a prefix.
        counts = torch.bincount(center, minlength=n_atoms)
        self.atom_of_row = torch.argsort(counts, stable=True)
        self.row_of_atom = torch.empty_like(self.atom_of_row)
        self.row_of_atom[self.atom_of_row] = torch.arange(n_atoms, device=device)
        row = self.row_of_atom.index_select(0, center)
        key = row * (n_levels + 1) + level
        layout = torch.argsort(key, stable=True)
        row_counts = counts.index_select(0, self.atom_of_row)
        starts = torch.cumsum(row_counts, 0) - row_counts
        width = max(int(row_counts.max()), 1)
        self.place = torch.empty_like(row)  # each pair's place in the flattened (rows, width) layout
        row_sorted = row.index_select(0, layout)
        self.place[layout] = row_sorted * width + torch.arange(len(layout), device=device) - starts[row_sorted]
        n_blocks = -(-n_atoms // ATOMS_PER_BLOCK)
        per_level = torch.bincount(key, minlength=n_blocks * ATOMS_PER_BLOCK * (n_levels + 1))
        within = per_level.view(n_blocks, ATOMS_PER_BLOCK, n_levels + 1).cumsum(2).amax(1)  # (block, level)
        ranks = torch.tensor([thresholds.index(reach) for reach in self.reaches], device=device)
        self.widths = within[:, ranks].T.tolist()  # (eta, block)
        self.r_pad = self.r.new_zeros(n_atoms * width).index_copy_(0, self.place, self.r).view(n_atoms, width)
        self.w_pad = self.r.new_zeros(n_atoms * width, len(self.powers)).index_copy_(
            0, self.place, self.monomials * self.zfc[:, None]
        ).view(n_atoms, width, len(self.powers))

        self.kept: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = []  # per block: g, W, in reach
        self.sums = self.r.new_empty(len(grid.etas), n_atoms, len(self.powers), len(grid.mus))  # rows: layout order
        # The Gaussians of all blocks share one buffer (kept: back to back; else: reused): one allocation per call,
        # which the allocator can hand back next call instead of mapping (and page-faulting) fresh memory.
        shapes = [(rows.stop - rows.start, width, len(grid.mus)) for _, rows, width in self.blocks()]
        sizes = [math.prod(shape) for shape in shapes]
        buffer = self.r.new_empty(sum(sizes) if keep else max(sizes))
        offsets = accumulate(sizes, initial=0) if keep else repeat(0)
        for (e, rows, width), shape, offset in zip(self.blocks(), shapes, offsets):
            g = buffer[offset:offset + math.prod(shape)].view(shape)
            self.gaussians(self.r_pad[rows, :width], grid.etas[e], out=g)
            w, inside = self.reached(e, rows, width)
            self.sums[e, rows] = torch.bmm(w.transpose(1, 2), g)
            if keep:
                self.kept.append((g, w, inside))

    def blocks(self) -> Iterator[tuple[int, slice, int]]:
        """(eta index, row slice, width) of every block, in the order the Gaussians are kept."""
        for e, widths in enumerate(self.widths):
            for b, width in enumerate(widths):
                yield e, slice(b * ATOMS_PER_BLOCK, min((b + 1) * ATOMS_PER_BLOCK, self.n_atoms)), width

    def reached(self, e: int, rows: slice, width: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """W of a block with the pairs beyond eta's reach zeroed, and the mask (None: all in reach).

        A row's slice may hold a few such pairs (its width is set by the block's widest row); dropping them keeps every
        atom's features independent of its block. Pairs beyond the largest reach have W = 0 already.
        """
        w = self.w_pad[rows, :width]
        if self.reaches[e] == max(self.reaches):
            return w, None
        inside = (self.r_pad[rows, :width] < self.reaches[e])[..., None]
        return w * inside, inside

    def gaussians(self, r_pad: torch.Tensor, eta: float, out: torch.Tensor) -> None:
        """out = exp(-eta (r - mu)^2), (rows, width, n_mu); arguments far below log(tolerance) contribute nothing
        measurable and are clamped, which avoids float32 denormals."""
        floor = -math.log(1.0 / self.grid.tolerance) - 10.0
        scale = math.sqrt(eta)
        dist = torch.sub((r_pad * scale)[..., None], self.mu * scale, out=out)
        torch.addcmul(self.r.new_zeros(()), dist, dist, value=-1.0, out=dist).clamp_min_(floor).exp_()

    def features(self) -> torch.Tensor:
        """rho = sum_k weight_k S_k^2 per order, (n_atoms, N_e) ordered (order, eta, mu)."""
        n_eta, _, _, n_mu = self.sums.shape
        squares = self.weight[:, None] * self.sums * self.sums
        rho = squares.new_zeros(n_eta, self.n_atoms, len(self.grid.orders), n_mu).index_add_(
            2, self.order_index, squares
        )
        return rho[:, self.row_of_atom].permute(1, 2, 0, 3).reshape(self.n_atoms, -1)

    def grad_disp(self, grad: torch.Tensor) -> torch.Tensor:
        """dL/d(disp), (n_pairs, 3), from dL/d(features).

        dL/dS_k = 2 weight_k S_k dL/drho_order(k). Per pair, dL/dW_k = sum_mu dL/dS_k g_mu and the Gaussians'
        d/dr = sum_k W_k sum_mu dL/dS_k (-2 eta (r - mu)) g_mu: both come from one batched matmul of the kept
        Gaussians with [dL/dS_k | mu dL/dS_k]. The chain through W_k = Z fc(r) x^lx y^ly z^lz then runs per pair.
        """
        n_eta, _, n_k, n_mu = self.sums.shape
        g_rho = grad.reshape(self.n_atoms, len(self.grid.orders), n_eta, n_mu).permute(2, 0, 1, 3)
        g_sums = 2.0 * self.weight[:, None] * self.sums * g_rho[:, self.atom_of_row][:, :, self.order_index]
        rhs = torch.cat([g_sums, g_sums * self.mu], dim=2).transpose(2, 3)  # (eta, rows, n_mu, 2K)
        g_w = torch.zeros_like(self.w_pad)
        g_r = torch.zeros_like(self.r_pad)
        for (e, rows, width), (g, w, inside) in zip(self.blocks(), self.kept):
            h = torch.bmm(g, rhs[e, rows])  # (rows, width, 2K)
            g_w[rows, :width] += h[..., :n_k] if inside is None else h[..., :n_k] * inside
            radial = torch.addcmul(-h[..., n_k:], h[..., :n_k], self.r_pad[rows, :width, None])
            g_r[rows, :width] += (radial * w).sum(2).mul_(-2.0 * self.grid.etas[e])
        g_w = g_w.view(-1, n_k).index_select(0, self.place)
        g_r = g_r.view(-1).index_select(0, self.place)
        angle = math.pi / self.grid.rc
        g_r += (g_w * self.monomials).sum(1) * self.z * (-0.5 * angle) * torch.sin(angle * self.r)
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
