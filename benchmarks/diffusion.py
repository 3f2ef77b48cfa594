"""Throughput of diffusion training and sampling on this machine (run by hand; not a test).

    python benchmarks/diffusion.py [--presets cpu paper] [--threads 1] [--device cpu]

For each preset: training samples/s through the real epoch loop (forward, backward, Adam, EMA) on D=704 vectors,
and the cost of one reverse step for ancestral (Algorithm 1) and DDIM sampling, per step and per generated sample.
Ratios are computed from figures measured in the same run; the only outside number is the paper's anchor
(MP-20: 27,136 vectors x 2000 epochs in ~12 h on an A100, i.e. ~1,256 training samples/s).
"""

from __future__ import annotations

import argparse
import copy

import torch

from timing import seconds_per_call
from srd.diffusion.checkpoint import build_model, resolve_device
from srd.diffusion.ddpm import ancestral_step, ddim_step
from srd.diffusion.presets import sample_config, train_config
from srd.diffusion.sampling import ddim_indices
from srd.diffusion.schedule import Schedule
from srd.diffusion.training import run_epoch

PAPER_SAMPLES_PER_S = 27_136 * 2000 / (12 * 3600)
PEROV5_VECTORS = 3_800
D = 704


def bench_training(preset: str, device: torch.device, batches: int) -> float:
    cfg = train_config({"preset": preset})
    torch.manual_seed(0)
    model = build_model(cfg).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = Schedule.cosine(cfg.timesteps, device=device)
    data = torch.randn(batches * cfg.batch_size, D, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    seconds = seconds_per_call(lambda: run_epoch(model, ema, opt, schedule, data, cfg, generator, 0, False), 1)
    return data.shape[0] / seconds


@torch.inference_mode()
def bench_step(preset: str, device: torch.device, batch: int, repeats: int) -> dict[str, float]:
    """Seconds per reverse step of `batch` vectors, for each sampler."""
    cfg = train_config({"preset": preset})
    model = build_model(cfg).to(device).eval()
    schedule = Schedule.cosine(cfg.timesteps, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(batch, D, device=device)
    i = cfg.timesteps // 2
    return {"ancestral": seconds_per_call(lambda: ancestral_step(model, schedule, x, i, generator), repeats),
            "ddim": seconds_per_call(lambda: ddim_step(model, schedule, x, i, i - 20, 0.0, generator), repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["cpu", "paper"])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 = a per-core figure)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--train-batches", type=int, default=5)
    parser.add_argument("--sample-batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    ddim_steps = sample_config({}).ddim_steps
    print(f"device {device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}, D = {D}")
    print(f"paper anchor: {PAPER_SAMPLES_PER_S:,.0f} training samples/s (A100)")
    for preset in args.presets:
        cfg = train_config({"preset": preset})
        params = sum(p.numel() for p in build_model(cfg).parameters())
        rate = bench_training(preset, device, args.train_batches)
        steps = bench_step(preset, device, args.sample_batch, args.repeats)
        n_ddim = len(ddim_indices(cfg.timesteps, ddim_steps))
        per_sample = {"ancestral": steps["ancestral"] * cfg.timesteps / args.sample_batch,
                      "ddim": steps["ddim"] * n_ddim / args.sample_batch}
        print(f"\n[{preset}] {params / 1e6:.2f} M parameters, T = {cfg.timesteps}, batch {cfg.batch_size}, "
              f"{cfg.epochs} epochs")
        print(f"  training: {rate:,.1f} samples/s = {rate / PAPER_SAMPLES_PER_S:.4f} x the paper's A100")
        print(f"    one epoch of Perov-5 ({PEROV5_VECTORS} vectors): {PEROV5_VECTORS / rate:,.1f} s; "
              f"{cfg.epochs} epochs: {cfg.epochs * PEROV5_VECTORS / rate / 3600:,.2f} h")
        for name in ("ancestral", "ddim"):
            n_steps = cfg.timesteps if name == "ancestral" else n_ddim
            print(f"  {name:9s} sampling: {steps[name] * 1e3:8.1f} ms per step (batch {args.sample_batch}), "
                  f"{n_steps} steps, {per_sample[name]:8.3f} s per sample = {1 / per_sample[name]:8.2f} samples/s")
        hours = {name: 10_000 * seconds / 3600 for name, seconds in per_sample.items()}
        print(f"  DDIM ({n_ddim} steps) / ancestral ({cfg.timesteps} steps) speed-up: "
              f"{per_sample['ancestral'] / per_sample['ddim']:.1f}x; 10,000 samples take "
              f"{hours['ancestral']:,.1f} h ancestral, {hours['ddim']:,.2f} h DDIM")


if __name__ == "__main__":
    main()
