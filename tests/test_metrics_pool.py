"""The timeout pool: a hung, raising or dying item is reported and the run goes on."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

import pytest
from pymatgen.core import Lattice, Structure

from srd.metrics.fingerprints import compute_fingerprints
from srd.metrics.pool import map_with_timeout


def test_timeout_error_and_crash_are_reported_without_hanging():
    start = time.monotonic()
    sleeps = map_with_timeout(time.sleep, [0.0, 600.0, 0.0], workers=2, timeout=3.0, desc="sleep")
    assert [o.status for o in sleeps] == ["ok", "timeout", "ok"]
    assert time.monotonic() - start < 60
    errors = map_with_timeout(math.sqrt, [4.0, -1.0], workers=1, timeout=30.0, desc="sqrt")
    assert errors[0].status == "ok" and errors[0].value == 2.0
    assert errors[1].status == "error" and "ValueError" in errors[1].message
    crashed = map_with_timeout(os._exit, [3], workers=1, timeout=30.0, desc="exit")
    assert crashed[0].status == "crashed" and "3" in crashed[0].message


def test_fingerprint_timeout_marks_sample_invalid():
    big = Structure(Lattice.cubic(4.0), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    big.make_supercell([3, 3, 3])  # 108 sites: far more than 0.01 s of CrystalNN
    fps = compute_fingerprints([big], workers=1, timeout=0.01)
    assert fps.status == ["timeout"] and not fps.ok.any()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="workers"):
        map_with_timeout(abs, [1], workers=0, timeout=1.0, desc="x")
    with pytest.raises(ValueError, match="timeout"):
        map_with_timeout(abs, [1], workers=1, timeout=0, desc="x")


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method (Linux) only")
def test_unguarded_main_script_is_not_rerun_by_workers(tmp_path):
    """Workflow scripts often lack an ``if __name__ == "__main__"`` guard; workers must not re-import them."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from srd.metrics.pool import map_with_timeout\n"
        "print([o.status for o in map_with_timeout(abs, [-1, -2], workers=2, timeout=30.0, desc='abs')])\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ok', 'ok']"
