"""Resumable chunk runner: reconstruct a list of jobs in batches, checkpointing finished rows after every batch.

Finished rows live in a sidecar parquet next to the output (`<out>.partial.parquet`, replaced atomically after each
batch), so a killed job resumes without redoing finished structures. A batch that raises is retried one structure
at a time, and a structure that still raises is recorded with its error: one bad row never sinks the chunk.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from srd.io import write_parquet
from srd.progress import progress
from srd.reconstruct.config import Settings
from srd.reconstruct.engine import Result, Target, reconstruct
from srd.reconstruct.site_prior import SitePrior
from srd.representation.grid import EADGrid
from srd.representation.scaler import Scaler


@dataclass(frozen=True)
class Job:
    """One row to process: its key, the target to reconstruct (None: nothing to do, e.g. an invalid sample)."""

    key: str
    target: Target | None
    passthrough: dict  # columns copied to the output row as they are


Finish = Callable[[Job, Result, float], dict]  # (job, result, seconds) -> the output row's computed columns


def structure_seed(seed: int, key: str) -> int:
    """A structure's own seed: its result does not depend on its chunk or batch neighbours."""
    return int(np.random.SeedSequence([seed, zlib.crc32(key.encode())]).generate_state(1)[0])


def sidecar(out_path: Path) -> Path:
    return out_path.with_name(out_path.name + ".partial.parquet")


def run_jobs(jobs: Sequence[Job], scaler: Scaler, sites: SitePrior, grid: EADGrid, settings: Settings,
             finish: Finish, out_path: Path, key_column: str, desc: str) -> None:
    """Process every job not already in the sidecar, then write all rows (job order) to out_path."""
    out_path, partial = Path(out_path), sidecar(Path(out_path))
    rows = pd.read_parquet(partial).to_dict("records") if partial.exists() else []
    done = {str(r[key_column]) for r in rows}
    pending = [j for j in jobs if j.key not in done]
    rows += [{**j.passthrough, "error": j.passthrough.get("error", "")} for j in pending if j.target is None]
    todo = sorted((j for j in pending if j.target is not None), key=lambda j: j.target.n_atoms)  # similar sizes batch well
    with progress(total=len(todo), desc=desc, unit="structure") as bar:
        for a in range(0, len(todo), settings.batch_structures):
            batch = todo[a:a + settings.batch_structures]
            rows += _run_batch(batch, scaler, sites, grid, settings, finish)
            write_parquet(pd.DataFrame(rows), partial)
            bar.update(len(batch))
    order = {j.key: k for k, j in enumerate(jobs)}
    rows.sort(key=lambda r: order.get(str(r[key_column]), len(order)))
    write_parquet(pd.DataFrame(rows), out_path)
    partial.unlink(missing_ok=True)


def _run_batch(batch: Sequence[Job], scaler: Scaler, sites: SitePrior, grid: EADGrid, settings: Settings,
               finish: Finish) -> list[dict]:
    try:
        t0 = time.perf_counter()
        results = reconstruct([j.target for j in batch], scaler, grid, settings, sites)
        seconds = time_shares(time.perf_counter() - t0, [r.steps * j.target.n_atoms for j, r in zip(batch, results)])
        return [{**j.passthrough, **finish(j, r, t), "error": ""} for j, r, t in zip(batch, results, seconds)]
    except Exception:
        if len(batch) == 1:
            raise
    rows = []
    for job in batch:  # find the culprit(s): retry alone, record an error only where it persists
        try:
            rows += _run_batch([job], scaler, sites, grid, settings, finish)
        except Exception as err:  # noqa: BLE001 - any failure of one structure is recorded, not fatal
            rows.append({**job.passthrough, "error": f"{type(err).__name__}: {err}"})
    return rows


def time_shares(seconds: float, work: Sequence[float]) -> list[float]:
    """A batch's seconds split in proportion to each structure's work (Adam steps x atoms): a structure found in the
    first steps is not charged for a neighbour that ran every hop and a second round. Evenly when none did any."""
    total = float(sum(work))
    return [seconds * w / total if total > 0 else seconds / len(work) for w in work]
