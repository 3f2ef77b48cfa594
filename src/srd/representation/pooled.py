"""R_str of each crystal: per-atom EAD max- and min-pooled over its atoms, plus d_min, with an analytic gradient.

One autograd Function covers the whole chain positions/lattice -> pair displacements -> per-atom EAD -> pooling and
d_min: the kernel fills preallocated buffers in place, which autograd cannot record, and its gradient is written by
hand (EADSums.grad_disp); the chain rule through the other steps is a few index-adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from srd.representation.ead import EADSums, Pairs
from srd.representation.grid import EADGrid


def displacements(pos: torch.Tensor, cell: torch.Tensor, batch: torch.Tensor, pairs: Pairs) -> torch.Tensor:
    """r_j + image @ cell - r_i for every pair, (P, 3)."""
    rows = cell.reshape(-1, 9).index_select(0, batch.index_select(0, pairs.center))  # (P, 9): the pair's lattice
    image = pairs.image
    disp = pos.index_select(0, pairs.neighbor) - pos.index_select(0, pairs.center)
    for k in range(3):  # + image_k * lattice vector k, without materialising a (P, 3, 3) lattice per pair
        disp.addcmul_(image[:, k:k + 1], rows[:, 3 * k:3 * k + 3])
    return disp


def segment_pool(values: torch.Tensor, batch: torch.Tensor, n_structures: int, reduce: str) -> torch.Tensor:
    """Max or min over the atoms (rows) of each crystal: (n_structures, n_features)."""
    fill = -torch.inf if reduce == "amax" else torch.inf
    out = values.new_full((n_structures, values.shape[1]), fill)
    index = batch[:, None].expand_as(values)
    return out.scatter_reduce(0, index, values, reduce=reduce, include_self=False)


def tied_share(values: torch.Tensor, pooled: torch.Tensor, segment: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Gradient of a max/min pool w.r.t. its inputs, shared evenly among tied rows (autograd's rule for
    scatter_reduce): symmetry-equivalent atoms have equal features. (d_min, a min over pairs, shares the same way in
    StructureDescriptor.backward, over the few tied pairs only.)"""
    tied = values == pooled[segment]
    count = torch.zeros_like(pooled).index_add_(0, segment, tied.to(pooled.dtype))
    return torch.where(tied, (grad / count.clamp_min(1.0))[segment], 0.0)


@dataclass
class _Saved:
    """What the gradient of R_str needs from the forward pass (never R itself: ctx holding its own output would be a
    reference cycle that keeps every step's Gaussians alive until the garbage collector runs)."""

    sums: EADSums
    feats: torch.Tensor
    pooled_max: torch.Tensor
    pooled_min: torch.Tensor
    disp: torch.Tensor
    r: torch.Tensor
    structure: torch.Tensor  # (P,) crystal of each pair
    d_min: torch.Tensor


def _forward(pos: torch.Tensor, cell: torch.Tensor, numbers: torch.Tensor, batch: torch.Tensor, pairs: Pairs,
             grid: EADGrid, keep: bool) -> tuple[torch.Tensor, _Saved]:
    n_structures = cell.shape[0]
    disp = displacements(pos, cell, batch, pairs)
    sums = EADSums(disp, pairs.layout(pos.shape[0]), numbers[pairs.neighbor], pos.shape[0], grid, keep=keep)
    feats = sums.features()
    r, structure = sums.r, batch[pairs.center]
    d_min = r.new_full((n_structures,), torch.inf).scatter_reduce(0, structure, r, reduce="amin", include_self=False)
    pooled_max = segment_pool(feats, batch, n_structures, "amax")
    pooled_min = segment_pool(feats, batch, n_structures, "amin")
    R = torch.cat([pooled_max, pooled_min, d_min[:, None]], dim=1)
    return R, _Saved(sums, feats, pooled_max, pooled_min, disp, r, structure, d_min)


class StructureDescriptor(torch.autograd.Function):
    """structure_descriptor with a hand-written backward w.r.t. positions and lattice.

    Double backward is not supported: reconstruction needs only the first-order gradient for Adam.
    """

    @staticmethod
    def forward(ctx, pos: torch.Tensor, cell: torch.Tensor, numbers: torch.Tensor, batch: torch.Tensor,
                pairs: Pairs, grid: EADGrid) -> torch.Tensor:
        R, ctx.fwd = _forward(pos, cell, numbers, batch, pairs, grid, keep=True)
        ctx.batch, ctx.pairs, ctx.n_atoms, ctx.n_structures = batch, pairs, pos.shape[0], cell.shape[0]
        return R

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        fwd, batch, pairs = ctx.fwd, ctx.batch, ctx.pairs
        n_e = fwd.feats.shape[1]
        g_feats = tied_share(fwd.feats, fwd.pooled_max, batch, grad[:, :n_e])
        g_feats += tied_share(fwd.feats, fwd.pooled_min, batch, grad[:, n_e:2 * n_e])
        g_disp = fwd.sums.grad_disp(g_feats)
        structure = fwd.structure
        # d_min: only the few pairs at the shortest distance get a gradient (d r / d disp = disp / r), shared evenly
        tied = torch.nonzero(fwd.r == fwd.d_min[structure]).squeeze(1)
        tied_structure = structure[tied]
        count = torch.bincount(tied_structure, minlength=ctx.n_structures)
        r_tied = fwd.r[tied]
        g_r = torch.where(r_tied > 0, grad[tied_structure, -1] / (count[tied_structure] * r_tied), 0.0)
        g_disp.index_add_(0, tied, g_r[:, None] * fwd.disp[tied])
        g_pos = g_cell = None
        if ctx.needs_input_grad[0]:
            g_pos = torch.zeros(ctx.n_atoms, 3, dtype=g_disp.dtype, device=g_disp.device)
            g_pos.index_add_(0, pairs.neighbor, g_disp).index_add_(0, pairs.center, -g_disp)
        if ctx.needs_input_grad[1]:
            g_cell = torch.zeros(ctx.n_structures, 3, 3, dtype=g_disp.dtype, device=g_disp.device)
            g_cell.index_add_(0, structure, pairs.image[:, :, None] * g_disp[:, None, :])
        return g_pos, g_cell, None, None, None, None


def structure_descriptor(
    pos: torch.Tensor,
    cell: torch.Tensor,
    numbers: torch.Tensor,
    batch: torch.Tensor,
    pairs: Pairs,
    grid: EADGrid,
) -> torch.Tensor:
    """R_str = [max-pool EAD | min-pool EAD | d_min] of each crystal in the batch, (B, 2 N_e + 1).

    pos: (N, 3) Cartesian positions of all atoms; cell: (B, 3, 3) lattice rows; numbers: (N,) atomic numbers;
    batch: (N,) crystal index of each atom. Differentiable (first order) w.r.t. pos and cell.
    """
    if torch.is_grad_enabled() and (pos.requires_grad or cell.requires_grad):
        return StructureDescriptor.apply(pos, cell, numbers, batch, pairs, grid)
    with torch.no_grad():
        return _forward(pos, cell, numbers, batch, pairs, grid, keep=False)[0]
