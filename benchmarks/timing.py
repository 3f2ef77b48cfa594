"""Seconds per call for the benchmarks: one warm-up call, then the mean (or best) of `repeats` calls."""

from __future__ import annotations

import time
from typing import Callable


def seconds_per_call(fn: Callable[[], object], repeats: int, best: bool = False) -> float:
    """Mean by default; `best=True` takes the fastest call, the least noisy figure on a shared machine."""
    fn()
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tic)
    return min(times) if best else sum(times) / len(times)
