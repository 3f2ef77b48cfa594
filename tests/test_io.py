"""Atomic writes: all or nothing, and the result is as readable as any other new file (shared clusters)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from srd.io import atomic_path, atomic_write_text


def test_written_file_has_umask_permissions(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "out.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o666 & ~umask


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]
