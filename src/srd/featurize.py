"""Crystal table -> representation vectors R, written as HDF5 shards (one Snakemake job per shard)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

import srd
from srd.io import atomic_path
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.table import from_table

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def shard_rows(n_rows: int, shard_size: int) -> list[range]:
    """Row ranges of each shard; an empty split still gets one (empty) shard so the DAG stays regular."""
    if shard_size < 1:
        raise ValueError(f"featurize.shard_size must be >= 1, got {shard_size}")
    return [range(a, min(a + shard_size, n_rows)) for a in range(0, max(n_rows, 1), shard_size)]


def featurize_table(
    table: pd.DataFrame, grid: EADGrid, batch_size: int = 32, dtype: str = "float32", desc: str = "featurize"
) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """(R of the crystals that featurized, their ids, [(id, reason)] of those that did not)."""
    crystals = from_table(table)
    layout = VectorLayout.from_grid(grid)
    rows, ids, failed = [], [], []
    progress = tqdm(total=len(crystals), desc=desc, mininterval=10, unit="crystal")
    for start in range(0, len(crystals), batch_size):
        batch = crystals[start : start + batch_size]
        try:
            R = representation(batch, grid, dtype=DTYPES[dtype])
        except Exception:  # find the culprit: featurize one by one so the rest of the batch survives
            R = np.full((len(batch), layout.size), np.nan)
            for k, crystal in enumerate(batch):
                try:
                    R[k] = representation([crystal], grid, dtype=DTYPES[dtype])[0]
                except Exception as err:
                    failed.append((crystal.id, f"{type(err).__name__}: {err}"))
        for crystal, r in zip(batch, R):
            if np.all(np.isfinite(r)):
                rows.append(r)
                ids.append(crystal.id)
            elif not any(f[0] == crystal.id for f in failed):
                failed.append((crystal.id, "non-finite representation"))
        progress.update(len(batch))
    progress.close()
    return np.array(rows, dtype=np.float64).reshape(-1, layout.size), ids, failed


def write_shard(path: Path, R: np.ndarray, ids: Sequence[str], failed: Sequence[tuple[str, str]], grid: EADGrid) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("R", data=R.astype(np.float32))
        f.create_dataset("ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
        f.create_dataset("failed_ids", data=np.array([i for i, _ in failed], dtype=object), dtype=h5py.string_dtype())
        f.create_dataset("failed_reasons", data=np.array([r for _, r in failed], dtype=object),
                         dtype=h5py.string_dtype())
        f.attrs["grid"] = json.dumps(grid.to_dict())
        f.attrs["srd_version"] = srd.__version__
        f.attrs["columns"] = json.dumps(VectorLayout.from_grid(grid).block_names())


def read_shards(paths: Sequence[Path], grid: EADGrid | None = None) -> tuple[list[str], np.ndarray]:
    """Concatenated (ids, R) of shards; with `grid`, refuses shards featurized on another grid."""
    ids, blocks = [], []
    for path in paths:
        with h5py.File(path, "r") as f:
            if grid is not None and json.loads(f.attrs["grid"]) != grid.to_dict():
                raise ValueError(f"{path} was featurized with another EAD grid; rerun featurize")
            ids += [i.decode() if isinstance(i, bytes) else i for i in f["ids"][()]]
            blocks.append(f["R"][()])
    return ids, np.concatenate(blocks) if blocks else np.empty((0, 0), np.float32)
