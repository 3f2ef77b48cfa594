"""Structure building and validity, and per-crystal flags against the reference structures.parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure

from srd.metrics.readers import build_structure, structures_from_cif
from srd.metrics.structure_validity import min_interatomic_distance, structure_validity
from srd.metrics.table2 import describe

STRUCTURES = Path("/work/shared/reference/cdvae-protocol/structures.parquet")


def _pair(distance: float) -> Structure:
    return Structure(Lattice.cubic(6.0), ["Na", "Cl"], [[0, 0, 0], [distance, 0, 0]], coords_are_cartesian=True)


def test_two_atoms_0p3_apart_are_invalid():
    assert min_interatomic_distance(_pair(0.3)) == pytest.approx(0.3)
    assert structure_validity(_pair(0.3)) == (False, "atoms_closer_than_0.5")
    assert structure_validity(_pair(0.6)) == (True, "")


def test_distance_is_periodic():
    across_boundary = Structure(Lattice.cubic(6.0), ["C", "C"], [[0.1, 0, 0], [5.8, 0, 0]], coords_are_cartesian=True)
    assert min_interatomic_distance(across_boundary) == pytest.approx(0.3)


def test_one_site_cell_has_no_pair_distance_and_is_valid():
    single = Structure(Lattice.cubic(3.0), ["Cu"], [[0, 0, 0]])
    assert np.isnan(min_interatomic_distance(single))
    assert structure_validity(single) == (True, "")


def test_build_structure_rules():
    coords = np.array([[0, 0, 0], [0.5, 0.5, 0.5]])
    built, reason = build_structure([4, 4, 4], [90, 90, 90], coords, [11, 17])
    assert reason == "" and built.volume == pytest.approx(64.0) and built.composition.reduced_formula == "NaCl"
    assert build_structure([-4, 4, 4], [90, 90, 90], coords, [11, 17]) == (None, "negative_lattice_length")
    assert build_structure([0.3, 0.3, 0.3], [90, 90, 90], coords, [11, 17]) == (None, "volume_below_0.1")
    structure, reason = build_structure([4, 4, 4], [90, 90, 90], coords, [11])  # species/coords mismatch
    assert structure is None and reason.startswith("construction_error")


def _reference_sample() -> pd.DataFrame:
    if not STRUCTURES.exists():
        pytest.skip(f"{STRUCTURES} not available")
    frame = pd.read_parquet(STRUCTURES)
    # every kind of crystal, including all perturbed and targeted (He, Ar, Pm, Zr, Ir) ones
    return frame[(frame["kind"] != "original") | (frame.index % 4 == 0)]


def test_flags_and_properties_match_reference():
    frame = _reference_sample()
    got = describe([structures_from_cif(cif)[0] for cif in frame["cif_p1"]])
    for column in ("comp_valid", "struct_valid", "n_elems"):
        assert got[column].tolist() == frame[column].tolist(), column
    np.testing.assert_allclose(got["density"], frame["density"], rtol=1e-8)  # newer amu constant: 1.4e-9
    np.testing.assert_allclose(got["volume"], frame["volume"], rtol=1e-9)
    np.testing.assert_allclose(got["min_dist"], frame["min_dist"], rtol=1e-9)  # NaN for one-site cells


def test_empty_cell_is_invalid():
    empty, reason = build_structure([4, 4, 4], [90, 90, 90], np.zeros((0, 3)), [])
    assert reason == "" and len(empty) == 0
    flags = describe([empty]).iloc[0]
    assert not flags["comp_valid"] and flags["reasons"] == ["no_atoms"]
