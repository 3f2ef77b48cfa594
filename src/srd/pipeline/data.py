"""Loading a split's representation matrix and the scaler, shared by the stages after featurize."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from srd.featurize import manifest_shards, read_shards
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler


def load_split(done_path: Path, representation_cfg: Mapping[str, Any]) -> tuple[list[str], np.ndarray, VectorLayout]:
    """(ids, raw R float64, layout) of a featurized split; refuses shards of another grid."""
    grid = EADGrid.from_config(representation_cfg)
    ids, R = read_shards(manifest_shards(done_path), grid)
    if len(ids) == 0:
        raise ValueError(f"{done_path}: the split has no featurized structures (see the ingest rejects and logs)")
    return ids, R.astype(np.float64), VectorLayout.from_grid(grid)


def max_atoms(R: np.ndarray, layout: VectorLayout) -> int:
    """The largest n_atoms of a (training) matrix: decoding clips to it."""
    return int(round(R[:, layout.n_atoms].max()))


def fit_scaler_stage(done_path: Path, representation_cfg: Mapping[str, Any], out_path: Path) -> None:
    """Fit the scaler on a split's shards (the train split only) and save it as JSON."""
    _, R, layout = load_split(done_path, representation_cfg)
    Scaler.fit(R, layout).save(out_path)
