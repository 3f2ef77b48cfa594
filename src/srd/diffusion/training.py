"""Train the denoiser on scaled representation vectors, resumably (Algorithm 3 of the paper).

A run lives in one directory: `checkpoint.pt` (model, EMA, optimizer, epoch, RNG state, loss history), `loss.csv`
and `loss.png`. Calling `train` again on the same directory continues from the checkpoint, and because the RNG
state is saved too, an interrupted run ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from srd.diffusion import checkpoint as ckpt  # noqa: E402
from srd.diffusion.ddpm import training_loss  # noqa: E402
from srd.diffusion.presets import TrainConfig, train_config  # noqa: E402
from srd.diffusion.schedule import Schedule  # noqa: E402
from srd.io import atomic_path  # noqa: E402
from srd.progress import progress  # noqa: E402

CHECKPOINT, LOSS_CSV, LOSS_PNG = "checkpoint.pt", "loss.csv", "loss.png"
# keys that may differ between a run and its resumption; every other one must match the checkpoint
RESUMABLE_KEYS = frozenset({"epochs", "checkpoint_every", "amp", "device"})


def _checked_data(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"training data must be a non-empty (n, D) matrix, got shape {X.shape}")
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(f"training data has non-finite values in {bad.sum()} row(s), first at row {bad.argmax()}")
    return np.ascontiguousarray(X)


def _fingerprint(X: np.ndarray) -> str:
    return hashlib.sha1(X.tobytes()).hexdigest()


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for p_ema, p in zip(ema.parameters(), model.parameters()):
        p_ema.lerp_(p, 1.0 - decay)


def _check_resumable(state: dict[str, Any], cfg: TrainConfig, seed: int, fingerprint: str, path: Path) -> None:
    saved = ckpt.config_dict(ckpt.config_of(state))
    now = ckpt.config_dict(cfg)
    changed = sorted(k for k in now if k not in RESUMABLE_KEYS and saved[k] != now[k])
    problems = [f"train.{k}: checkpoint {saved[k]!r}, now {now[k]!r}" for k in changed]
    if state["seed"] != seed:
        problems.append(f"seed: checkpoint {state['seed']}, now {seed}")
    if state["data_sha1"] != fingerprint:
        problems.append("the training matrix differs from the one the checkpoint was trained on")
    if problems:
        raise ValueError(f"cannot resume {path}: " + "; ".join(problems) + ". Use a new output directory or "
                         "delete this one to start over.")


def write_loss_outputs(out_dir: Path, losses: list[float], seconds: list[float]) -> None:
    """loss.csv (epoch, loss, seconds) and loss.png, both replaced atomically."""
    table = pd.DataFrame({"epoch": np.arange(1, len(losses) + 1), "loss": losses, "seconds": seconds})
    with atomic_path(out_dir / LOSS_CSV) as tmp:
        table.to_csv(tmp, index=False)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(table["epoch"], table["loss"])
    ax.set(xlabel="epoch", ylabel="training loss (MSE on eps)", yscale="log", title="diffusion training loss")
    fig.tight_layout()
    with atomic_path(out_dir / LOSS_PNG) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def run_epoch(model: nn.Module, ema: nn.Module, opt: torch.optim.Optimizer, schedule: Schedule, data: torch.Tensor,
              cfg: TrainConfig, generator: torch.Generator, step: int, amp: bool) -> tuple[float, int]:
    """One pass over the shuffled data; returns the sample-weighted mean loss and the new optimizer step count."""
    n = data.shape[0]
    perm = torch.randperm(n, device=data.device, generator=generator)
    total = torch.zeros((), device=data.device)
    for start in range(0, n, cfg.batch_size):
        x0 = data[perm[start:start + cfg.batch_size]]
        with torch.autocast(data.device.type, dtype=torch.bfloat16, enabled=amp):
            loss = training_loss(model, schedule, x0, generator)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        ema_update(ema, model, min(cfg.ema_decay, (1 + step) / (10 + step)))  # warm-up: early EMA follows the model
        total += loss.detach() * x0.shape[0]
    return (total / n).item(), step


def train(X: np.ndarray, out_dir: Path, cfg: Mapping[str, Any] | None = None, seed: int = 0) -> Path:
    """Train (or resume training) on the already-scaled (n, D) matrix X; returns the checkpoint path.

    `cfg` is the `train` config slice (`preset` + overrides). A non-finite epoch loss raises FloatingPointError
    and leaves the last good checkpoint in place.
    """
    tcfg = train_config(cfg)
    X = _checked_data(X)
    fingerprint = _fingerprint(X)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CHECKPOINT
    device = ckpt.resolve_device(tcfg.device)
    amp = tcfg.amp and device.type == "cuda"

    torch.manual_seed(seed)
    model = ckpt.build_model(tcfg).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=tcfg.lr)
    generator = torch.Generator(device=device).manual_seed(seed)
    epoch, step, losses, seconds = 0, 0, [], []
    if path.exists():
        state = ckpt.load(path, device)
        _check_resumable(state, tcfg, seed, fingerprint, path)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"].cpu())
        epoch, step, losses, seconds = state["epoch"], state["step"], list(state["losses"]), list(state["seconds"])

    def save() -> None:
        ckpt.save(path, {"config": ckpt.config_dict(tcfg), "seed": seed, "data_dim": X.shape[1],
                         "data_sha1": fingerprint, "epoch": epoch, "step": step, "losses": losses,
                         "seconds": seconds, "model": model.state_dict(), "ema": ema.state_dict(),
                         "optimizer": opt.state_dict(), "generator": generator.get_state()})
        write_loss_outputs(out_dir, losses, seconds)

    if epoch >= tcfg.epochs:
        return path
    data = torch.as_tensor(X, device=device)
    schedule = Schedule.cosine(tcfg.timesteps, tcfg.cosine_s, tcfg.max_beta, device)
    model.train()
    with progress(total=tcfg.epochs, initial=epoch, desc="training", unit="epoch") as bar:
        while epoch < tcfg.epochs:
            tic = time.perf_counter()
            loss, step = run_epoch(model, ema, opt, schedule, data, tcfg, generator, step, amp)
            if not math.isfinite(loss):
                kept = f"the checkpoint of epoch {epoch} is kept in {path}" if path.exists() else "no checkpoint yet"
                raise FloatingPointError(f"training loss became {loss} in epoch {epoch + 1}; {kept}. "
                                         "Check the scaling of the data or lower train.lr.")
            epoch += 1
            losses.append(loss)
            seconds.append(time.perf_counter() - tic)
            bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            bar.update(1)
            if epoch % tcfg.checkpoint_every == 0 or epoch == tcfg.epochs:
                save()
    return path
