"""Training and sampling settings: named presets plus per-key overrides from a config mapping.

`paper` holds the values of the paper (A.3.2, A.3.4); `cpu` is sized so that Perov-5 trains in under an hour on
two CPU cores; `tiny` exists for tests and CI demos. Unknown keys raise, so a typo never silently falls back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, TypeVar

from srd.config_values import typed

DEVICES = ("auto", "cpu", "cuda")
SAMPLERS = ("ancestral", "ddim")


@dataclass(frozen=True)
class TrainConfig:
    """Model, diffusion schedule and optimisation settings; the defaults are the `paper` preset."""

    epochs: int = 2000
    batch_size: int = 64
    lr: float = 1e-4
    dim: int = 64  # channels of the first U-Net stage
    dim_mults: tuple[int, ...] = (1, 2, 4, 8)  # channel multiplier per stage; len - 1 halvings of the length
    resnet_blocks: int = 2  # ResNet blocks per down / middle / up stage
    norm_groups: int = 8  # GroupNorm groups; must divide `dim`
    attn_heads: int = 4
    attn_dim_head: int = 64  # 4 heads x 64 = the paper's 256-dim attention
    timesteps: int = 2000
    cosine_s: float = 0.008
    max_beta: float = 0.999
    ema_decay: float = 0.999
    checkpoint_every: int = 10  # epochs between checkpoints (one is always written at the end)
    amp: bool = False  # bfloat16 autocast, CUDA only (ignored on CPU)
    device: str = "auto"  # auto = CUDA when present, else CPU

    def __post_init__(self) -> None:
        for key in ("epochs", "batch_size", "dim", "resnet_blocks", "norm_groups", "attn_heads", "attn_dim_head",
                    "timesteps", "checkpoint_every"):
            if getattr(self, key) < 1:
                raise ValueError(f"train.{key} must be >= 1, got {getattr(self, key)}")
        if not self.dim_mults or min(self.dim_mults) < 1:
            raise ValueError(f"train.dim_mults must be a non-empty list of positive integers, got {self.dim_mults}")
        if self.dim < 4 or self.dim % 2:
            raise ValueError(f"train.dim must be an even number >= 4 (the time embedding uses dim / 2 frequencies), "
                             f"got {self.dim}")
        if self.dim % self.norm_groups:
            raise ValueError(f"train.norm_groups ({self.norm_groups}) must divide train.dim ({self.dim})")
        if not self.lr > 0:
            raise ValueError(f"train.lr must be positive, got {self.lr}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"train.ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0 < self.max_beta < 1 or not self.cosine_s >= 0:
            raise ValueError(f"train.max_beta must be in (0, 1) and train.cosine_s >= 0, "
                             f"got {self.max_beta}, {self.cosine_s}")
        if self.device not in DEVICES:
            raise ValueError(f"train.device must be one of {DEVICES}, got {self.device!r}")


@dataclass(frozen=True)
class SampleConfig:
    """How many vectors to generate and with which reverse process."""

    n_samples: int = 10_000  # the paper-scale budget (evaluation.md)
    sampler: str = "ancestral"  # ancestral = the paper's Algorithm 1; ddim = deterministic with fewer steps
    ddim_steps: int = 100
    ddim_eta: float = 0.0  # 0 = deterministic DDIM
    batch_size: int = 1000
    use_ema: bool = True
    device: str = "auto"  # auto = CUDA when present, else CPU

    def __post_init__(self) -> None:
        for key in ("n_samples", "ddim_steps", "batch_size"):
            if getattr(self, key) < 1:
                raise ValueError(f"sample.{key} must be >= 1, got {getattr(self, key)}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sample.sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.ddim_eta < 0:
            raise ValueError(f"sample.ddim_eta must be >= 0, got {self.ddim_eta}")
        if self.device not in DEVICES:
            raise ValueError(f"sample.device must be one of {DEVICES}, got {self.device!r}")


TRAIN_PRESETS: dict[str, TrainConfig] = {
    "paper": TrainConfig(),
    # 0.15 M parameters: 74-110 training samples/s on one core of a busy 2-core machine (benchmarks/diffusion.py),
    # so 60 epochs of Perov-5 (3,800 vectors) take < 1 h and a 300-structure demo about 3-4 minutes
    "cpu": TrainConfig(epochs=60, batch_size=64, lr=5e-4, dim=8, dim_mults=(1, 2, 4, 8), resnet_blocks=1,
                       norm_groups=4, attn_heads=4, attn_dim_head=8, checkpoint_every=5),
    "tiny": TrainConfig(epochs=20, batch_size=32, lr=1e-3, dim=8, dim_mults=(1, 2), resnet_blocks=1, norm_groups=4,
                        attn_heads=2, attn_dim_head=8, timesteps=100, ema_decay=0.9, checkpoint_every=5),
}
SAMPLE_PRESETS: dict[str, SampleConfig] = {
    "paper": SampleConfig(),
    "cpu": SampleConfig(sampler="ddim", ddim_steps=100),  # 2000 ancestral steps per sample are hours on a CPU
    "tiny": SampleConfig(n_samples=64, sampler="ddim", ddim_steps=20, batch_size=64),
}

C = TypeVar("C", TrainConfig, SampleConfig)


def _resolve(presets: Mapping[str, C], cfg: Mapping[str, Any] | None, section: str) -> C:
    cfg = dict(cfg or {})
    name = cfg.pop("preset", "paper")
    if name not in presets:
        raise ValueError(f"unknown {section}.preset {name!r}; known presets: {sorted(presets)}")
    base = presets[name]
    fields = {f.name: f for f in dataclasses.fields(base)}
    unknown = sorted(set(cfg) - set(fields))
    if unknown:
        raise ValueError(f"unknown key(s) in the {section} config: {unknown}; known keys: ['preset', "
                         f"{', '.join(repr(k) for k in fields)}]")
    return dataclasses.replace(base, **{k: typed(section, k, v, type(getattr(base, k))) for k, v in cfg.items()})


def train_config(cfg: Mapping[str, Any] | None = None) -> TrainConfig:
    """The `train` slice: `preset` (default `paper`) plus any TrainConfig key as an override."""
    return _resolve(TRAIN_PRESETS, cfg, "train")


def sample_config(cfg: Mapping[str, Any] | None = None) -> SampleConfig:
    """The `sample` slice: `preset` (default `paper`) plus any SampleConfig key as an override."""
    return _resolve(SAMPLE_PRESETS, cfg, "sample")
