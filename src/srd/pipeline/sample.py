"""The sample stage: checkpoint -> generated vectors (HDF5, raw scale) and the decoded samples table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

from srd.decode import decode
from srd.diffusion import sample
from srd.io import atomic_path, write_parquet
from srd.pipeline.data import load_split, max_atoms
from srd.representation.scaler import Scaler

log = logging.getLogger(__name__)


def sample_stage(checkpoint: Path, scaler_path: Path, train_done: Path, representation_cfg: Mapping[str, Any],
                 sample_cfg: Mapping[str, Any], seed: int, vectors_out: Path, samples_out: Path) -> None:
    _, R_train, layout = load_split(train_done, representation_cfg)
    X = sample(checkpoint, cfg=sample_cfg, seed=seed)
    R = Scaler.load(scaler_path).inverse(X.astype(np.float64))
    with atomic_path(vectors_out) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("R", data=R.astype(np.float32))
        f.create_dataset("X", data=X.astype(np.float32))  # as the model produced them, before inverse scaling
    samples = decode(R, layout, max_atoms(R_train, layout))
    log.info("%d samples, %d decode to a valid composition and cell", len(samples), int(samples["valid"].sum()))
    for reason, count in samples.loc[~samples["valid"], "reason"].value_counts().items():
        log.info("  invalid %d x %s", count, reason)
    write_parquet(samples, samples_out)
