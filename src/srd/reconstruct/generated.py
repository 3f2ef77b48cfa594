"""Table 2 input: reconstruct decoded generated samples; invalid samples pass through marked, never dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from srd.io import atomic_path, write_parquet
from srd.reconstruct.chunks import Job, run_jobs, structure_seed
from srd.reconstruct.config import resolve
from srd.reconstruct.engine import Result, Target
from srd.reconstruct.site_prior import NO_SITE_DATA, SitePrior
from srd.representation.grid import EADGrid
from srd.representation.scaler import Scaler
from srd.structures import Crystal
from srd.table import LATTICE_COLUMNS, row_crystal

PASSTHROUGH = ["sample_id", "n_atoms", "valid", "reason"]


def _job(row: dict, seed: int) -> Job:
    key = str(row["sample_id"])
    base = {k: row[k] for k in PASSTHROUGH} | {"species": list(map(int, row["species"]))}
    base |= {k: float(row[k]) for k in LATTICE_COLUMNS}
    if not row["valid"]:
        return Job(key, None, base)
    target = Target(np.asarray(row["r_str"], dtype=float), np.asarray(row["species"], dtype=np.int64),
                    np.array([row[k] for k in LATTICE_COLUMNS], dtype=float), structure_seed(seed, key))
    return Job(key, target, base)


def _finish(job: Job, result: Result, seconds: float) -> dict:
    return {**result.columns(), "seconds": seconds, "numbers": job.target.numbers.tolist(),
            "frac": result.frac.reshape(-1).tolist()}


def run_generated_chunk(samples: pd.DataFrame, scaler: Scaler, grid: EADGrid, cfg: Mapping[str, Any],
                        out_path: Path, seed: int, sites: SitePrior = NO_SITE_DATA) -> None:
    """Reconstruct the valid decoded samples of this chunk (srd.decode columns); resumable like Table 1 chunks."""
    missing = sorted({*PASSTHROUGH, "species", "r_str", *LATTICE_COLUMNS} - set(samples.columns))
    if missing:
        raise ValueError(f"generated samples lack column(s) {missing}")
    jobs = [_job(r, seed) for r in samples.to_dict("records")]
    run_jobs(jobs, scaler, sites, grid, resolve(cfg), _finish, Path(out_path), "sample_id", f"gen {Path(out_path).stem}")


def generated_crystal(row: dict) -> Crystal | None:
    """The reconstructed crystal of a generated.parquet row, or None for a sample that was not reconstructed."""
    frac = row.get("frac")
    if frac is None or (isinstance(frac, float) and np.isnan(frac)) or row.get("error"):
        return None
    return row_crystal(row, id_column="sample_id")


def aggregate_generated(chunk_paths: Sequence[Path], out_parquet: Path, out_extxyz: Path) -> None:
    """generated.parquet (every sample, invalid ones included) and an extxyz of every reconstructed crystal
    (info: sample_id, loss), readable by ase.io.read and pymatgen."""
    from ase import Atoms
    from ase.io import write

    df = pd.concat([pd.read_parquet(p) for p in chunk_paths], ignore_index=True).sort_values("sample_id")
    write_parquet(df, out_parquet)
    frames = []
    for row in df.to_dict("records"):
        crystal = generated_crystal(row)
        if crystal is not None:
            atoms = Atoms(numbers=crystal.numbers, cell=crystal.matrix(), scaled_positions=crystal.frac, pbc=True)
            atoms.info.update(sample_id=int(row["sample_id"]), loss=float(row["loss"]))
            frames.append(atoms)
    with atomic_path(out_extxyz) as tmp:
        write(tmp, frames, format="extxyz")
