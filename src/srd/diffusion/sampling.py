"""Generate scaled representation vectors from a trained checkpoint (the paper's Algorithm 1, or DDIM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from srd.diffusion import checkpoint as ckpt
from srd.diffusion.ddpm import ancestral_step, ddim_step
from srd.diffusion.presets import SampleConfig, sample_config
from srd.diffusion.schedule import Schedule
from srd.progress import progress



def ddim_indices(timesteps: int, steps: int) -> list[int]:
    """Step indices visited by DDIM, high to low: 0, T/steps, 2T/steps, ... ("leading" spacing).

    Starting at index T - T/steps rather than T - 1 matters with the cosine schedule: alpha_bar at the last step
    is ~1e-9, and DDIM's x_0 estimate would amplify the model's eps error by 1/sqrt(alpha_bar) ~ 4e4.
    """
    if steps > timesteps:
        raise ValueError(f"sample.ddim_steps ({steps}) exceeds the trained number of timesteps ({timesteps})")
    return sorted({int(i) for i in np.floor(np.arange(steps) * timesteps / steps)}, reverse=True)


@torch.inference_mode()
def reverse_process(model: nn.Module, schedule: Schedule, noise: torch.Tensor, cfg: SampleConfig,
                    generator: torch.Generator, bar: Any = None) -> torch.Tensor:
    """Denoise one batch starting from x_T = `noise`."""
    x = noise
    if cfg.sampler == "ancestral":
        for i in reversed(range(schedule.timesteps)):
            x = ancestral_step(model, schedule, x, i, generator)
            if bar is not None:
                bar.update(1)
    else:
        indices = ddim_indices(schedule.timesteps, cfg.ddim_steps)
        for i, i_next in zip(indices, indices[1:] + [-1]):
            x = ddim_step(model, schedule, x, i, i_next, cfg.ddim_eta, generator)
            if bar is not None:
                bar.update(1)
    return x


def generate(model: nn.Module, schedule: Schedule, n_samples: int, dim: int, cfg: SampleConfig, seed: int,
             device: torch.device) -> np.ndarray:
    """Batched sampling with a seeded generator on `device`; returns (n_samples, dim) float32."""
    generator = torch.Generator(device=device).manual_seed(seed)
    steps = schedule.timesteps if cfg.sampler == "ancestral" else len(ddim_indices(schedule.timesteps, cfg.ddim_steps))
    batches = [min(cfg.batch_size, n_samples - start) for start in range(0, n_samples, cfg.batch_size)]
    out = []
    with progress(total=steps * len(batches), desc=f"sampling ({cfg.sampler})", unit="step") as bar:
        for size in batches:
            noise = torch.randn((size, dim), device=device, generator=generator)
            out.append(reverse_process(model, schedule, noise, cfg, generator, bar).float().cpu().numpy())
    return np.concatenate(out, axis=0)


def sample(checkpoint: Path, n_samples: int | None = None, cfg: Mapping[str, Any] | None = None,
           seed: int = 0, device: str | torch.device | None = None) -> np.ndarray:
    """Generate scaled vectors (n_samples, D) from a `train` checkpoint; `n_samples=None` takes `cfg["n_samples"]`.

    `cfg` is the `sample` config slice; `device` (default: the slice's `device`, "auto") None or "auto" means CUDA
    when present, else CPU.
    """
    scfg = sample_config(cfg)
    n = scfg.n_samples if n_samples is None else int(n_samples)
    if n < 1:
        raise ValueError(f"n_samples must be >= 1, got {n}")
    dev = ckpt.resolve_device(scfg.device if device is None else device)
    state = ckpt.load(Path(checkpoint), dev)
    tcfg = ckpt.config_of(state)
    model = ckpt.build_model(tcfg).to(dev)
    model.load_state_dict(state["ema" if scfg.use_ema else "model"])
    model.eval()
    schedule = Schedule.cosine(tcfg.timesteps, tcfg.cosine_s, tcfg.max_beta, dev)
    return generate(model, schedule, n, int(state["data_dim"]), scfg, seed, dev)
