"""Symmetric starts: random crystals of a space group the target's lattice admits, mapped into the target's cell."""

from __future__ import annotations

import numpy as np
import pytest
import spglib
from pymatgen.core import Lattice

from srd.reconstruct import symmetric
from srd.reconstruct.symmetric import WyckoffMap, draw, group_probabilities, lattice_setting, symmetric_starts

FCC_PRIMITIVE = Lattice.cubic(5.64).matrix @ np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])


def _fracs(rng: np.random.Generator, count: int, numbers: np.ndarray, setting) -> np.ndarray:
    """symmetric_starts as an array of fractional coordinates (k, n_atoms, 3)."""
    starts = symmetric_starts(rng, count, numbers, setting)
    return np.array([s.frac for s in starts]).reshape(len(starts), len(numbers), 3)


def _pair_distance(frac: np.ndarray, matrix: np.ndarray) -> float:
    delta = frac[1] - frac[0]
    images = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    return float(np.linalg.norm((delta - np.round(delta) + images) @ matrix, axis=1).min())


def test_lattice_setting_finds_bravais_type_and_its_groups() -> None:
    fcc = lattice_setting(FCC_PRIMITIVE, 0.01)
    assert fcc.family == "cubic"
    assert fcc.groups == (22, 42, 43, 69, 70, 196, 202, 203, 209, 210, 216, 219, 225, 226, 227, 228)  # + oF groups
    assert np.allclose(np.abs(np.linalg.det(fcc.conventional)), 4 * abs(np.linalg.det(FCC_PRIMITIVE)))
    assert np.allclose(Lattice(fcc.conventional).abc, (5.64,) * 3)
    hexagonal = lattice_setting(Lattice.hexagonal(3.2, 5.1).matrix, 0.01)
    assert 150 in hexagonal.groups and 194 in hexagonal.groups  # trigonal P groups live on hexagonal lattices
    assert 166 not in hexagonal.groups  # rhombohedral ones do not
    assert {1, 2} <= set(hexagonal.groups) and 14 not in hexagonal.groups  # a monoclinic cell would need new axes
    triclinic = lattice_setting(Lattice.from_parameters(4.1, 5.3, 6.7, 71, 83, 97).matrix, 0.01)
    assert triclinic.groups == (1, 2) and triclinic.family == "triclinic"
    body_centred = lattice_setting(Lattice.cubic(3.3).matrix @ (np.ones((3, 3)) / 2 - np.eye(3)), 0.01)
    assert {139, 71, 229} <= set(body_centred.groups) and not {123, 47, 12, 2} & set(body_centred.groups)


def test_symmetric_starts_in_a_primitive_fcc_cell_are_rock_salt_or_zincblende() -> None:
    """One Na and one Cl in a primitive fcc cell: every F-centred group puts them at a/2 (Fm-3m) or a*sqrt(3)/4
    (F-43m) from each other; a wrong transform between conventional and primitive cell gives other distances or
    the wrong number of atoms."""
    numbers = np.array([11, 17])
    setting = lattice_setting(FCC_PRIMITIVE, 0.01)
    starts = _fracs(np.random.default_rng(0), 12, numbers, setting)
    assert starts.shape == (12, 2, 3)
    distances = np.array([_pair_distance(f, FCC_PRIMITIVE) for f in starts])
    assert np.all(np.isclose(distances, 5.64 / 2) | np.isclose(distances, 5.64 * np.sqrt(3) / 4)), distances
    groups = {spglib.get_symmetry_dataset((FCC_PRIMITIVE, f, numbers), symprec=1e-3).number for f in starts}
    assert groups <= {216, 225}


def test_symmetric_starts_keep_species_order_and_counts() -> None:
    """Rutile-like TiO2 on a tetragonal lattice: the atoms come back in the order of `numbers` (each tied to a
    generator of its own species), all distinct."""
    matrix = Lattice.tetragonal(4.59, 2.96).matrix
    numbers = np.array([8, 22, 8, 8, 22, 8])
    maps = symmetric_starts(np.random.default_rng(1), 8, numbers, lattice_setting(matrix, 0.01))
    assert len(maps) > 0
    for frac in (m.frac for m in maps):
        delta = frac[:, None] - frac[None]
        delta -= np.round(delta)
        separation = np.linalg.norm(delta @ matrix, axis=-1) + np.eye(len(numbers)) * 1e3
        assert separation.min() > 0.1  # no atom duplicated by the conventional -> target mapping
        symmetry = spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-3)
        assert 2 <= symmetry.number <= 142  # tetragonal or a lower family, as drawn; never P1 with these draws
    assert all(np.array_equal(numbers[m.site], numbers) for m in maps)


