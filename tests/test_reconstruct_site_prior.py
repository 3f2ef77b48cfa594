"""Wyckoff-site prior: orbit counts of a training split, and symmetric starts that draw their sites by them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spglib
from pymatgen.core import Lattice

from srd.pipeline.reconstruct import site_prior_stage
from srd.reconstruct.site_prior import NO_SITE_DATA, SitePrior
from srd.reconstruct.symmetric import _site_weights, draw, lattice_setting
from srd.structures import Crystal
from srd.table import to_table

ROCKSALT = Crystal(np.array([11, 17]), np.array([[0.0, 0, 0], [0.5, 0.5, 0.5]]),
                   np.array([3.98, 3.98, 3.98, 60, 60, 60]), "NaCl")
PEROVSKITE = Crystal(np.array([38, 22, 8, 8, 8]),
                     np.array([[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]),
                     np.array([3.905, 3.905, 3.905, 90, 90, 90]), "SrTiO3")
PNMA_NUMBERS = np.array([20] * 4 + [16] * 4 + [8] * 4)  # CaSO3-like: in many real ABX3 cells all on Pnma's 4c


def test_fit_counts_each_orbit_once_at_its_wyckoff_letter() -> None:
    """Rock salt (its 2-atom primitive cell): Na on 4a, Cl on 4b of Fm-3m. SrTiO3: Sr 1a, Ti 1b and the three O atoms
    one orbit on 3c of Pm-3m (spglib's origin choice may swap a/b and c/d, so compare the multisets of letters)."""
    prior = SitePrior.fit([ROCKSALT, PEROVSKITE, ROCKSALT])
    assert prior.crystals == 3 and set(prior.counts) == {225, 221}
    assert sorted(prior.counts[225].items()) == [("a", 2), ("b", 2)]
    assert sorted(prior.counts[221].values()) == [1, 1, 1] and sum(prior.counts[221].values()) == 3


def test_weights_follow_counts_and_fall_back_to_the_heuristic() -> None:
    heuristic, _, letters = _site_weights(62)  # Pnma: 4a, 4b, 4c, 8d
    assert sorted(letters) == ["a", "b", "c", "d"]
    empty = NO_SITE_DATA.weights(62, letters, heuristic)
    assert np.allclose(empty / empty.sum(), heuristic / heuristic.sum())  # no data: the heuristic's draw
    counted = SitePrior({62: {"c": 1161, "d": 108, "b": 43, "a": 18}}).weights(62, letters, heuristic)
    pseudo = 4 * heuristic / heuristic.sum()  # one pseudo-orbit per site, shared as the heuristic
    expected = np.array([{"a": 18, "b": 43, "c": 1161, "d": 108}[k] for k in letters]) + pseudo
    assert np.allclose(counted, expected)
    assert np.allclose(SitePrior({225: {"a": 5}}).weights(62, letters, heuristic), empty)  # another group's data


def _share_all_on_4c(sites: SitePrior, draws: int = 60) -> float:
    matrix = Lattice.orthorhombic(5.4, 7.6, 5.5).matrix
    setting = lattice_setting(matrix, 0.01)
    rng = np.random.default_rng(62)
    starts = [draw(rng, 62, PNMA_NUMBERS, setting, sites) for _ in range(draws)]
    assert all(s is not None for s in starts)
    return np.mean([spglib.get_symmetry_dataset((matrix, s.frac, PNMA_NUMBERS), symprec=1e-3).wyckoffs
                    == ["c"] * 12 for s in starts])


def test_draws_take_the_sites_the_prior_counts() -> None:
    """Pnma 4 + 4 + 4 (8d holds 8, so only 4a, 4b, 4c fit a species): without data a species takes 4c with chance
    12 / 20 and all three ~0.2 of draws; with MP-20 val's counts (4c holds 1161 orbits, 4b 43, 4a 18) ~0.95 each,
    all three ~0.85."""
    mp20_val = SitePrior({62: {"a": 18, "b": 43, "c": 1161, "d": 108}})
    without, with_counts = _share_all_on_4c(NO_SITE_DATA), _share_all_on_4c(mp20_val)
    assert without < 0.4 and with_counts > 0.7


def test_saved_prior_loads_back_and_a_bad_file_is_named(tmp_path: Path) -> None:
    prior = SitePrior.fit([ROCKSALT, PEROVSKITE], symprec=0.05)
    prior.save(tmp_path / "sites.json")
    assert SitePrior.load(tmp_path / "sites.json") == prior
    (tmp_path / "bad.json").write_text('{"crystals": 2, "counts": {"62": {"c": 3}}}')
    with pytest.raises(ValueError, match=r"bad\.json: not a site prior.*symprec"):
        SitePrior.load(tmp_path / "bad.json")
    (tmp_path / "cut.json").write_text('{"crystals": 2, "coun')  # a write cut short
    with pytest.raises(ValueError, match=r"cut\.json: not a site prior.*JSONDecodeError"):
        SitePrior.load(tmp_path / "cut.json")


def test_site_prior_stage_counts_the_training_table(tmp_path: Path) -> None:
    table = tmp_path / "train.parquet"
    to_table([ROCKSALT, PEROVSKITE]).to_parquet(table)
    site_prior_stage(table, 0.1, tmp_path / "site_prior.json")
    assert SitePrior.load(tmp_path / "site_prior.json") == SitePrior.fit([ROCKSALT, PEROVSKITE], 0.1)
