"""The cosine noise schedule of Nichol & Dhariwal (2021) and the forward process q(x_t | x_0) it defines."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


def cosine_alphas_bar(timesteps: int, s: float = 0.008) -> np.ndarray:
    """Closed form alpha_bar(t) = f(t) / f(0), f(t) = cos((t/T + s) / (1 + s) * pi/2)^2, for t = 0..T (float64)."""
    t = np.arange(timesteps + 1, dtype=np.float64) / timesteps
    f = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return f / f[0]


def cosine_betas(timesteps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """beta_t = 1 - alpha_bar(t) / alpha_bar(t-1), t = 1..T, clipped at `max_beta` so the last steps stay finite."""
    alphas_bar = cosine_alphas_bar(timesteps, s)
    return np.clip(1.0 - alphas_bar[1:] / alphas_bar[:-1], 0.0, max_beta)


@dataclass(frozen=True)
class Schedule:
    """Per-step tensors, indexed 0..T-1 for the paper's t = 1..T (index i is step t = i + 1)."""

    betas: torch.Tensor
    alphas: torch.Tensor
    alphas_bar: torch.Tensor

    @classmethod
    def cosine(cls, timesteps: int, s: float = 0.008, max_beta: float = 0.999,
               device: torch.device | str = "cpu") -> "Schedule":
        betas = cosine_betas(timesteps, s, max_beta)
        alphas = 1.0 - betas
        as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
        return cls(as_tensor(betas), as_tensor(alphas), as_tensor(np.cumprod(alphas)))

    @property
    def timesteps(self) -> int:
        return len(self.betas)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (eq. 6), for a batch of (n, D) and steps t (n,)."""
        ab = self.alphas_bar[t][:, None]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
