"""Symmetric starts: random crystals with a space group that the target's lattice admits.

Most crystals of the benchmarks sit on special Wyckoff positions of a high-symmetry group, a set of measure zero
that uniform or snapped starts rarely hit once a cell has more than a few atoms. The lattice is known, so its
Bravais type (from spglib, on the lattice alone) limits the candidate groups; pyxtal draws random crystals of one
of them in the conventional cell, which are mapped back into the target's cell.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import spglib

_CENTERINGS = {"P": "P", "A": "C", "B": "C", "C": "C", "I": "I", "F": "F", "R": "R"}  # A/B/C: one face, any axis
TOLERANCE_FACTOR = 0.5
_SAME_SITE = 1e-3  # fractional distance below which two mapped points are one site


@dataclass(frozen=True)
class LatticeSetting:
    """The target cell seen as a conventional cell: x_conv = transform @ x (spglib's convention)."""

    transform: np.ndarray  # (3, 3)
    conventional: np.ndarray  # (3, 3) rows: conventional lattice vectors
    groups: tuple[int, ...]  # space groups with this lattice's family and centering
    ltype: str  # pyxtal's lattice type of those groups


@lru_cache(maxsize=None)
def _group(number: int):
    """pyxtal's group with its Wyckoff positions (building one takes ~10 ms)."""
    from pyxtal.symmetry import Group

    return Group(number)


_FAMILIES = {"triclinic": (1, 2), "monoclinic": (3, 15), "orthorhombic": (16, 74), "tetragonal": (75, 142),
             "hexagonal": (143, 194), "cubic": (195, 230)}  # trigonal groups share the hexagonal lattices


def _family(number: int) -> str:
    return next(name for name, (low, high) in _FAMILIES.items() if low <= number <= high)


@lru_cache(maxsize=None)
def _groups_of(holohedry: int) -> tuple[int, ...]:
    """Space groups whose lattice is of the Bravais type of `holohedry` (its family and centering)."""
    family, centering = _family(holohedry), _CENTERINGS[_group(holohedry).symbol[0]]
    low, high = _FAMILIES[family]
    return tuple(g for g in range(low, high + 1) if _CENTERINGS[_group(g).symbol[0]] == centering)


def lattice_setting(matrix: np.ndarray, symprec: float) -> LatticeSetting:
    """Bravais type of the lattice alone (one atom at the origin), with tolerance `symprec` in A."""
    data = spglib.get_symmetry_dataset((matrix, [[0.0, 0.0, 0.0]], [1]), symprec=symprec)
    if data is None:  # spglib found nothing even at this tolerance: the lattice is only triclinic
        return LatticeSetting(np.eye(3), matrix.copy(), _groups_of(2), "triclinic")
    transform = np.asarray(data.transformation_matrix, dtype=float)
    groups = _groups_of(int(data.number))
    return LatticeSetting(transform, np.linalg.inv(transform).T @ matrix, groups, _group(groups[-1]).lattice_type)


def symmetric_starts(
    rng: np.random.Generator, count: int, numbers: np.ndarray, setting: LatticeSetting, attempts: int = 3,
) -> np.ndarray:
    """Up to `count` fractional starts (k, n_atoms, 3), atoms in the order of `numbers`; fewer when the groups
    admit the composition only rarely (each start gets `attempts` draws of a group)."""
    species, counts = np.unique(numbers, return_counts=True)
    scale = int(round(1 / abs(np.linalg.det(setting.transform))))  # target cells per conventional cell
    conv_counts = tuple(int(c) * scale for c in counts)
    groups = [g for g in setting.groups if _compatible(g, conv_counts)]
    out = []
    for _ in range(count * attempts):
        if len(out) == count or not groups:
            break
        frac = _draw(rng, int(rng.choice(groups)), species, counts, conv_counts, numbers, setting)
        if frac is not None:
            out.append(frac)
    return np.array(out).reshape(len(out), len(numbers), 3)


@lru_cache(maxsize=4096)
def _compatible(group: int, counts: tuple[int, ...]) -> bool:
    compatible, _ = _group(group).check_compatible(list(counts))
    return bool(compatible)


def _draw(
    rng: np.random.Generator, group: int, species: np.ndarray, counts: np.ndarray, conv_counts: tuple[int, ...],
    numbers: np.ndarray, setting: LatticeSetting,
) -> np.ndarray | None:
    """One random crystal of `group` mapped into the target cell, or None if pyxtal fails or the mapping does not
    give the target's counts (a centering or axis choice that does not fit this cell).

    An orthorhombic lattice's axes are dealt in random order: a group's standard setting fixes which axis is
    which (the glide of Pnma, the face of Amm2), and spglib's order of a, b, c need not be that one."""
    from pyxtal import pyxtal
    from pyxtal.lattice import Lattice

    axes = rng.permutation(3) if setting.ltype == "orthorhombic" else np.arange(3)
    crystal = pyxtal()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lattice = Lattice.from_matrix(setting.conventional[axes], ltype=setting.ltype)
            crystal.from_random(3, group, _symbols(species), list(conv_counts),
                                lattice=lattice, tm=_tolerances(), random_state=int(rng.integers(2**31)))
    except Exception:  # pyxtal raises a range of errors for groups it cannot fill; the draw just fails
        return None
    if not crystal.valid:
        return None
    sites: dict[str, list[np.ndarray]] = {}
    for site in crystal.atom_sites:
        sites.setdefault(site.specie, []).append(site.coords)
    frac = np.empty((len(numbers), 3))
    back = np.linalg.inv(setting.transform)
    for z, symbol, n in zip(species, _symbols(species), counts):
        drawn = np.concatenate(sites.get(symbol, [np.empty((0, 3))]))
        conventional = np.empty_like(drawn)
        conventional[:, axes] = drawn  # back to spglib's order of the axes
        points = conventional @ back.T
        unique = _unique_sites(points - np.floor(points))
        if len(unique) != n:
            return None
        frac[numbers == z] = unique
    return np.where(frac < 1.0, frac, 0.0)  # floor leaves 1.0 for -1e-17


@lru_cache(maxsize=1)
def _tolerances():
    """pyxtal's minimum distances at TOLERANCE_FACTOR x its default: a start only needs atoms apart, the search
    moves them; the default's tighter radii make pyxtal retry for seconds on some cells."""
    from pyxtal.tolerance import Tol_matrix

    return Tol_matrix(prototype="atomic", factor=TOLERANCE_FACTOR)


def _symbols(species: np.ndarray) -> list[str]:
    from pymatgen.core import Element

    return [Element.from_Z(int(z)).symbol for z in species]


def _unique_sites(points: np.ndarray) -> np.ndarray:
    """Distinct points modulo lattice translations (the conventional cell holds several copies of the target's)."""
    kept: list[np.ndarray] = []
    for p in points:
        if all(np.abs((p - q) - np.round(p - q)).max() > _SAME_SITE for q in kept):
            kept.append(p)
    return np.array(kept).reshape(-1, 3)
