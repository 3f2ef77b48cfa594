"""Chunked Table 1 / generated-sample stages: chunking, error rows, resume after a kill, aggregation, extxyz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase.io import read

import srd.reconstruct.chunks as chunks
from srd.reconstruct import (aggregate_generated, aggregate_table1, run_generated_chunk,
                             run_table1_chunk)
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler
from srd.structures import Crystal
from srd.table import to_table

GRID = EADGrid(orders=(0,), etas=(1.0, 20.0), mus=(0.0, 1.0, 2.0, 3.0), tolerance=1e-3)
LAYOUT = VectorLayout.from_grid(GRID)
CFG = {"trials": 2, "hops": 1, "steps": 3, "batch_structures": 1}
CRYSTALS = [
    Crystal(np.array([11, 17]), np.array([[0, 0, 0], [0.5, 0.5, 0.5]]), np.array([3.98] * 3 + [60.0] * 3), "NaCl"),
    Crystal(np.array([55, 17]), np.array([[0, 0, 0], [0.5, 0.5, 0.5]]), np.array([4.12] * 3 + [90.0] * 3), "CsCl"),
    Crystal(np.array([29]), np.array([[0.0, 0, 0]]), np.array([2.6] * 3 + [60.0] * 3), "Cu"),
]


@pytest.fixture(scope="module")
def scaler() -> Scaler:
    rng = np.random.default_rng(0)
    shaken = [Crystal(c.numbers, rng.random(c.frac.shape), c.lattice) for c in CRYSTALS for _ in range(4)]
    return Scaler.fit(representation(CRYSTALS + shaken, GRID), LAYOUT)


def test_bad_row_is_recorded_and_chunk_completes(scaler: Scaler, tmp_path: Path) -> None:
    table = to_table(CRYSTALS)
    table.at[1, "numbers"] = [55, 17, 8]  # three species for two positions
    out = tmp_path / "chunk-000.parquet"
    run_table1_chunk(table, scaler, GRID, CFG, out, seed=0)
    df = pd.read_parquet(out)
    assert list(df["id"]) == ["NaCl", "CsCl", "Cu"]
    assert df.loc[1, "error"] != "" and (df.loc[[0, 2], "error"] == "").all()
    assert df.loc[0, "steps"] == 2 * 3 and not chunks.sidecar(out).exists()
    assert df.loc[0, "symmetric_starts"] == 0 and len(df.loc[0, "loss_history"]) == 1  # the paper preset draws none
    aggregate_table1([out], tmp_path / "reconstruction.parquet", tmp_path / "table1.csv",
                     {"dataset": "toy", "preset": "paper", "train_split": "val"})
    row = pd.read_csv(tmp_path / "table1.csv").iloc[0]
    assert row["n"] == 3 and row["n_errors"] == 1 and row["dataset"] == "toy"
    for key in ("match_rate", "match_rate_valid", "rmse", "exact_rate", "random_baseline_match_rate",
                "seconds_per_structure"):
        assert key in row.index


def test_batch_seconds_are_shared_by_work() -> None:
    assert chunks.time_shares(10.0, [100 * 5, 300 * 5, 0]) == pytest.approx([2.5, 7.5, 0.0])
    assert chunks.time_shares(3.0, [0, 0]) == pytest.approx([1.5, 1.5])


def test_killed_chunk_resumes_without_redoing_finished_structures(
    scaler: Scaler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "chunk-000.parquet"
    calls: list[int] = []
    real = chunks.reconstruct

    def dies_after_first(targets, *args):
        if calls:
            raise KeyboardInterrupt  # a kill: not an error of the structure, so it is not recorded
        calls.append(len(targets))
        return real(targets, *args)

    monkeypatch.setattr(chunks, "reconstruct", dies_after_first)
    with pytest.raises(KeyboardInterrupt):
        run_table1_chunk(to_table(CRYSTALS), scaler, GRID, CFG, out, seed=0)
    assert not out.exists() and len(pd.read_parquet(chunks.sidecar(out))) == 1

    def counting(targets, *args):
        calls.append(len(targets))
        return real(targets, *args)

    monkeypatch.setattr(chunks, "reconstruct", counting)
    run_table1_chunk(to_table(CRYSTALS), scaler, GRID, CFG, out, seed=0)
    assert calls == [1, 1, 1] and len(pd.read_parquet(out)) == 3


def test_generated_samples_pass_invalid_through_and_write_extxyz(scaler: Scaler, tmp_path: Path) -> None:
    R = representation(CRYSTALS[:2], GRID)
    samples = pd.DataFrame({
        "sample_id": [0, 1, 2], "n_atoms": [2, 2, 2], "species": [[11, 17], [17, 55], [1, 1]],
        "a": [3.98, 4.12, -1.0], "b": [3.98, 4.12, 1.0], "c": [3.98, 4.12, 1.0],
        "alpha": [60.0, 90.0, 90.0], "beta": [60.0, 90.0, 90.0], "gamma": [60.0, 90.0, 90.0],
        "valid": [True, True, False], "reason": ["", "", "non-positive lattice length"],
        "r_str": [R[0, LAYOUT.structure], R[1, LAYOUT.structure], np.zeros(LAYOUT.structure.stop)],
    })
    paths = [tmp_path / "chunk-000.parquet", tmp_path / "chunk-001.parquet"]
    run_generated_chunk(samples.iloc[:2], scaler, GRID, CFG, paths[0], seed=1)
    run_generated_chunk(samples.iloc[2:], scaler, GRID, CFG, paths[1], seed=1)
    aggregate_generated(paths, tmp_path / "generated.parquet", tmp_path / "generated.extxyz")
    df = pd.read_parquet(tmp_path / "generated.parquet")
    assert list(df["sample_id"]) == [0, 1, 2] and list(df["valid"]) == [True, True, False]
    frames = read(tmp_path / "generated.extxyz", index=":")
    assert [f.info["sample_id"] for f in frames] == [0, 1]
    assert sorted(frames[1].numbers.tolist()) == [17, 55]


def test_chunk_draws_symmetric_starts_with_the_given_site_prior(scaler: Scaler, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The prior reaches every symmetric draw, in first and later rounds: the chunk passes it to the engine, and a
    round that dropped it would silently draw sites the data-free way."""
    import srd.reconstruct.engine as engine
    from srd.reconstruct.site_prior import SitePrior

    prior = SitePrior({225: {"a": 7, "b": 7}}, crystals=7)
    seen = []
    draw = engine.symmetric_starts
    monkeypatch.setattr(engine, "symmetric_starts", lambda *args: seen.append(args[-1]) or draw(*args))
    cfg = {**CFG, "start_symmetric": 1.0, "tol": 1e-12, "rounds": 2}  # never reproduced: two rounds each
    run_table1_chunk(to_table(CRYSTALS[:2]), scaler, GRID, cfg, tmp_path / "chunk-000.parquet", seed=0, sites=prior)
    assert len(seen) == 4 and all(s is prior for s in seen)
