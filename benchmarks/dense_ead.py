"""The brute-force baseline for speed comparisons: the EAD formula over every image within rc, all etas on all
pairs, one broadcast tensor, plain autograd. It is what a direct transcription of the paper's formula costs."""

from __future__ import annotations

import math

import torch

from srd.representation.ead import Pairs, angular_terms
from srd.representation.pooled import displacements, segment_pool
from srd.representation.grid import EADGrid


def dense_structure_ead(pos: torch.Tensor, cell: torch.Tensor, numbers: torch.Tensor, batch: torch.Tensor,
                        pairs: Pairs, grid: EADGrid) -> torch.Tensor:
    """[max-pool | min-pool] of the per-atom EAD; `pairs` must reach rc (no pruning)."""
    disp = displacements(pos, cell, batch, pairs)
    r = torch.linalg.vector_norm(disp, dim=1)
    fc = 0.5 * (torch.cos(math.pi * r / grid.rc) + 1.0) * (r < grid.rc)
    eta = torch.tensor(grid.etas, dtype=pos.dtype).repeat_interleave(len(grid.mus))
    mu = torch.tensor(grid.mus, dtype=pos.dtype).repeat(len(grid.etas))
    radial = torch.exp(-eta * (r[:, None] - mu) ** 2) * (numbers[pairs.neighbor] * fc)[:, None]
    feats = []
    powers, weights, order_of = angular_terms(grid.orders)
    for order in grid.orders:
        total = 0.0
        for (lx, ly, lz), w, o in zip(powers, weights, order_of):
            if o == order:
                ang = disp[:, 0] ** lx * disp[:, 1] ** ly * disp[:, 2] ** lz
                s = torch.zeros(pos.shape[0], radial.shape[1], dtype=pos.dtype).index_add_(
                    0, pairs.center, ang[:, None] * radial)
                total = total + w * s**2
        feats.append(total)
    feats = torch.cat(feats, dim=1)
    n = cell.shape[0]
    return torch.cat([segment_pool(feats, batch, n, "amax"), segment_pool(feats, batch, n, "amin")], dim=1)
