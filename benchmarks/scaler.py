"""Which scaling of R suits a DDPM? Measures candidate transforms fitted on the (offline) train split and applied to
the test split: how much of each feature's [-1, 1] range the data actually uses, and how far test data falls outside.

    python benchmarks/scaler.py [--dataset perov_5] [--n 1000]

A transform that leaves most features squashed against one end (raw min-max on a heavy-tailed EAD) gives the model
almost no signal above the noise; the method note asks for the choice to be measured, this is that measurement.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from srd.featurize import featurize_table
from srd.ingest import IngestRules, ingest_path
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler


def minmax(train: np.ndarray, x: np.ndarray) -> np.ndarray:
    lo, hi = train.min(0), train.max(0)
    return 2 * (x - lo) / np.where(hi > lo, hi - lo, 1.0) - 1


def standard(train: np.ndarray, x: np.ndarray) -> np.ndarray:
    sd = train.std(0)
    return (x - train.mean(0)) / np.where(sd > 0, sd, 1.0)


def report(name: str, train_scaled: np.ndarray, test_scaled: np.ndarray, varying: np.ndarray) -> None:
    iqr = np.subtract(*np.percentile(train_scaled[:, varying], [75, 25], axis=0))
    outside = np.mean(np.abs(test_scaled[:, varying]) > 1.5)
    print(f"{name:28s} median IQR {np.median(iqr):6.3f}  features with IQR < 0.05: {np.mean(iqr < 0.05):6.1%}  "
          f"test values |x| > 1.5: {outside:7.3%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="perov_5")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    torch.set_num_threads(1)
    grid, rules = EADGrid(), IngestRules(max_atoms=24)
    layout = VectorLayout.from_grid(grid)
    R = {}
    for split, file in (("train", "val"), ("test", "test")):
        table, _ = ingest_path(args.data / args.dataset / f"{file}.csv.gz", rules, desc=split)
        R[split], _, _ = featurize_table(table.iloc[: args.n], grid)
    ead = layout.ead
    varying = R["train"][:, ead].std(0) > 0
    print(f"{args.dataset}: EAD block of {len(R['train'])} train / {len(R['test'])} test structures, "
          f"{varying.sum()} varying features")
    tr, te = R["train"][:, ead], R["test"][:, ead]
    report("min-max (raw)", minmax(tr, tr), minmax(tr, te), varying)
    report("standardise (raw)", standard(tr, tr) / 3, standard(tr, te) / 3, varying)
    report("log1p + standardise (/3)", standard(np.log1p(tr), np.log1p(tr)) / 3,
           standard(np.log1p(tr), np.log1p(te)) / 3, varying)
    scaler = Scaler.fit(R["train"], layout)
    report("log1p + min-max (srd)", scaler.transform(R["train"])[:, ead], scaler.transform(R["test"])[:, ead], varying)


if __name__ == "__main__":
    main()