def test_symmetric_starts_are_reproducible_from_the_seed() -> None:
    """Free Wyckoff coordinates included (TiO2 on a tetragonal lattice): site choice, cell choice and generators all
    come from the one generator."""
    setting = lattice_setting(Lattice.tetragonal(4.59, 2.96).matrix, 0.01)
    numbers = np.array([8, 22, 8, 8, 22, 8])
    first = _fracs(np.random.default_rng(5), 6, numbers, setting)
    assert len(first) == 6
    assert np.array_equal(first, _fracs(np.random.default_rng(5), 6, numbers, setting))
    assert not np.array_equal(first, _fracs(np.random.default_rng(6), 6, numbers, setting))


def _four_fold_axes(frac: np.ndarray, matrix: np.ndarray, numbers: np.ndarray) -> set[int]:
    """Lattice axes along which the crystal has a 4-fold rotation (a 90 degree rotation has trace 1)."""
    rotations = spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-3).rotations
    return {int(np.argmax(np.diag(r))) for r in rotations if np.trace(r) == 1 and round(np.linalg.det(r)) == 1}


def test_a_cubic_lattice_admits_tetragonal_groups_along_each_axis() -> None:
    """SrTiO2N, one ABX2Y perovskite cell on a cubic lattice: no cubic group holds two O and one N, P4/mmm does.
    Tetragonal draws put the 4-fold axis along each of the three cubic axes (without dealing the axes in random
    order it would always be c)."""
    matrix = Lattice.cubic(3.9).matrix
    numbers = np.array([38, 22, 8, 8, 7])
    setting = lattice_setting(matrix, 0.01)
    p = group_probabilities(numbers, setting)
    assert 123 in p and not any(g >= 195 for g in p)
    starts = _fracs(np.random.default_rng(3), 60, numbers, setting)
    assert len(starts) == 60
    axes = [_four_fold_axes(f, matrix, numbers) for f in starts]
    assert all(len(a) <= 1 for a in axes)  # never cubic
    assert set().union(*axes) == {0, 1, 2}


