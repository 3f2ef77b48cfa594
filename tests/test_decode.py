"""Decoding hand-made vectors with known answers (method.md, "Decoding")."""

import numpy as np
import pytest

from srd.decode import COLUMNS, cell_volume, decode, largest_remainder
from srd.representation.layout import VectorLayout

LAYOUT = VectorLayout(n_features=3)
CUBIC = [4.0, 4.0, 4.0, 90.0, 90.0, 90.0]


def vector(n: float, fractions: dict[int, float], lattice=CUBIC) -> np.ndarray:
    R = np.zeros(LAYOUT.size)
    R[LAYOUT.structure] = np.arange(LAYOUT.structure.stop)
    for z, f in fractions.items():
        R[LAYOUT.composition.start + z - 1] = f
    R[LAYOUT.n_atoms] = n
    R[LAYOUT.lattice] = lattice
    return R


def decode_one(*args, max_atoms=20, **kwargs):
    return decode(vector(*args, **kwargs)[None], LAYOUT, max_atoms).iloc[0]


def test_perovskite_decodes_exactly():
    row = decode_one(5.2, {8: 0.6, 22: 0.2, 38: 0.2})
    assert row["n_atoms"] == 5 and row["species"] == [8, 8, 8, 22, 38]
    assert row["valid"] and row["reason"] == ""
    assert [row[k] for k in "a b c alpha beta gamma".split()] == CUBIC
    np.testing.assert_array_equal(row["r_str"], np.arange(LAYOUT.structure.stop))


@pytest.mark.parametrize("n, expected", [(2.5, 3), (3.49, 3), (-4.0, 1), (0.2, 1), (57.0, 20)])
def test_n_atoms_rounds_half_up_and_is_clipped(n, expected):
    assert decode_one(n, {6: 1.0})["n_atoms"] == expected


def test_largest_remainder_sums_to_n_and_breaks_ties_by_lower_z():
    # quotas 1.5, 1.5 of n=3: one seat left, the tie goes to the lower Z
    assert decode_one(3, {1: 0.5, 2: 0.5})["species"] == [1, 1, 2]
    # quotas 2.5, 1.1, 1.4 (n=5): floors 2+1+1, the remaining atom goes to the largest remainder (0.5 of Z=1)
    assert decode_one(5, {1: 0.5, 2: 0.22, 3: 0.28})["species"] == [1, 1, 1, 2, 3]
    # fractions need not sum to 1: they are renormalised
    assert decode_one(4, {7: 0.1, 8: 0.3})["species"] == [7, 8, 8, 8]
    rng = np.random.default_rng(0)
    fractions, totals = rng.random((50, 96)) ** 4, rng.integers(1, 40, size=50).astype(float)
    counts = largest_remainder(fractions, totals)
    assert (counts.sum(axis=1) == totals).all()
    assert (np.abs(counts - fractions / fractions.sum(1, keepdims=True) * totals[:, None]) < 1).all()


def test_negative_fractions_are_clipped_before_rounding():
    assert decode_one(4, {1: -0.5, 8: 0.5, 26: 0.5})["species"] == [8, 8, 26, 26]


def test_empty_composition_is_kept_as_invalid():
    row = decode_one(4, {1: -0.3})
    assert not row["valid"] and row["reason"] == "empty composition" and row["species"] == []


@pytest.mark.parametrize("lattice, reason", [
    ([-4.0, 4.0, 4.0, 90.0, 90.0, 90.0], "non-positive lattice length"),
    ([4.0, 0.0, 4.0, 90.0, 90.0, 90.0], "non-positive lattice length"),
    ([4.0, 4.0, 4.0, 10.0, 10.0, 170.0], "angles give no valid cell"),  # alpha + beta < gamma
    ([4.0, 4.0, 4.0, 120.0, 120.0, 120.0], "cell volume < 0.1"),  # the three angles are coplanar
    ([4.0, 4.0, 4.0, 0.0, 90.0, 90.0], "outside (0, 180)"),
    ([0.01, 4.0, 2.0, 90.0, 90.0, 90.0], "cell volume < 0.1"),
    ([4.0, np.nan, 4.0, 90.0, 90.0, 90.0], "non-finite lattice"),
])
def test_impossible_lattices_are_kept_with_reason(lattice, reason):
    row = decode_one(2, {14: 1.0}, lattice=lattice)
    assert not row["valid"] and reason in row["reason"]
    assert row["species"] == [14, 14]


def test_reasons_accumulate_and_non_finite_n_is_invalid():
    row = decode_one(np.nan, {1: 0.0}, lattice=[-1.0, 4.0, 4.0, 90.0, 90.0, 90.0])
    assert row["reason"] == "non-finite n_atoms; empty composition; non-positive lattice length"


def test_frame_shape_and_volume_formula():
    R = np.stack([vector(2, {14: 1.0}), vector(3, {1: 1.0}, lattice=[3.0, 4.0, 5.0, 90.0, 90.0, 60.0])])
    frame = decode(R, LAYOUT, max_atoms=10)
    assert list(frame.columns) == COLUMNS and list(frame["sample_id"]) == [0, 1] and frame["valid"].all()
    assert cell_volume(np.array([[3.0, 4.0, 5.0]]), np.array([[90.0, 90.0, 60.0]]))[0] == pytest.approx(
        60 * np.sin(np.radians(60)))


def test_wrong_length_is_rejected():
    with pytest.raises(ValueError, match="length"):
        decode(np.zeros((2, LAYOUT.size + 1)), LAYOUT, 10)
