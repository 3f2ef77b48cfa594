"""``srd evaluate``: score crystals from any model against a reference set (Table 2 of the protocol)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from srd.metrics.coverage import CUTOFF_PRESETS
from srd.metrics.pool import DEFAULT_TIMEOUT_S


def run(args: argparse.Namespace) -> int:
    from srd.metrics.table2 import evaluate_paths, load_or_compute_reference, write_table2  # matminer: ~3 s

    reference = load_or_compute_reference(args.reference, args.reference_cache, args.workers, args.timeout)
    row, samples = evaluate_paths(
        args.generated, reference, args.dataset, cutoff_preset=args.cutoff_preset, seed=args.seed,
        workers=args.workers, timeout=args.timeout, n_subset=args.n_subset, n_draws=args.n_draws,
    )
    row = {"generated": str(args.generated), "reference": str(args.reference), **row}
    write_table2(row, samples, args.out_row, args.out_samples)
    shown = ["comp_valid", "struct_valid", "valid", "cov_r", "cov_p", "d_rho", "d_rho_std", "d_elem", "d_elem_std"]
    print(", ".join(f"{key}={row[key]:.4g}" for key in shown), f"(cutoffs: {args.cutoff_preset})")
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score generated crystals against a reference set (Table 2 metrics)",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("generated", type=Path,
                        help="folder of *.cif, a CIF / extxyz / ASE-readable file, or a CSV(.gz) with a cif column")
    parser.add_argument("--reference", type=Path, required=True, help="test set: same kinds of input as generated")
    parser.add_argument("--reference-cache", type=Path,
                        help="npz of reference fingerprints: used if made from the same reference file, else written")
    parser.add_argument("--dataset", required=True, help="mp20, perov5 or carbon24 (selects the cutoffs)")
    parser.add_argument("--cutoff-preset", choices=sorted(CUTOFF_PRESETS), default="reference",
                        help="reference: CDVAE code's cutoffs; paper: those stated in the StructRepDiff paper")
    parser.add_argument("--seed", type=int, default=0, help="seed of the property-EMD subsets")
    parser.add_argument("--n-subset", type=int, default=1000, help="valid samples per property-EMD draw")
    parser.add_argument("--n-draws", type=int, default=10, help="property-EMD draws for mean and std")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="fingerprinting processes")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds per crystal before its fingerprint counts as failed")
    parser.add_argument("--out-row", type=Path, required=True, help="one-row CSV of the metrics")
    parser.add_argument("--out-samples", type=Path, required=True, help="per-sample parquet")
    parser.set_defaults(func=run)
