"""Feature shards and the scaler: round trips, recorded failures, grid mismatch, fitting on bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from srd.chunks import chunk_rows
from srd.demo import demo_split
from srd.featurize import featurize_table, read_shards, write_shard
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import MIN_RANGE, Scaler
from srd.table import to_table

GRID = EADGrid()
LAYOUT = VectorLayout.from_grid(GRID)


@pytest.fixture(scope="module")
def demo_R() -> np.ndarray:
    return representation(demo_split("train", 60), GRID)


def test_chunk_rows_cover_every_row_once() -> None:
    assert [list(r) for r in chunk_rows(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunk_rows(0, 3) == [range(0, 0)]
    with pytest.raises(ValueError, match=">= 1"):
        chunk_rows(5, 0)


def test_shard_round_trip_and_recorded_failure(tmp_path: Path) -> None:
    crystals = demo_split("val", 5)
    table = to_table(crystals)  # row 2 gets Z = 0, which cannot be featurized
    table["numbers"] = [[0] * n if k == 2 else z for k, (n, z) in enumerate(zip(table.n_atoms, table.numbers))]
    R, ids, failed = featurize_table(table, GRID, batch_size=4)
    assert ids == [c.id for k, c in enumerate(crystals) if k != 2]
    assert failed[0][0] == crystals[2].id and "atomic numbers" in failed[0][1]
    np.testing.assert_allclose(R, representation([c for k, c in enumerate(crystals) if k != 2], GRID),
                               rtol=2e-4, atol=1e-4 * np.abs(R).max())
    write_shard(tmp_path / "shard-000.h5", R, ids, failed, GRID)
    ids2, R2 = read_shards([tmp_path / "shard-000.h5"], GRID)
    assert ids2 == ids and R2.dtype == np.float32 and R2.shape == (4, 704)
    with pytest.raises(ValueError, match="another EAD grid"):
        read_shards([tmp_path / "shard-000.h5"], EADGrid(rc=10.0))


def test_scaler_round_trip_and_range(demo_R: np.ndarray, tmp_path: Path) -> None:
    scaler = Scaler.fit(demo_R, LAYOUT)
    X = scaler.transform(demo_R)
    assert X.min() >= -1 - 1e-12 and X.max() <= 1 + 1e-12
    np.testing.assert_allclose(scaler.inverse(X), demo_R, rtol=1e-10, atol=1e-10)
    scaler.save(tmp_path / "scaler.json")
    loaded = Scaler.load(tmp_path / "scaler.json")
    np.testing.assert_allclose(loaded.transform(demo_R), X)
    torch_X = scaler.transform_torch(torch.as_tensor(demo_R[:, LAYOUT.structure]), LAYOUT.structure).numpy()
    np.testing.assert_allclose(torch_X, X[:, LAYOUT.structure], rtol=1e-12, atol=1e-12)


def test_scaler_compresses_the_ead_range(demo_R: np.ndarray) -> None:
    # Raw EAD spans many decades; after log1p + min-max the median scaled EAD feature is away from the bounds.
    scaler = Scaler.fit(demo_R, LAYOUT)
    X = scaler.transform(demo_R)[:, LAYOUT.ead]
    spread = X.std(0)[(scaler.high - scaler.low)[LAYOUT.ead] >= MIN_RANGE]
    assert len(spread) > 100 and np.median(spread) > 0.1


def test_scaler_does_not_stretch_vanishing_ranges(demo_R: np.ndarray) -> None:
    R = demo_R.copy()
    R[:, 7] = 1e-30 * np.arange(len(R))  # a Gaussian tail: all but zero in every training crystal
    scaler = Scaler.fit(R, LAYOUT)
    probe = R[:1].copy()
    probe[0, 7] = 1e-3  # a crystal where that tail is visible
    assert abs(scaler.transform(probe)[0, 7]) < 1.0
    np.testing.assert_allclose(scaler.inverse(scaler.transform(R)), R, rtol=1e-10, atol=1e-12)


def test_scaler_refuses_bad_training_data(demo_R: np.ndarray) -> None:
    bad = demo_R.copy()
    bad[3, 10] = np.nan
    with pytest.raises(ValueError, match="row 3, feature 10"):
        Scaler.fit(bad, LAYOUT)
    with pytest.raises(ValueError, match="length 700"):
        Scaler.fit(demo_R[:, :700], LAYOUT)
