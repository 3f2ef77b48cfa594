"""The reconstruction stages: Table 1 chunks of the test split, and chunks of the generated samples."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from srd.chunks import chunk_rows
from srd.reconstruct import aggregate_generated, aggregate_table1, run_generated_chunk, run_table1_chunk
from srd.reconstruct.config import resolve
from srd.reconstruct.site_prior import SitePrior
from srd.representation.grid import EADGrid
from srd.representation.scaler import Scaler
from srd.table import from_table

log = logging.getLogger(__name__)


def table1_subset(table: pd.DataFrame, max_structures: int | None, seed: int) -> pd.DataFrame:
    """The test rows Table 1 reconstructs: all, or a seeded random subset (kept in file order) for CPU runs."""
    if max_structures is None or max_structures >= len(table):
        return table
    keep = np.sort(np.random.default_rng(seed).choice(len(table), max_structures, replace=False))
    return table.iloc[keep]


def n_table1_chunks(n_rows: int, table1_cfg: Mapping[str, Any]) -> int:
    n = n_rows if table1_cfg.get("max_structures") is None else min(n_rows, int(table1_cfg["max_structures"]))
    return len(chunk_rows(n, int(table1_cfg["chunk_size"])))


def site_prior_stage(train_table: Path, symprec: float, out_path: Path) -> None:
    """Count the Wyckoff sites of the training split's crystals (site_prior), for the symmetric starts."""
    prior = SitePrior.fit(from_table(pd.read_parquet(train_table)), symprec)
    prior.save(out_path)
    orbits = sum(sum(letters.values()) for letters in prior.counts.values())
    log.info("site prior: %d orbits of %d crystals in %d space groups", orbits, prior.crystals, len(prior.counts))


def table1_chunk_stage(test_table: Path, scaler_path: Path, sites_path: Path, chunk: int,
                       representation_cfg: Mapping[str, Any], reconstruct_cfg: Mapping[str, Any],
                       table1_cfg: Mapping[str, Any], seed: int, out_path: Path) -> None:
    subset = table1_subset(pd.read_parquet(test_table), table1_cfg.get("max_structures"), seed)
    rows = chunk_rows(len(subset), int(table1_cfg["chunk_size"]))[chunk]
    run_table1_chunk(subset.iloc[rows.start : rows.stop], Scaler.load(scaler_path),
                     EADGrid.from_config(representation_cfg), reconstruct_cfg, Path(out_path), seed,
                     SitePrior.load(sites_path))


def table1_stage(chunks: Sequence[Path], reconstruct_cfg: Mapping[str, Any], meta: Mapping[str, Any],
                 out_parquet: Path, out_csv: Path) -> None:
    aggregate_table1(list(chunks), Path(out_parquet), Path(out_csv),
                     {**meta, "preset": resolve(reconstruct_cfg).preset})


def generated_chunk_stage(samples_path: Path, scaler_path: Path, sites_path: Path, chunk: int,
                          representation_cfg: Mapping[str, Any], reconstruct_cfg: Mapping[str, Any], chunk_size: int,
                          seed: int, out_path: Path) -> None:
    samples = pd.read_parquet(samples_path)
    missing = sorted({"sample_id", "species", "r_str", "valid", "reason"} - set(samples.columns))
    if missing:
        raise ValueError(f"{samples_path}: not a decoded-samples table, it lacks column(s) {missing}")
    rows = chunk_rows(len(samples), chunk_size)[chunk]
    run_generated_chunk(samples.iloc[rows.start : rows.stop], Scaler.load(scaler_path),
                        EADGrid.from_config(representation_cfg), reconstruct_cfg, Path(out_path), seed,
                        SitePrior.load(sites_path))


def generated_stage(chunks: Sequence[Path], out_parquet: Path, out_extxyz: Path) -> None:
    aggregate_generated(list(chunks), Path(out_parquet), Path(out_extxyz))
