"""Process-wide CPU settings that the reconstruction's speed depends on."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import torch

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


@functools.cache
def tune_cpu() -> None:
    """Flush float32 denormals, whose arithmetic is many times slower on CPU, and keep freed memory in the heap.

    Every Adam step allocates and frees temporaries of a few MB (per-pair arrays, Gaussian factors). With glibc's
    default thresholds such blocks go back to the OS when freed and are page-faulted in again the next step: on
    Carbon-24 val cells of 8-16 atoms, 6 trials, 1000-4600 page faults per step against 40-60 with these thresholds,
    and 1.12x the step time (`python benchmarks/reconstruct.py malloc`). Without glibc (no mallopt) only the
    denormals are flushed.
    """
    torch.set_flush_denormal(True)
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest: blocks up to 32 MB come from the heap
    mallopt(M_TRIM_THRESHOLD, 256 << 20)  # return heap memory to the OS only beyond 256 MB free