# Amm2, Cmcm, Cmmm, C2/m on a C-centred lattice; Pmm2, Pmma, P2_1/c on a primitive one
@pytest.mark.parametrize("group", [38, 63, 65, 12, 25, 51, 14])
def test_draws_on_an_orthorhombic_lattice_fit_the_cell_in_every_axis_order(
    group: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A random cell choice is dealt per draw (a group's standard setting fixes its axes), more than one per group.
    On a C-centred lattice only orders that keep the centred face where the drawn group has it map back into the
    target cell (a wrong one gives the wrong number of atoms), so placements of an A or C group fail only rarely (a
    generator within 1e-3 of a special position collapses its orbit), and a draw fails only when its sites cannot keep
    the atoms apart; each start stays orthorhombic, or monoclinic where the group is."""
    dealt, placed = [], []
    choice, place = symmetric._cell_choice, symmetric._place
    monkeypatch.setattr(symmetric, "_cell_choice", lambda *args: dealt.append(choice(*args)) or dealt[-1])
    monkeypatch.setattr(symmetric, "_place", lambda *args: placed.append(place(*args)) or placed[-1])
    matrix = Lattice.orthorhombic(3.1, 4.7, 6.3).matrix
    if group in (38, 63, 65, 12):
        matrix = np.array([[0.5, -0.5, 0], [0.5, 0.5, 0], [0, 0, 1]]) @ matrix
    numbers = np.array([12, 12, 8, 8])
    setting = lattice_setting(matrix, 0.01)
    assert group in setting.groups
    rng = np.random.default_rng(group)
    starts = [start for start in (draw(rng, group, numbers, setting) for _ in range(12)) if start is not None]
    assert sum(p is None for p in placed) <= len(placed) / 10 and len(starts) >= 6
    assert len({m.tobytes() for m in dealt}) > 1
    for frac in (start.frac for start in starts):
        assert (3 if group < 16 else 16) <= spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-3).number <= 74


def _glides(frac: np.ndarray, matrix: np.ndarray, numbers: np.ndarray) -> set[tuple[float, float]]:
    """(a, c) translations of the glide reflections perpendicular to b of a crystal, in its cell's coordinates."""
    data = spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-3)
    mirror = np.diag([1, -1, 1])
    return {(round(t[0] % 1, 3), round(t[2] % 1, 3)) for r, t in zip(data.rotations, data.translations)
            if np.array_equal(r, mirror) and not np.allclose(t[[0, 2]] % 1, 0)}


def test_monoclinic_draws_put_the_glide_along_a_c_and_a_plus_c() -> None:
    """P2_1/c on a primitive monoclinic lattice: its glide runs along c, a or a + c of a given cell (P2_1/c, P2_1/a,
    P2_1/n), three different crystals; the draws deal all three, where the group's standard setting alone would put
    every glide along the c of spglib's cell."""
    matrix = Lattice.monoclinic(5.1, 6.3, 4.2, 104).matrix
    numbers = np.array([30] * 4 + [8] * 4)
    setting = lattice_setting(matrix, 0.01)
    rng = np.random.default_rng(14)
    starts = [draw(rng, 14, numbers, setting) for _ in range(30)]
    # those with an atom on a free site (all on the fixed 2a-2d sites have a higher group)
    general = [s for s in starts if spglib.get_symmetry_dataset((matrix, s.frac, numbers), symprec=1e-3).number == 14]
    assert len(general) >= 15
    glides = [_glides(s.frac, matrix, numbers) for s in general]
    assert all(len(g) == 1 for g in glides)
    assert set().union(*glides) == {(0.0, 0.5), (0.5, 0.0), (0.5, 0.5)}


def test_sites_with_free_coordinates_are_favoured_and_atoms_kept_apart() -> None:
    """Pnma with 4 + 4 + 4 atoms (CaSO3-like, all on 4c in many real ABX3 cells): sites are drawn ~ multiplicity x
    (1 + free coordinates), so every species on 4c (weight 12 against 4 for each of 4a, 4b) is common, where a
    choice uniform over the letters makes it 1 in 27; no start has two atoms closer than 0.8 A."""
    matrix = Lattice.orthorhombic(5.4, 7.6, 5.5).matrix
    numbers = np.array([20] * 4 + [16] * 4 + [8] * 4)
    setting = lattice_setting(matrix, 0.01)
    rng = np.random.default_rng(62)
    starts = [draw(rng, 62, numbers, setting) for _ in range(100)]
    assert all(s is not None for s in starts)
    all_on_4c = [s for s in starts if spglib.get_symmetry_dataset((matrix, s.frac, numbers), symprec=1e-3)
                 .wyckoffs == ["c"] * 12]
    assert 0.15 < len(all_on_4c) / len(starts) < 0.6
    for s in starts:
        delta = s.frac[:, None] - s.frac[None]
        delta -= np.round(delta)
        assert (np.linalg.norm(delta @ matrix, axis=-1) + 10 * np.eye(12)).min() >= 0.8


def test_a_site_without_free_coordinates_holds_one_species() -> None:
    """NaCl (4 + 4 atoms) in Fm-3m: only the fixed 4a and 4b fit 4 atoms, so the two species take one each; drawing
    each species independently would put both on the same site in half the draws."""
    for seed in range(40):
        sites = symmetric._choose_sites(np.random.default_rng(seed), 225, (4, 4))
        assert sites is not None
        assert sorted(wp.letter for species in sites for wp in species) == ["a", "b"]


def test_a_cell_too_small_for_its_atoms_gives_no_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two atoms in a 0.9 A cubic cell are at most 0.78 A apart (CsCl): closer than 0.8 A in every group, so no start
    and no error. Pm-3m holds them only on its fixed 1a and 1b, which place the same atoms every time: one try."""
    setting = lattice_setting(Lattice.cubic(0.9).matrix, 0.01)
    numbers = np.array([11, 17])
    assert symmetric_starts(np.random.default_rng(0), 5, numbers, setting) == []
    placed = []
    place = symmetric._place
    monkeypatch.setattr(symmetric, "_place", lambda *args: placed.append(place(*args)) or placed[-1])
    assert draw(np.random.default_rng(0), 221, numbers, setting) is None and len(placed) == 1


def test_a_triclinic_p1_start_leaves_every_atom_free() -> None:
    """P1 on a triclinic lattice maps its atoms through spglib's transform and back, which is the identity only up to
    float noise: the start must still count as unconstrained (free), not as tied to a group."""
    setting = lattice_setting(Lattice.from_parameters(4.1, 5.3, 6.7, 101, 113, 97).matrix, 0.01)
    starts = [draw(np.random.default_rng(seed), 1, np.array([8, 8, 22]), setting) for seed in range(5)]
    assert all(s is not None and not s.constrained for s in starts)
    inversion = [draw(np.random.default_rng(seed), 2, np.array([8, 8, 22, 22]), setting) for seed in range(5)]
    assert any(inversion) and all(s.constrained for s in inversion if s is not None)  # P-1 ties atom pairs


def test_groups_are_drawn_in_proportion_to_order_squared() -> None:
    """NaCl in a primitive fcc cell: Fm-3m has 192 operations, F-43m 96, so Fm-3m is 4x as likely; probabilities
    sum to one over the F-centred cubic groups that can hold 4 + 4 atoms."""
    p = group_probabilities(np.array([11, 17]), lattice_setting(FCC_PRIMITIVE, 0.01))
    assert set(p) <= set(lattice_setting(FCC_PRIMITIVE, 0.01).groups) and {216, 225} <= set(p)
    assert p[225] / p[216] == pytest.approx(4.0)
    assert sum(p.values()) == pytest.approx(1.0)


def test_failed_draws_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell where every draw fails gives no starts after `count` failed draws, not an endless loop."""
    calls = []
    monkeypatch.setattr(symmetric, "draw", lambda *args: calls.append(args) or None)
    setting = lattice_setting(FCC_PRIMITIVE, 0.01)
    starts = symmetric.symmetric_starts(np.random.default_rng(0), 7, np.array([11, 17]), setting)
    assert starts == [] and len(calls) == 7


@pytest.mark.parametrize("name, matrix, cells, family", [
    ("hR", Lattice.rhombohedral(4.0, 70).matrix, 3, (143, 167)),
    ("mC", np.array([[0.5, -0.5, 0], [0.5, 0.5, 0], [0, 0, 1]]) @ Lattice.monoclinic(5.1, 6.3, 4.2, 104).matrix, 2,
     (3, 15)),
    ("mP", Lattice.monoclinic(5.1, 6.3, 4.2, 104).matrix, 1, (1, 15)),  # P-1 and P1 fit too
])
def test_rhombohedral_and_monoclinic_lattices_give_starts_of_their_family(
    name: str, matrix: np.ndarray, cells: int, family: tuple[int, int],
) -> None:
    """The conventional cells (hexagonal axes for hR, a C-centred cell for mC) hold 3 and 2 target cells."""
    numbers = np.array([12, 12, 8, 8, 8, 8])
    setting = lattice_setting(matrix, 0.01)
    assert round(abs(np.linalg.det(setting.conventional) / np.linalg.det(matrix))) == cells
    starts = _fracs(np.random.default_rng(0), 8, numbers, setting)
    assert len(starts) == 8, name
    for frac in starts:
        assert family[0] <= spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-3).number <= family[1]


