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
    default thresholds such blocks go back to the OS when freed and are page-faulted in again the next step: up to
    ~4000 faults and ~7 ms of system time per step (of ~35) on a 16-atom Carbon-24 cell, 6 trials. Without glibc (no
    mallopt) only the denormals are flushed.
    """
    torch.set_flush_denormal(True)
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest: blocks up to 32 MB come from the heap
    mallopt(M_TRIM_THRESHOLD, 256 << 20)  # return heap memory to the OS only beyond 256 MB free
