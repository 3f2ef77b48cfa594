"""Checkpoint files: what a training run saves, written atomically so an interruption never leaves a torn file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from srd.diffusion.presets import TrainConfig
from srd.diffusion.unet import Unet1D
from srd.io import atomic_path

FORMAT = 1


def build_model(cfg: TrainConfig) -> Unet1D:
    return Unet1D(dim=cfg.dim, dim_mults=cfg.dim_mults, channels=1, resnet_blocks=cfg.resnet_blocks,
                  norm_groups=cfg.norm_groups, attn_heads=cfg.attn_heads, attn_dim_head=cfg.attn_dim_head)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None or "auto": CUDA when present, else CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def save(path: Path, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)


def load(path: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by `save` (tensors mapped to `device`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no diffusion checkpoint at {path}")
    state = torch.load(path, map_location=device, weights_only=True)
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a diffusion checkpoint of format {FORMAT} (found {state.get('format')!r})")
    return state


def config_of(state: dict[str, Any]) -> TrainConfig:
    cfg = dict(state["config"])
    cfg["dim_mults"] = tuple(cfg["dim_mults"])
    return TrainConfig(**cfg)


def config_dict(cfg: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
