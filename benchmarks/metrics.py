"""Benchmark of the evaluation metrics (run by hand, not a test).

1. Fingerprinting throughput (structures/s) with 1 and 2 worker processes, and the scaling ratio.
2. Wall time of Table 2 for `--n-generated` MP-20 val crystals against the MP-20 test split (or its first
   `--n-reference` crystals; the time for the full split is then extrapolated linearly and labelled as such).

    python benchmarks/metrics.py --n-fp 100 --n-generated 1000 --n-reference 2000 --out /tmp/metrics_bench.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from srd.metrics.fingerprints import compute_fingerprints
from srd.metrics.readers import read_samples
from srd.metrics.table2 import compute_reference, evaluate_table2

DATA = Path("/work/shared/data/mp_20")


def _structures(split: str, n: int | None) -> list:
    samples = read_samples(DATA / f"{split}.csv.gz")[:n]
    return [s.structure for s in samples]


def fingerprint_throughput(structures: list, workers: int, timeout: float) -> float:
    start = time.perf_counter()
    compute_fingerprints(structures, workers=workers, timeout=timeout, desc=f"fp x{workers}")
    return len(structures) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-fp", type=int, default=100, help="MP-20 val crystals for the throughput test")
    parser.add_argument("--n-generated", type=int, default=1000, help="MP-20 val crystals scored as 'generated'")
    parser.add_argument("--n-reference", type=int, default=None, help="first N test crystals (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    results: dict[str, object] = {}
    fp_set = _structures("val", args.n_fp)
    one = fingerprint_throughput(fp_set, 1, args.timeout)
    two = fingerprint_throughput(fp_set, 2, args.timeout)
    results.update(n_fp=len(fp_set), fp_per_s_1_worker=one, fp_per_s_2_workers=two, scaling_2_over_1=two / one)
    print(f"fingerprints: {one:.2f}/s (1 worker), {two:.2f}/s (2 workers), ratio {two / one:.2f}", flush=True)

    n_test_full = len(pd.read_csv(DATA / "test.csv.gz", usecols=["cif"]))
    reference_structures = _structures("test", args.n_reference)
    generated = _structures("val", args.n_generated)
    start = time.perf_counter()
    reference = compute_reference(reference_structures, workers=args.workers, timeout=args.timeout)
    t_reference = time.perf_counter() - start
    start = time.perf_counter()
    row, _ = evaluate_table2(generated, reference, "mp20", workers=args.workers, timeout=args.timeout)
    t_generated = time.perf_counter() - start
    n_ref = len(reference_structures)
    results.update(
        n_generated=len(generated), n_reference=n_ref, n_reference_full=n_test_full, workers=args.workers,
        seconds_reference=t_reference, seconds_generated=t_generated, seconds_total=t_reference + t_generated,
        extrapolated_seconds_reference_full=t_reference * n_test_full / n_ref,
        extrapolated_seconds_total_full=t_reference * n_test_full / n_ref + t_generated,
        row={k: (v if isinstance(v, (str, int)) else float(v)) for k, v in row.items()},
    )
    print(f"Table 2: {len(generated)} generated vs {n_ref} reference crystals, {args.workers} workers: "
          f"reference {t_reference:.0f} s + generated {t_generated:.0f} s = {t_reference + t_generated:.0f} s")
    if n_ref < n_test_full:
        print(f"EXTRAPOLATED to the full test split ({n_test_full}): reference "
              f"{results['extrapolated_seconds_reference_full']:.0f} s, total "
              f"{results['extrapolated_seconds_total_full']:.0f} s")
    print(json.dumps(results["row"], indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
