"""The evaluate stages: reference fingerprints of the test split, Table 2 of the generated crystals, summaries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import h5py
import numpy as np
import pandas as pd

from srd.io import atomic_path
from pymatgen.core import Structure

from srd.metrics.coverage import cutoffs_dataset
from srd.metrics.readers import build_structure
from srd.metrics.table2 import ReferenceSet, compute_reference, evaluate_table2, write_table2
from srd.pipeline.data import load_split
from srd.plots import gallery_figure, pca_figure
from srd.published import TABLE1, TABLE2
from srd.report_tables import write_table_html
from srd.reconstruct.generated import generated_crystal
from srd.table import from_table
from srd.representation.scaler import Scaler

log = logging.getLogger(__name__)


def reference_stage(test_table: Path, timeout: float, workers: int, out_npz: Path) -> None:
    """Fingerprints of the test split, computed once per dataset and reused by every Table 2 run."""
    crystals = from_table(pd.read_parquet(test_table))
    reference = compute_reference([c.to_pymatgen() for c in crystals], [c.id for c in crystals], workers, timeout)
    with atomic_path(out_npz) as tmp:
        reference.save(tmp)
    log.info("%d reference crystals, %d fingerprints failed", len(crystals), int((~reference.fp_ok).sum()))


def table2_stage(generated: Path, reference_npz: Path, dataset: str, evaluate_cfg: Mapping[str, Any], seed: int,
                 workers: int, meta: Mapping[str, Any], out_csv: Path, out_parquet: Path) -> None:
    """Every generated sample counts: ones not reconstructed, or that the reference protocol cannot build, enter
    as None (its reason kept in `decode_reason` / `invalid_reason`)."""
    df = pd.read_parquet(generated)
    structures = [protocol_structure(row) for row in df.to_dict("records")]
    row, samples = evaluate_table2(
        structures, ReferenceSet.load(reference_npz), cutoffs_dataset(evaluate_cfg, dataset),
        cutoff_preset=evaluate_cfg["cutoff_preset"], seed=seed, workers=workers,
        timeout=float(evaluate_cfg["timeout"]), n_subset=int(evaluate_cfg["n_subset"]),
        n_draws=int(evaluate_cfg["n_draws"]), names=df["sample_id"].astype(str).tolist(),
    )
    row = {**row, **meta, "dataset": dataset}
    samples["decode_reason"] = df["reason"].to_numpy()
    write_table2(row, samples, out_csv, out_parquet)


def protocol_structure(row: dict) -> Structure | None:
    """A reconstructed sample built the way the CDVAE protocol builds crystals (None when it cannot)."""
    crystal = generated_crystal(row)
    if crystal is None:
        return None
    structure, _ = build_structure(crystal.lattice[:3], crystal.lattice[3:], crystal.frac, crystal.numbers)
    return structure


def gather_stage(table_paths: Sequence[Path], published: pd.DataFrame, title: str, out_csv: Path,
                 out_html: Path) -> None:
    """Our rows (source = srd) followed by the published ones, as CSV and as a page for the report."""
    ours = [pd.read_csv(p).assign(model="srd", source="srd") for p in table_paths]
    table = pd.concat([*ours, published], ignore_index=True)
    front = [c for c in ("dataset", "model", "source") if c in table.columns]
    table = table[front + [c for c in table.columns if c not in front]]
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    write_table_html(table, title, f"Rows with source = published are the paper's numbers (evaluation.md); "
                                   f"the others come from this run. Full precision: {Path(out_csv).name}.", out_html)


def gather_table2(table_paths: Sequence[Path], out_csv: Path, out_html: Path) -> None:
    gather_stage(table_paths, TABLE2, "Table 2: generation metrics (CDVAE protocol)", out_csv, out_html)


def gather_table1(table_paths: Sequence[Path], out_csv: Path, out_html: Path) -> None:
    gather_stage(table_paths, TABLE1, "Table 1: reconstruction of test crystals from their representation",
                 out_csv, out_html)


def pca_stage(test_done: Path, vectors_h5: Path, scaler_path: Path, representation_cfg: Mapping[str, Any],
              dataset: str, out_png: Path) -> None:
    """Paper Fig. 5: PCA of R_EAD of the generated vectors over the test split, in the model's scaled space."""
    _, R_test, layout = load_split(test_done, representation_cfg)
    with h5py.File(vectors_h5, "r") as f:
        X_gen = f["X"][()].astype(np.float64)
    X_test = Scaler.load(scaler_path).transform(R_test)
    pca_figure(X_test[:, layout.ead], X_gen[:, layout.ead], out_png, f"{dataset}: PCA of scaled R_EAD")


def gallery_stage(generated: Path, dataset: str, out_png: Path, n: int = 6) -> None:
    """Paper Fig. 4: the first `n` reconstructed crystals (lowest loss first)."""
    df = pd.read_parquet(generated)
    df = df[df["frac"].notna()].sort_values("loss") if "loss" in df.columns else df.iloc[:0]
    gallery_figure([generated_crystal(row) for row in df.head(n).to_dict("records")], out_png,
                   f"{dataset}: generated crystals")
