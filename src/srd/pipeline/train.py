"""The train stage: scaled train-split vectors -> a DDPM checkpoint, resumable across interrupted jobs."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from srd.diffusion import train, train_config
from srd.diffusion.checkpoint import config_dict
from srd.diffusion.training import RESUMABLE_KEYS
from srd.io import atomic_path
from srd.pipeline.data import load_split
from srd.representation.scaler import Scaler

log = logging.getLogger(__name__)


def run_directory(model_dir: Path, train_cfg: Mapping[str, Any], seed: int, X: np.ndarray) -> Path:
    """Where the job trains: keyed by everything that forbids a resume, so a rerun after an interruption (or
    after raising `epochs`) continues, while a changed model or data starts a fresh run beside the old one."""
    settings = {k: v for k, v in config_dict(train_config(train_cfg)).items() if k not in RESUMABLE_KEYS}
    digest = hashlib.sha256(json.dumps({"settings": settings, "seed": seed}, sort_keys=True, default=str).encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    return Path(model_dir) / "runs" / digest.hexdigest()[:12]


def train_stage(train_done: Path, scaler_path: Path, representation_cfg: Mapping[str, Any],
                train_cfg: Mapping[str, Any], seed: int, checkpoint_out: Path, loss_csv: Path, loss_png: Path) -> None:
    _, R, _ = load_split(train_done, representation_cfg)
    X = Scaler.load(scaler_path).transform(R).astype(np.float32)
    run_dir = run_directory(Path(checkpoint_out).parent, train_cfg, seed, X)
    log.info("training on %d vectors of length %d in %s", *X.shape, run_dir)
    checkpoint = train(X, run_dir, train_cfg, seed)
    for source, dest in ((checkpoint, checkpoint_out), (run_dir / "loss.csv", loss_csv), (run_dir / "loss.png", loss_png)):
        with atomic_path(dest) as tmp:
            shutil.copyfile(source, tmp)
