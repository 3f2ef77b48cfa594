"""Positions of a batch of replicas as affine images of free coordinates.

A replica that started from a symmetric start (srd.reconstruct.symmetric.WyckoffMap) is searched over its Wyckoff
generators only: every atom is pos_i = theta[source_i] @ matrix_i + offset_i, so Adam steps and hop moves on theta
keep the start's space group exactly. Replicas without ties are the identity (source_i = i, matrix_i = 1, offset 0).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from srd.reconstruct.symmetric import WyckoffMap


class Ties:
    """Per-atom source row, (3, 3) Cartesian matrix and offset of the concatenated replicas of a batch."""

    def __init__(self, source: torch.Tensor, matrix: torch.Tensor, offset: torch.Tensor) -> None:
        self.source, self.matrix, self.offset = source, matrix, offset

    @staticmethod
    def build(maps: Sequence[WyckoffMap], lattices: Sequence[np.ndarray], dtype: torch.dtype,
              device: torch.device) -> tuple[torch.Tensor, Ties | None]:
        """Free coordinates (Cartesian, one row per atom) of replicas `maps` with lattice rows `lattices`, and their
        ties; None where no replica is tied, so untied batches pay nothing."""
        kw = {"dtype": dtype, "device": device}
        if not any(m.constrained for m in maps):
            return torch.as_tensor(np.concatenate([m.free @ lattice for m, lattice in zip(maps, lattices)]), **kw), None
        first = np.cumsum([0] + [len(m.site) for m in maps])[:-1]
        theta, source, matrix, offset = (np.concatenate(part) for part in zip(*(
            _cartesian(m, lattice, f) for m, lattice, f in zip(maps, lattices, first))))
        ties = Ties(torch.as_tensor(source, device=device), torch.as_tensor(matrix, **kw),
                    torch.as_tensor(offset, **kw))
        return torch.as_tensor(theta, **kw), ties

    def positions(self, theta: torch.Tensor) -> torch.Tensor:
        """Cartesian positions (n_atoms, 3) of free coordinates theta (n_atoms, 3); differentiable."""
        return torch.einsum("ni,nij->nj", theta[self.source], self.matrix) + self.offset

    def select(self, atoms: torch.Tensor) -> Ties:
        """The ties of the atoms kept by boolean mask `atoms` (whole replicas), sources renumbered."""
        renumber = torch.cumsum(atoms.long(), 0) - 1
        return Ties(renumber[self.source[atoms]], self.matrix[atoms], self.offset[atoms])


def _cartesian(m: WyckoffMap, lattice: np.ndarray, first: int) -> tuple[np.ndarray, ...]:
    """Free coordinates, sources (rows from `first`), matrices and offsets of one replica, Cartesian.

    frac_i = rotation_i @ g + shift_i with g = theta_row @ L^-1; as rows, pos_i = theta @ (L^-1 rotation_i^T L) +
    shift_i @ L."""
    return (m.free @ lattice, m.site + first, np.linalg.inv(lattice) @ m.rotation.transpose(0, 2, 1) @ lattice,
            m.shift @ lattice)
