"""The crystal record every stage passes around, and its canonical form (method.md, "Structures")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymatgen.core import Lattice, Structure


def lattice_matrix(lattice: np.ndarray, name: str) -> np.ndarray:
    """Lattice vectors as rows from (a, b, c, alpha, beta, gamma); a cell without volume (e.g. angles of 170, 170,
    170) is an error naming `name`, not a division by zero deep in the neighbour search."""
    matrix = Lattice.from_parameters(*lattice).matrix
    if not np.isfinite(matrix).all() or abs(np.linalg.det(matrix)) < 1e-6:
        raise ValueError(f"{name}: lattice {np.round(np.asarray(lattice, dtype=float), 4).tolist()} spans no volume")
    return matrix


@dataclass(frozen=True)
class Crystal:
    """Atomic numbers, fractional coordinates and the six lattice parameters (A, degrees)."""

    numbers: np.ndarray  # (n,) int
    frac: np.ndarray  # (n, 3) float
    lattice: np.ndarray  # (6,) a, b, c, alpha, beta, gamma
    id: str = ""

    @property
    def n_atoms(self) -> int:
        return int(len(self.numbers))

    def matrix(self) -> np.ndarray:
        """Lattice vectors as rows, in pymatgen's standard orientation for these parameters."""
        return lattice_matrix(self.lattice, self.id)

    def cart(self) -> np.ndarray:
        return self.frac @ self.matrix()

    def to_pymatgen(self) -> Structure:
        return Structure(Lattice.from_parameters(*self.lattice), self.numbers.tolist(), self.frac)

    @classmethod
    def from_pymatgen(cls, structure: Structure, id: str = "", canonicalize: bool = True) -> "Crystal":
        """Canonical form as in the CDVAE code: Niggli-reduce, then rebuild the lattice from its parameters."""
        if canonicalize:
            structure = structure.get_reduced_structure()
        lattice = np.array(structure.lattice.parameters, dtype=float)
        numbers = np.array(structure.atomic_numbers, dtype=np.int64)
        return cls(numbers=numbers, frac=np.array(structure.frac_coords, dtype=float), lattice=lattice, id=id)
