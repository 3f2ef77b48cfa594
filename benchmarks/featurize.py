"""Featurization speed: structures/s on one core for each offline dataset, and forward+backward of one descriptor
evaluation (pruned srd kernel vs the dense formula) on 5-, 10- and 20-atom cells, measured in the same run.

    python benchmarks/featurize.py [--n 500] [--data ../shared/data]

Targets (issue 2): >= 500 MP-20 structures/s on one core; forward+backward on a 20-atom cell >= 300x faster than
the dense formula.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from dense_ead import dense_structure_ead
from timing import seconds_per_call
from srd.featurize import featurize_table
from srd.ingest import IngestRules, ingest_path
from srd.representation.descriptor import CrystalBatch
from srd.representation.grid import EADGrid
from srd.table import from_table

DATASETS = {"perov_5": 20, "carbon_24": 24, "mp_20": 20}


def throughput(data: Path, n: int, grid: EADGrid) -> dict[str, float]:
    out = {}
    for name, max_atoms in DATASETS.items():
        table, _ = ingest_path(data / name / "val.csv.gz", IngestRules(max_atoms=max_atoms), desc=name)
        part = table.iloc[:n]
        seconds = seconds_per_call(lambda: featurize_table(part, grid, batch_size=32, dtype="float32", desc=name), 2, best=True)
        out[name] = len(part) / seconds
        print(f"{name:10s} {len(part)} structures, mean {part.n_atoms.mean():.1f} atoms: "
              f"{out[name]:7.1f} structures/s/core (float32, batch 32)")
    return out


def forward_backward(data: Path, grid: EADGrid) -> None:
    table, _ = ingest_path(data / "mp_20" / "val.csv.gz", IngestRules(max_atoms=20), desc="mp_20")
    for n_atoms in (5, 10, 20):
        crystal = from_table(table[table.n_atoms == n_atoms].iloc[:1])[0]
        timings = {}
        for label, radius, fn in (("srd", grid.cutoff, None), ("dense", grid.rc, dense_structure_ead)):
            batch = CrystalBatch.build([crystal], radius, torch.float64)
            pos = batch.pos.clone().requires_grad_()

            def step() -> None:
                if fn is None:
                    out = CrystalBatch(pos, batch.cell, batch.numbers, batch.batch, batch.pairs).structure_descriptor(grid)
                else:
                    out = fn(pos, batch.cell, batch.numbers, batch.batch, batch.pairs, grid)
                out.sum().backward()

            timings[label] = seconds_per_call(step, 50 if label == "srd" else 2, best=True)
        print(f"{n_atoms:2d}-atom cell ({crystal.id}): srd {timings['srd'] * 1e3:8.2f} ms, dense "
              f"{timings['dense'] * 1e3:9.1f} ms  -> {timings['dense'] / timings['srd']:6.1f}x (float64, fwd+bwd)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    grid = EADGrid()
    print(f"EAD grid: {grid.n_features} features/atom, neighbour radius {grid.cutoff:.2f} A (rc {grid.rc} A)")
    rates = throughput(args.data, args.n, grid)
    print(f"MP-20 vs target 500/s: {rates['mp_20'] / 500:.2f}x")
    forward_backward(args.data, grid)


if __name__ == "__main__":
    main()
