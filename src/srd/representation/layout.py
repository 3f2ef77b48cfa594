"""Where each block lives in R, and how to read n_atoms, composition and lattice back out of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from srd.representation.grid import EADGrid

N_ELEMENTS = 96  # Z = 1..96; heavier structures are rejected at ingestion


@dataclass(frozen=True)
class VectorLayout:
    """R = [EAD max-pool (N_e) | EAD min-pool (N_e) | d_min | fractions Z=1..96 | n_atoms | a b c alpha beta gamma]."""

    n_features: int = 300
    n_elements: int = N_ELEMENTS

    @classmethod
    def from_grid(cls, grid: EADGrid) -> "VectorLayout":
        return cls(n_features=grid.n_features)

    @property
    def ead_max(self) -> slice:
        return slice(0, self.n_features)

    @property
    def ead_min(self) -> slice:
        return slice(self.n_features, 2 * self.n_features)

    @property
    def ead(self) -> slice:
        return slice(0, 2 * self.n_features)

    @property
    def d_min(self) -> int:
        return 2 * self.n_features

    @property
    def structure(self) -> slice:
        """R_str = [EAD max | EAD min | d_min], the target of reconstruction."""
        return slice(0, 2 * self.n_features + 1)

    @property
    def composition(self) -> slice:
        start = 2 * self.n_features + 1
        return slice(start, start + self.n_elements)

    @property
    def n_atoms(self) -> int:
        return 2 * self.n_features + 1 + self.n_elements

    @property
    def lattice(self) -> slice:
        start = self.n_atoms + 1
        return slice(start, start + 6)

    @property
    def size(self) -> int:
        return 2 * self.n_features + self.n_elements + 8

    def block_names(self) -> list[str]:
        """One name per entry of R, for HDF5 attributes and plots."""
        names = [f"ead_max_{i}" for i in range(self.n_features)]
        names += [f"ead_min_{i}" for i in range(self.n_features)]
        names += ["d_min"] + [f"frac_Z{z}" for z in range(1, self.n_elements + 1)] + ["n_atoms"]
        return names + ["a", "b", "c", "alpha", "beta", "gamma"]

    def check(self, R: np.ndarray) -> None:
        if R.shape[-1] != self.size:
            raise ValueError(f"representation has length {R.shape[-1]}, the layout expects {self.size}")
