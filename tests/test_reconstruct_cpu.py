"""Process-wide CPU settings of the reconstruction: denormals flushed; no glibc is no error."""

from __future__ import annotations

import ctypes.util

import pytest
import torch

from srd.reconstruct.cpu import tune_cpu


def test_float32_denormals_are_flushed_to_zero() -> None:
    tune_cpu()
    tiny = torch.finfo(torch.float32).tiny  # smallest normal float32
    assert (torch.tensor([tiny], dtype=torch.float32) * 0.25).item() == 0.0  # a denormal result becomes 0


def test_a_libc_without_mallopt_only_flushes_denormals(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and musl have no mallopt (or no library is found): the settings that can be made are, and nothing
    raises."""
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libsrd-no-such-library.so")
    torch.set_flush_denormal(False)
    try:
        tune_cpu.__wrapped__()
        assert (torch.tensor([torch.finfo(torch.float32).tiny]) * 0.25).item() == 0.0
    finally:
        torch.set_flush_denormal(True)
