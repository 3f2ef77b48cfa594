"""The invertible per-feature transform between raw R and what the diffusion model sees (method.md, "Scaling").

The raw EAD spans ~0 to ~1e6, so the EAD block is log1p-compressed first; then every feature is mapped affinely
from its training-split [min, max] to [-1, 1], the range DDPMs are usually trained on. Features whose training
range is below MIN_RANGE (constants, and EAD entries that are zero by symmetry or Gaussian tails at ~1e-30) are only
shifted, not stretched: stretching a 1e-30 range would turn float rounding into values of 1e+30. Fitted on the train
split only, stored as JSON beside the shards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from srd.io import atomic_write_text
from srd.representation.layout import VectorLayout

MIN_RANGE = 1e-6  # in transformed units (log1p for the EAD block, which spans ~0..15)


@dataclass(frozen=True)
class Scaler:
    log_mask: np.ndarray  # (D,) bool: features that are log1p-compressed first
    low: np.ndarray  # (D,) training minimum (after log1p where masked)
    high: np.ndarray  # (D,) training maximum

    @classmethod
    def fit(cls, R: np.ndarray, layout: VectorLayout) -> "Scaler":
        layout.check(R)
        if not np.all(np.isfinite(R)):
            bad = np.argwhere(~np.isfinite(R))[0]
            raise ValueError(f"cannot fit the scaler: non-finite value in row {bad[0]}, feature {bad[1]}")
        log_mask = np.zeros(layout.size, dtype=bool)
        log_mask[layout.ead] = True
        if np.any(R[:, log_mask] < 0):
            raise ValueError("cannot fit the scaler: negative EAD value (EAD features are sums of squares)")
        z = np.where(log_mask, np.log1p(np.where(log_mask, R, 0.0)), R)
        return cls(log_mask=log_mask, low=z.min(0), high=z.max(0))

    @property
    def _half_range(self) -> np.ndarray:
        half = (self.high - self.low) / 2.0
        return np.where(2.0 * half >= MIN_RANGE, half, 1.0)

    def transform(self, R: np.ndarray) -> np.ndarray:
        z = np.where(self.log_mask, np.log1p(np.where(self.log_mask, np.maximum(R, 0.0), 0.0)), R)
        return (z - self.low) / self._half_range - 1.0

    def inverse(self, X: np.ndarray) -> np.ndarray:
        z = (X + 1.0) * self._half_range + self.low
        return np.where(self.log_mask, np.expm1(np.where(self.log_mask, z, 0.0)), z)

    def transform_torch(self, R: torch.Tensor, block: slice | np.ndarray) -> torch.Tensor:
        """Differentiable transform of the columns `block` of R (e.g. layout.structure, the reconstruction target)."""
        kw = {"dtype": R.dtype, "device": R.device}
        log_mask = torch.as_tensor(self.log_mask[block], device=R.device)
        z = torch.where(log_mask, torch.log1p(R.clamp_min(0.0)), R)
        return (z - torch.as_tensor(self.low[block], **kw)) / torch.as_tensor(self._half_range[block], **kw) - 1.0

    def save(self, path: Path) -> None:
        payload = {"method": "log1p(EAD) then min-max to [-1, 1]", "log_mask": self.log_mask.tolist(),
                   "low": self.low.tolist(), "high": self.high.tolist()}
        atomic_write_text(Path(path), json.dumps(payload))

    @classmethod
    def load(cls, path: Path) -> "Scaler":
        d = json.loads(Path(path).read_text())
        return cls(np.array(d["log_mask"], dtype=bool), np.array(d["low"]), np.array(d["high"]))
