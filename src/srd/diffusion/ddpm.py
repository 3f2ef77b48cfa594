"""DDPM with epsilon prediction (Ho et al. 2020): the training loss and one step of each reverse sampler."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srd.diffusion.schedule import Schedule


def predict_eps(model: nn.Module, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Run the one-channel U-Net on (n, D) vectors."""
    return model(x[:, None, :], t)[:, 0, :]


def training_loss(model: nn.Module, schedule: Schedule, x0: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """||eps - eps_theta(sqrt(ab) x0 + sqrt(1 - ab) eps, t)||^2 with t uniform over the T steps (Algorithm 3)."""
    t = torch.randint(0, schedule.timesteps, (x0.shape[0],), device=x0.device, generator=generator)
    noise = torch.randn(x0.shape, device=x0.device, generator=generator)
    return F.mse_loss(predict_eps(model, schedule.q_sample(x0, t, noise), t).float(), noise)


def ancestral_step(model: nn.Module, schedule: Schedule, x: torch.Tensor, i: int,
                   generator: torch.Generator) -> torch.Tensor:
    """Algorithm 1, line 4: x_{t-1} = (x_t - beta_t / sqrt(1 - ab_t) eps_theta) / sqrt(alpha_t) + sqrt(beta_t) z.

    `i` is the 0-based index of step t = i + 1; no noise is added on the last step (t = 1).
    """
    t = torch.full((x.shape[0],), i, device=x.device, dtype=torch.long)
    eps = predict_eps(model, x, t)
    beta, alpha, ab = schedule.betas[i], schedule.alphas[i], schedule.alphas_bar[i]
    mean = (x - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    if i == 0:
        return mean
    return mean + beta.sqrt() * torch.randn(x.shape, device=x.device, generator=generator)


def ddim_step(model: nn.Module, schedule: Schedule, x: torch.Tensor, i: int, i_next: int, eta: float,
              generator: torch.Generator) -> torch.Tensor:
    """DDIM (Song et al. 2021) jump from step index i to i_next < i (-1 means to x_0); eta = 0 is deterministic."""
    t = torch.full((x.shape[0],), i, device=x.device, dtype=torch.long)
    eps = predict_eps(model, x, t)
    ab = schedule.alphas_bar[i]
    x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
    if i_next < 0:
        return x0
    ab_next = schedule.alphas_bar[i_next]
    sigma = eta * ((1 - ab_next) / (1 - ab) * (1 - ab / ab_next)).sqrt()
    x_next = ab_next.sqrt() * x0 + (1 - ab_next - sigma**2).sqrt() * eps
    if eta > 0:
        x_next = x_next + sigma * torch.randn(x.shape, device=x.device, generator=generator)
    return x_next
