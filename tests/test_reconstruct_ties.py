"""Ties: a batch's positions as affine images of free coordinates (Wyckoff generators of symmetric starts)."""

from __future__ import annotations

import numpy as np
import torch
from pymatgen.core import Lattice

from srd.reconstruct.symmetric import WyckoffMap, draw, lattice_setting
from srd.reconstruct.ties import Ties

# Pnma (every atom on 4c: x, 1/4, z) in an orthorhombic cell, and CsCl-like atoms left free in a cubic one
PNMA = Lattice.orthorhombic(5.4, 7.6, 5.5).matrix
NUMBERS = np.array([20] * 4 + [32] * 4 + [8] * 4)
CUBIC = Lattice.cubic(4.1).matrix


def _on_mirror(start: WyckoffMap) -> np.ndarray:
    """Per axis: every atom at 1/4 or 3/4 along it (every atom on the 4c mirror of a Pnma setting)."""
    return np.all(np.isclose(start.frac % 0.5, 0.25), axis=0)


def _pnma() -> WyckoffMap:
    """A Pnma draw with every atom on 4c (x, 1/4, z in the standard setting)."""
    rng = np.random.default_rng(0)
    draws = (draw(rng, 62, NUMBERS, lattice_setting(PNMA, 0.01)) for _ in range(100))
    return next(s for s in draws if s and _on_mirror(s).any())


def _same_frac(a: np.ndarray, b: np.ndarray) -> bool:
    delta = a - b
    return bool(np.allclose(delta - np.round(delta), 0.0, atol=1e-9))


def test_positions_are_the_maps_atoms_and_untied_batches_pay_nothing() -> None:
    tied, free = _pnma(), WyckoffMap.identity(np.random.default_rng(1).random((2, 3)))
    theta, ties = Ties.build([tied, free], [PNMA, CUBIC], torch.float64, torch.device("cpu"))
    pos = ties.positions(theta).numpy()
    assert _same_frac(pos[:12] @ np.linalg.inv(PNMA), tied.frac) and np.allclose(pos[12:], free.frac @ CUBIC)
    theta_free, none = Ties.build([free], [CUBIC], torch.float64, torch.device("cpu"))
    assert none is None and np.allclose(theta_free.numpy(), free.frac @ CUBIC)


def test_an_atom_moves_only_with_its_sites_generator_and_select_keeps_whole_replicas() -> None:
    """A 4c atom of Pnma sits on a mirror (1/4 or 3/4 along one axis, which axis depends on the drawn setting): its
    coordinate along that axis does not depend on any free coordinate, the other two only on its site's generator.
    select() renumbers the sources so that the kept replica's positions are unchanged."""
    tied = _pnma()
    mirror = int(np.flatnonzero(_on_mirror(tied))[0])
    free = WyckoffMap.identity(np.random.default_rng(2).random((3, 3)))
    theta, ties = Ties.build([free, tied], [CUBIC, PNMA], torch.float64, torch.device("cpu"))
    jacobian = torch.autograd.functional.jacobian(ties.positions, theta)  # (15, 3, 15, 3)
    atom = 3 + 5  # an atom of the tied replica that is not its site's generator row
    assert jacobian[atom, mirror].abs().max() < 1e-12
    rows = (jacobian[atom].abs().sum((0, 2)) > 1e-12).nonzero().flatten().tolist()
    assert rows == [3 + int(tied.site[5])]
    assert torch.autograd.gradcheck(ties.positions, (theta.clone().requires_grad_(True),))
    keep = torch.arange(15) >= 3
    assert torch.allclose(ties.select(keep).positions(theta[keep]), ties.positions(theta)[keep])
