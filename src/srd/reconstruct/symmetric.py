"""Symmetric starts: random crystals with a space group that the target's lattice admits.

Most crystals of the benchmarks sit on special Wyckoff positions of a high-symmetry group, a set of measure zero
that uniform or snapped starts rarely hit once a cell has more than a few atoms. The lattice is known, so its
Bravais type (from spglib, on the lattice alone) limits the candidate groups; a start is a random crystal of one of
them: Wyckoff sites (pyxtal's tables) filled with random generators in the conventional cell, mapped back into the
target's cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

import numpy as np
import spglib
from pymatgen.core import Lattice
from pymatgen.util.coord import pbc_diff

from srd.reconstruct.site_prior import NO_SITE_DATA, SitePrior

# Space-group numbers of each lattice family; trigonal groups share the hexagonal lattices.
_FAMILIES = {"triclinic": (1, 2), "monoclinic": (3, 15), "orthorhombic": (16, 74), "tetragonal": (75, 142),
             "hexagonal": (143, 194), "cubic": (195, 230)}
_CENTERINGS = {"P": "P", "A": "C", "B": "C", "C": "C", "I": "I", "F": "F", "R": "R"}  # A/B/C: one face, any axis
# Lower families whose groups of the same centring fit the lattice's conventional cell with its axes permuted (a
# cubic cell is a tetragonal one with a = c): a crystal can be less symmetric than its lattice, e.g. an ABX2Y
# perovskite, P4/mmm on a cubic lattice, where no cubic group holds the composition.
_SUBFAMILIES = {"cubic": ("tetragonal", "orthorhombic", "monoclinic", "triclinic"),
                "tetragonal": ("orthorhombic", "monoclinic", "triclinic"), "orthorhombic": ("monoclinic", "triclinic"),
                "monoclinic": ("triclinic",), "hexagonal": ("triclinic",), "triclinic": ()}
# A group is drawn with probability ~ (its order)^ORDER_POWER: crystals favour the highest symmetry their lattice and
# composition allow. On 400 MP-20 val crystals the true group was among the compatible ones for 92.5 %, with mean
# probability 0.15 drawn uniformly, 0.21 with power 1 and 0.28 with power 2.
ORDER_POWER = 2.0
_MIN_DISTANCE = 0.8  # A between the atoms of a start (the shortest bonds, O-H, are ~0.96 A)
_PLACEMENTS = 20  # tries of a draw's site choice, and of its generators, before the draw fails
_SAME_SITE = 1e-3  # fractional distance below which two mapped points are one site
_PERMUTATIONS = list(permutations(range(3)))
# Axis orders per centring letter of a group: which of the lattice's axes becomes the group's a, b, c. A C-centred
# lattice's c axis must be the group's c for a C group, its a for an A group (the centred face is then b-c).
_AXIS_ORDERS = {"P": _PERMUTATIONS, "I": _PERMUTATIONS, "F": _PERMUTATIONS,
                **{letter: [p for p in _PERMUTATIONS if p[axis] == 2] for axis, letter in enumerate("ABC")}}
# Cell choices of a primitive monoclinic group (unique axis b) as rows a', b', c' over the lattice's a, b, c: its
# glide runs along c' = c, a or a + c, the three classes of glide vectors modulo twice the lattice.
_MONOCLINIC_CHOICES = (np.eye(3), np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]),
                       np.array([[1.0, 0, 0], [0, 1, 0], [1, 0, 1]]))


@dataclass(frozen=True)
class LatticeSetting:
    """The target cell seen as a conventional cell: x_conv = transform @ x (spglib's convention)."""

    transform: np.ndarray  # (3, 3)
    conventional: np.ndarray  # (3, 3) rows: conventional lattice vectors
    groups: tuple[int, ...]  # space groups with this lattice's centering, of its family or a lower one
    family: str  # the lattice's crystal family


@dataclass(frozen=True)
class WyckoffMap:
    """A start whose atoms are affine images of free Wyckoff parameters, in the target's fractional coordinates:
    atom i = rotation[i] @ free[site[i]] + shift[i].

    Row site[i] of `free` is the generator of atom i's site: moving it moves every atom of the site together, so a
    search over the generators stays in the start's space group, with its few free coordinates (two per 4c site of
    Pnma) instead of 3 per atom. A start without symmetry is the identity map (`WyckoffMap.identity`)."""

    free: np.ndarray  # (n_atoms, 3); rows that no atom's site points at are unused
    site: np.ndarray  # (n_atoms,) int
    rotation: np.ndarray  # (n_atoms, 3, 3)
    shift: np.ndarray  # (n_atoms, 3)

    @classmethod
    def identity(cls, frac: np.ndarray) -> WyckoffMap:
        n = len(frac)
        return cls(frac.copy(), np.arange(n), np.broadcast_to(np.eye(3), (n, 3, 3)).copy(), np.zeros((n, 3)))

    @property
    def frac(self) -> np.ndarray:
        """The atoms, wrapped to [0, 1)."""
        x = frac_of(self.rotation, self.free[self.site], self.shift) % 1.0
        return np.where(x < 1.0, x, 0.0)  # % leaves 1.0 for -1e-17

    @property
    def constrained(self) -> bool:
        """Whether any atom is tied to another's parameters or to a special position (not the identity map). A P1
        draw is the identity up to the float noise of spglib's transform, so rotations are compared with a tolerance."""
        return not (np.array_equal(self.site, np.arange(len(self.site)))
                    and np.allclose(self.rotation, np.eye(3), rtol=0.0, atol=1e-9))


@lru_cache(maxsize=None)
def _group(number: int):
    """pyxtal's group with its Wyckoff positions (building one takes ~10 ms)."""
    from pyxtal.symmetry import Group

    return Group(number)


def _family(number: int) -> str:
    return next(name for name, (low, high) in _FAMILIES.items() if low <= number <= high)


@lru_cache(maxsize=None)
def _groups_of(holohedry: int) -> tuple[int, ...]:
    """Space groups that fit a lattice of the Bravais type of `holohedry`: its centering, its family or a lower one."""
    family, centering = _family(holohedry), _CENTERINGS[_group(holohedry).symbol[0]]
    families = {family, *_SUBFAMILIES[family]}
    return tuple(g for g in range(1, 231)
                 if _family(g) in families and _CENTERINGS[_group(g).symbol[0]] == centering)


def lattice_setting(matrix: np.ndarray, symprec: float) -> LatticeSetting:
    """Bravais type of the lattice alone (one atom at the origin), with tolerance `symprec` in A."""
    data = spglib.get_symmetry_dataset((matrix, [[0.0, 0.0, 0.0]], [1]), symprec=symprec)
    if data is None:  # spglib found nothing even at this tolerance: the lattice is only triclinic
        return LatticeSetting(np.eye(3), matrix.copy(), _groups_of(2), "triclinic")
    transform = np.asarray(data.transformation_matrix, dtype=float)
    number = int(data.number)
    return LatticeSetting(transform, np.linalg.inv(transform).T @ matrix, _groups_of(number), _family(number))


def symmetric_starts(rng: np.random.Generator, count: int, numbers: np.ndarray, setting: LatticeSetting,
                     sites: SitePrior = NO_SITE_DATA) -> list[WyckoffMap]:
    """Up to `count` starts, atoms in the order of `numbers`, Wyckoff sites drawn with the weights of `sites`.

    Fewer when the lattice's groups cannot hold the composition (none, or after `count` failed draws: no sites or no
    placement found, or the crystal does not fit the target cell), so a hopeless cell costs at most 2 x count draws. A
    start takes ~3 ms on MP-20 val cells, as much as a spread start (`python benchmarks/reconstruct.py starts`)."""
    probabilities = group_probabilities(numbers, setting)
    groups, p = list(probabilities), np.array(list(probabilities.values()))
    out: list[WyckoffMap] = []
    failures = 0
    while groups and len(out) < count and failures < count:
        start = draw(rng, int(rng.choice(groups, p=p)), numbers, setting, sites)
        if start is None:
            failures += 1
        else:
            out.append(start)
    return out


def group_probabilities(numbers: np.ndarray, setting: LatticeSetting) -> dict[int, float]:
    """The lattice's groups that can hold the composition, each with its chance ~ order^ORDER_POWER per draw."""
    counts = _conventional_counts(numbers, setting)
    groups = [g for g in setting.groups if _compatible(g, counts)]
    weights = np.array([_group(g)[0].multiplicity for g in groups], dtype=float) ** ORDER_POWER  # general position
    return dict(zip(groups, (weights / weights.sum()).tolist()))


def _conventional_counts(numbers: np.ndarray, setting: LatticeSetting) -> tuple[int, ...]:
    """Atoms per species (in increasing Z) in the conventional cell, which holds 1/det(transform) target cells."""
    scale = int(round(1 / abs(np.linalg.det(setting.transform))))
    return tuple(int(c) * scale for c in np.unique(numbers, return_counts=True)[1])


@lru_cache(maxsize=4096)
def _compatible(group: int, counts: tuple[int, ...]) -> bool:
    compatible, _ = _group(group).check_compatible(list(counts))
    return bool(compatible)


def draw(rng: np.random.Generator, group: int, numbers: np.ndarray, setting: LatticeSetting,
         sites: SitePrior = NO_SITE_DATA) -> WyckoffMap | None:
    """One random crystal of `group` mapped into the target cell, or None if no choice of Wyckoff sites holds the
    composition, the atoms come too close, or every placement collapses an orbit (`_place`).

    The group's setting is dealt at random: its standard setting fixes which axis is which (the glide of Pnma, the
    face of Amm2, the 4-fold axis of a tetragonal group on a cubic lattice, the glide of P2_1/c in the a-c plane),
    and spglib's cell of the lattice alone need not be that one."""
    cell = _cell_choice(rng, group, setting)
    chosen = _choose_sites(rng, group, _conventional_counts(numbers, setting), sites)
    if chosen is None:
        return None
    # Drawn (the group's setting of the conventional cell) -> target fractional coordinates: x = to_target @ x_drawn.
    to_target = np.linalg.inv(setting.transform) @ cell.T
    to_drawn = np.linalg.inv(to_target)
    orbits = [[(wp, *_orbit(wp.ops, to_target, to_drawn)) for wp in positions] for positions in chosen]
    species, counts = np.unique(numbers, return_counts=True)
    # sites without free coordinates place the same atoms every time: one try tells
    tries = _PLACEMENTS if any(wp.get_dof() for positions in chosen for wp in positions) else 1
    for _ in range(tries):
        start = _place(rng, orbits, species, counts, numbers, to_target)
        if start is not None and _apart(start.frac, setting):
            return start
    return None


def _cell_choice(rng: np.random.Generator, group: int, setting: LatticeSetting) -> np.ndarray:
    """A random integer matrix M: the group's conventional cell is M @ setting.conventional (rows: axes).

    Axes are dealt in random order for an orthorhombic group, and for a tetragonal or monoclinic one on a lattice of
    a higher family; on a one-face-centred lattice (spglib puts the centring on the a-b face) the order keeps that
    face where the group has its own. A primitive monoclinic group's glide runs along a, c or a+c of the lattice's
    cell (13 of 20 P2_1/c crystals of MP-20 val: a+c), so one of those three cell choices is dealt too (to every
    primitive monoclinic group: for those without a glide it is another cell of the same crystals, harmless)."""
    cell = np.eye(3)
    family, centring = _family(group), _group(group).symbol[0]
    if family == "orthorhombic" or (family != setting.family and family in ("tetragonal", "monoclinic")):
        orders = _AXIS_ORDERS.get(centring, _AXIS_ORDERS["P"])
        cell = cell[list(orders[rng.integers(len(orders))])]
    if family == "monoclinic" and centring == "P":
        cell = _MONOCLINIC_CHOICES[rng.integers(len(_MONOCLINIC_CHOICES))] @ cell
    return cell


@lru_cache(maxsize=None)
def _site_weights(group: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Per Wyckoff position of the group: its data-free draw weight, multiplicity x (1 + free coordinates); whether
    it is fixed (no free coordinates); its letter."""
    positions = _group(group).Wyckoff_positions
    dof = np.array([wp.get_dof() for wp in positions])
    return (np.array([wp.multiplicity for wp in positions]) * (1.0 + dof), dof == 0,
            tuple(wp.letter for wp in positions))


def _choose_sites(rng: np.random.Generator, group: int, counts: tuple[int, ...],
                  sites: SitePrior = NO_SITE_DATA) -> list[list] | None:
    """Wyckoff positions per species whose multiplicities add up to its count, drawn one orbit at a time with the
    weights of `sites` (site_prior). Without data a site weighs multiplicity x (1 + free coordinates): real crystals
    fill few orbits and favour sites with free coordinates (the three 4c orbits of Pnma ABX3, where pyxtal's choice,
    uniform over letters, mostly takes the fixed 4a and 4b). A site without free coordinates holds one orbit, so it
    is used once; None after _PLACEMENTS dead ends."""
    positions = _group(group).Wyckoff_positions
    heuristic, fixed, letters = _site_weights(group)
    weights = sites.weights(group, letters, heuristic)
    for _ in range(_PLACEMENTS):
        used = np.zeros(len(positions), dtype=bool)
        chosen: list[list] = []
        for count in counts:
            species, left = [], count
            while left > 0:
                fits = np.array([wp.multiplicity <= left for wp in positions]) & ~(fixed & used)
                if not fits.any():
                    break
                k = int(rng.choice(len(positions), p=weights * fits / (weights * fits).sum()))
                used[k] = True
                species.append(positions[k])
                left -= positions[k].multiplicity
            if left:
                break
            chosen.append(species)
        else:
            return chosen
    return None


def _place(rng: np.random.Generator, orbits: list[list], species: np.ndarray, counts: np.ndarray, numbers: np.ndarray,
           to_target: np.ndarray) -> WyckoffMap | None:
    """The chosen orbits ((site, rot, off) per species, `_orbit`) with random generators (a uniform point projected
    onto each site), in the target cell. None if the orbits do not give the target's counts: a generator within
    _SAME_SITE of a special position collapses its orbit (rare), or, a guard, a cell choice whose centring does not
    fit the cell (`_cell_choice` deals none)."""
    free, site_of = np.empty((len(numbers), 3)), np.empty(len(numbers), dtype=int)
    rotation, shift = np.empty((len(numbers), 3, 3)), np.empty((len(numbers), 3))
    for z, n, species_orbits in zip(species, counts, orbits):
        rows = np.flatnonzero(numbers == z)
        kept = 0
        for wp, rot, off in species_orbits:
            generator = to_target @ (wp.ops[0].operate(rng.random(3)) % 1.0)
            points = rot @ generator + off
            off = off - np.floor(points)  # wrapped into the cell
            taken = frac_of(rotation[rows[:kept]], free[site_of[rows[:kept]]], shift[rows[:kept]])
            new = _unique_sites(points - np.floor(points), taken)
            if kept + len(new) > n:
                return None
            if not len(new):  # every atom of this orbit already placed by another: it adds nothing
                continue
            at = rows[kept:kept + len(new)]
            free[at], site_of[at], rotation[at], shift[at] = generator, at[0], rot[new], off[new]
            kept += len(new)
        if kept != n:
            return None
    return WyckoffMap(free, site_of, rotation, shift)


def _apart(frac: np.ndarray, setting: LatticeSetting) -> bool:
    """Whether every two atoms are at least _MIN_DISTANCE apart (nearest images): a start only needs its atoms
    apart, the search moves them."""
    distance = Lattice(setting.transform.T @ setting.conventional).get_all_distances(frac, frac)  # the target's cell
    return bool((distance + np.eye(len(frac)) * _MIN_DISTANCE >= _MIN_DISTANCE).all())


def frac_of(rotation: np.ndarray, free: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Atoms x_i = rotation_i @ free_i + shift_i (any number of leading dimensions)."""
    return np.einsum("...ij,...j->...i", rotation, free) + shift


def _orbit(ops, to_target: np.ndarray, to_drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Wyckoff site as an affine image of its generator g in target coordinates: point k = rot[k] @ g + off[k].

    pyxtal's first operation projects onto the site (x, 1/4, z for Pnma 4c), the others map it around the orbit, so
    op_k(op_0(g)) is the site's k-th atom for any g, and moving g moves them all together."""
    first = ops[0]
    rot = np.stack([to_target @ op.rotation_matrix @ first.rotation_matrix @ to_drawn for op in ops])
    off = np.stack([to_target @ (op.rotation_matrix @ first.translation_vector + op.translation_vector) for op in ops])
    return rot, off


def _unique_sites(points: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Indices of the points that are distinct modulo lattice translations (the conventional cell holds several
    copies of the target's), each kept at its first occurrence, and not on any of the points already `taken`."""
    same = np.abs(pbc_diff(points[:, None], points[None])).max(-1) < _SAME_SITE
    fresh = ~np.tril(same, -1).any(1)
    if len(taken):
        fresh &= ~(np.abs(pbc_diff(points[:, None], taken[None])).max(-1) < _SAME_SITE).any(1)
    return np.flatnonzero(fresh)
