"""The Snakemake workflow on the demo dataset, run for real in a scratch copy of the repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from srd.representation.scaler import Scaler

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY_DEMO = {"datasets": {"demo": {"source": "demo", "n_structures": {"train": 25, "val": 5, "test": 12}}},
             "featurize": {"shard_size": 10}}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("repo")
    shutil.copy(REPO / "Snakefile", work)
    shutil.copy(REPO / "config.yaml", work)
    shutil.copytree(REPO / "workflow", work / "workflow")
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY_DEMO))
    return work


@pytest.mark.slow
def test_demo_features_and_scaler(workdir: Path) -> None:
    snakemake(workdir, "results/demo/features/scaler.json", "results/demo/features/test.done",
              "--configfile", "tiny.yaml")
    results = workdir / "results/demo"
    table = pd.read_parquet(results / "structures/train.parquet")
    assert len(table) == 25
    shards = sorted((results / "features/train").glob("shard-*.h5"))
    assert [s.name for s in shards] == ["shard-000.h5", "shard-001.h5", "shard-002.h5"]
    with h5py.File(shards[2], "r") as f:
        assert f["R"].shape == (5, 704) and json.loads(f.attrs["grid"])["rc"] == 20.0
        assert [i.decode() for i in f["ids"][()]] == table["id"].tolist()[20:]
    manifest = json.loads((results / "features/train.done").read_text())
    assert manifest["n_structures"] == 25 and manifest["n_failed"] == 0
    assert json.loads((results / "features/test.done").read_text())["n_structures"] == 12
    scaler = Scaler.load(results / "features/scaler.json")
    assert np.all(scaler.high >= scaler.low)
    log = (results / "logs/ingest/train.log").read_text()
    assert "25 structures kept, 0 rejected" in log
    assert (results / "benchmarks/featurize/train-000.tsv").exists()


def test_unknown_config_key_is_named(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(yaml.safe_dump({"featurize": {"shard_sise": 10}}))
    result = snakemake(workdir, "-n", "results/demo/features/scaler.json", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "shard_sise" in result.stdout + result.stderr


def test_unknown_dataset_lists_the_configured_ones(workdir: Path) -> None:
    result = snakemake(workdir, "-n", "results/mp21/features/scaler.json", check=False)
    assert result.returncode != 0
    assert "unknown dataset 'mp21'; config.yaml defines: carbon24, demo, mp20, perov5" in result.stdout + result.stderr
