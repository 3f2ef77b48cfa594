"""Crystal table -> representation vectors R, written as HDF5 shards (one Snakemake job per shard)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import h5py
import numpy as np
import pandas as pd
import torch

import srd
from srd.chunks import chunk_rows
from srd.io import atomic_path, atomic_write_text
from srd.progress import progress
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.table import from_table

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def featurize_table(
    table: pd.DataFrame, grid: EADGrid, batch_size: int = 32, dtype: str = "float32", desc: str = "featurize"
) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """(R of the crystals that featurized, their ids, [(id, reason)] of those that did not)."""
    crystals = from_table(table)
    layout = VectorLayout.from_grid(grid)
    rows, ids, failed = [], [], []
    with progress(total=len(crystals), desc=desc, unit="crystal") as bar:
        for start in range(0, len(crystals), batch_size):
            batch = crystals[start : start + batch_size]
            errors: dict[int, str] = {}
            try:
                R = representation(batch, grid, dtype=DTYPES[dtype])
            except Exception:  # find the culprit: featurize one by one so the rest of the batch survives
                R = np.full((len(batch), layout.size), np.nan)
                for k, crystal in enumerate(batch):
                    try:
                        R[k] = representation([crystal], grid, dtype=DTYPES[dtype])[0]
                    except Exception as err:
                        errors[k] = f"{type(err).__name__}: {err}"
            for k, (crystal, r) in enumerate(zip(batch, R)):
                if np.all(np.isfinite(r)):
                    rows.append(r)
                    ids.append(crystal.id)
                else:
                    failed.append((crystal.id, errors.get(k, "non-finite representation")))
            bar.update(len(batch))
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
            if "grid" not in f.attrs or "R" not in f:
                raise ValueError(f"{path} is not an srd feature shard (no 'grid' attribute or 'R'); rerun featurize")
            if grid is not None and json.loads(f.attrs["grid"]) != grid.to_dict():
                raise ValueError(f"{path} was featurized with another EAD grid; rerun featurize")
            ids += [i.decode() if isinstance(i, bytes) else i for i in f["ids"][()]]
            blocks.append(f["R"][()])
    return ids, np.concatenate(blocks) if blocks else np.empty((0, 0), np.float32)


def featurize_shard(table_path: Path, shard: int, representation_cfg: Mapping[str, Any],
                    featurize_cfg: Mapping[str, Any], out_path: Path) -> None:
    """Featurize rows of shard number `shard` of a crystal table into one HDF5 file."""
    torch.set_flush_denormal(True)  # float32 Gaussians far in their tails are otherwise slow on CPU
    grid = EADGrid.from_config(representation_cfg)
    table = pd.read_parquet(table_path)
    rows = chunk_rows(len(table), int(featurize_cfg["shard_size"]))
    if shard >= len(rows):
        raise ValueError(f"{table_path} has {len(rows)} shards, no shard {shard}")
    part = table.iloc[rows[shard].start : rows[shard].stop]
    R, ids, failed = featurize_table(part, grid, int(featurize_cfg["batch_size"]), featurize_cfg["dtype"],
                                     desc=f"featurize shard {shard}")
    for id_, reason in failed:
        log.warning("featurize failed for %s: %s", id_, reason)
    write_shard(out_path, R, ids, failed, grid)


def write_manifest(shards: Sequence[Path], out_path: Path) -> None:
    """The `{split}.done` file: which shards make the split, and how many structures they hold."""
    counts = []
    for path in shards:
        with h5py.File(path, "r") as f:
            counts.append({"shard": str(path), "n": int(f["R"].shape[0]), "failed": int(f["failed_ids"].shape[0])})
    summary = {"n_structures": sum(c["n"] for c in counts), "n_failed": sum(c["failed"] for c in counts),
               "shards": counts}
    atomic_write_text(out_path, json.dumps(summary, indent=1))


def manifest_shards(done_path: Path) -> list[Path]:
    return [Path(c["shard"]) for c in json.loads(Path(done_path).read_text())["shards"]]