@pytest.mark.parametrize("group, matrix, numbers", [
    (136, Lattice.tetragonal(4.59, 2.96).matrix, [8, 22, 8, 8, 22, 8]),  # rutile's group, O on 4f (x, x, 0)
    (62, Lattice.orthorhombic(5.4, 7.6, 5.5).matrix, [20] * 4 + [32] * 4 + [8] * 4),  # Pnma, 4c (x, 1/4, z) sites
    (63, np.array([[0.5, -0.5, 0], [0.5, 0.5, 0], [0, 0, 1]]) @ Lattice.orthorhombic(3.1, 9.7, 6.3).matrix,
     [12, 12, 8, 8]),  # Cmcm in a primitive cell of the C-centred lattice
    (166, Lattice.rhombohedral(10.4, 24.2).matrix, [83, 83, 52, 52, 52]),  # Bi2Te3's R-3m, 2c and 1a + 2c sites
])
def test_moving_free_parameters_keeps_the_space_group(group: int, matrix: np.ndarray, numbers: list[int]) -> None:
    """A search over a start's free Wyckoff parameters never leaves its group: random moves of the generators give
    crystals of the same space group, where the same moves applied to each atom on its own give P1."""
    numbers = np.array(numbers)
    setting = lattice_setting(matrix, 0.01)
    rng = np.random.default_rng(group)
    def number(frac: np.ndarray) -> int:
        return spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=1e-4).number

    # a draw with free coordinates (one with every atom on fixed special positions can have a higher group)
    start = next(s for s in (draw(rng, group, numbers, setting) for _ in range(40)) if s and number(s.frac) == group)
    for _ in range(3):
        moved = WyckoffMap(start.free + rng.normal(0.0, 0.02, start.free.shape), start.site, start.rotation,
                           start.shift)
        assert number(moved.frac) == group
        assert not np.allclose(moved.frac, start.frac)
        assert number(start.frac + rng.normal(0.0, 0.02, start.frac.shape)) == 1


def test_the_identity_map_leaves_every_atom_free() -> None:
    frac = np.random.default_rng(0).random((5, 3))
    start = WyckoffMap.identity(frac)
    assert np.allclose(start.frac, frac) and not start.constrained
    moved = WyckoffMap(start.free + 0.1, start.site, start.rotation, start.shift)
    assert np.allclose(moved.frac, (frac + 0.1) % 1.0)
