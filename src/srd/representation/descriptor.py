"""The full representation R of crystals: EAD block (torch), composition block, lattice block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from srd.representation.ead import Pairs
from srd.representation.pooled import structure_descriptor
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.neighbors import batch_neighbor_list
from srd.structures import Crystal


@dataclass(frozen=True)
class CrystalBatch:
    """Concatenated atoms of several crystals as tensors, plus their neighbour pairs."""

    pos: torch.Tensor  # (N, 3)
    cell: torch.Tensor  # (B, 3, 3)
    numbers: torch.Tensor  # (N,)
    batch: torch.Tensor  # (N,)
    pairs: Pairs

    @classmethod
    def build(
        cls,
        crystals: Sequence[Crystal],
        radius: float,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> "CrystalBatch":
        matrices = [c.matrix() for c in crystals]
        carts = [c.frac @ m for c, m in zip(crystals, matrices)]
        nl = batch_neighbor_list(carts, matrices, radius)
        return cls(
            pos=torch.as_tensor(np.concatenate(carts), dtype=dtype, device=device),
            cell=torch.as_tensor(np.stack(matrices), dtype=dtype, device=device),
            numbers=torch.as_tensor(np.concatenate([c.numbers for c in crystals]), device=device),
            batch=torch.as_tensor(np.repeat(np.arange(len(crystals)), [c.n_atoms for c in crystals]), device=device),
            pairs=Pairs.from_list(nl, device, dtype),
        )

    def structure_descriptor(self, grid: EADGrid) -> torch.Tensor:
        return structure_descriptor(self.pos, self.cell, self.numbers, self.batch, self.pairs, grid)


def composition_block(crystal: Crystal, layout: VectorLayout) -> np.ndarray:
    """[fraction of atoms with Z = 1..96 | n_atoms]."""
    if crystal.numbers.min() < 1 or crystal.numbers.max() > layout.n_elements:
        raise ValueError(f"{crystal.id}: atomic numbers must lie in 1..{layout.n_elements}")
    counts = np.bincount(crystal.numbers - 1, minlength=layout.n_elements)
    return np.append(counts / crystal.n_atoms, crystal.n_atoms)


def representation(
    crystals: Sequence[Crystal], grid: EADGrid, dtype: torch.dtype = torch.float64, device: str = "cpu"
) -> np.ndarray:
    """R of every crystal, (B, layout.size), in float64 numpy."""
    layout = VectorLayout.from_grid(grid)
    out = np.empty((len(crystals), layout.size))
    with torch.no_grad():
        r_str = CrystalBatch.build(crystals, grid.cutoff, dtype, device).structure_descriptor(grid)
    out[:, layout.structure] = r_str.double().cpu().numpy()
    for row, crystal in zip(out, crystals):
        row[layout.composition.start : layout.n_atoms + 1] = composition_block(crystal, layout)
        row[layout.lattice] = crystal.lattice
    return out
