"""Turning model outputs and crystal files into pymatgen Structures (None where a crystal cannot be built).

A sample that cannot be built or parsed is kept as ``None`` with a reason, never dropped: it counts in every
denominator of the evaluation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifParser

from srd.metrics.structure_validity import MIN_VOLUME


@dataclass(frozen=True)
class Sample:
    """One crystal to score: where it came from, the Structure (or None) and why it is None."""

    name: str
    structure: Structure | None
    reason: str = ""


def build_structure(
    lengths: Sequence[float],
    angles: Sequence[float],
    frac_coords: np.ndarray,
    atomic_numbers: Sequence[int],
) -> tuple[Structure | None, str]:
    """Build a crystal as the reference code does: None if a length is negative, pymatgen raises, or the
    volume is below 0.1 A^3. Returns (structure, "") or (None, reason)."""
    if min(float(x) for x in lengths) < 0:
        return None, "negative_lattice_length"
    try:
        lattice = Lattice.from_parameters(*[float(x) for x in lengths], *[float(x) for x in angles])
        structure = Structure(lattice, [int(z) for z in atomic_numbers], np.asarray(frac_coords, dtype=float))
        volume = structure.volume
    except Exception as error:  # any pymatgen failure means "not constructed" in the reference protocol
        return None, f"construction_error: {type(error).__name__}: {error}"
    if not np.isfinite(volume) or volume < MIN_VOLUME:
        return None, "volume_below_0.1"
    return structure, ""


def structures_from_cif(text: str) -> list[Structure]:
    """Every data block of a CIF text, as given (no primitive or symmetry reduction). Raises on a bad CIF,
    including one with two atoms within pymatgen's 1e-4 (fractional) site tolerance: such a sample counts as
    unreadable, hence invalid, rather than being merged into one site and scored as valid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        structures = CifParser.from_str(text).parse_structures(primitive=False)
    if not structures:
        raise ValueError("no structure in CIF")
    return structures


def _read_csv(path: Path, column: str) -> list[Sample]:
    frame = pd.read_csv(path)
    if column not in frame.columns:
        raise KeyError(f"{path}: no {column!r} column (columns: {', '.join(map(str, frame.columns))})")
    samples = []
    for row, text in enumerate(frame[column]):
        name = f"{path.name}:{row}"
        try:
            structure = structures_from_cif(str(text))[0]
            samples.append(Sample(name, structure))
        except Exception as error:
            samples.append(Sample(name, None, f"unreadable: {type(error).__name__}: {error}"))
    return samples


def _read_cif_file(path: Path) -> list[Sample]:
    try:
        structures = structures_from_cif(path.read_text())
    except Exception as error:
        return [Sample(path.name, None, f"unreadable: {type(error).__name__}: {error}")]
    if len(structures) == 1:
        return [Sample(path.name, structures[0])]
    return [Sample(f"{path.name}:{i}", s) for i, s in enumerate(structures)]


def _read_ase(path: Path) -> list[Sample]:
    """Any multi-structure file ASE reads (extxyz, traj, ...); an unreadable file is an error, not a sample."""
    from ase.io import read
    from pymatgen.io.ase import AseAtomsAdaptor

    try:
        frames = read(str(path), index=":")
    except Exception as error:
        raise ValueError(f"{path}: ASE cannot read it: {type(error).__name__}: {error}") from error
    samples = []
    for i, atoms in enumerate(frames):
        try:
            samples.append(Sample(f"{path.name}:{i}", AseAtomsAdaptor.get_structure(atoms)))
        except Exception as error:
            samples.append(Sample(f"{path.name}:{i}", None, f"unreadable: {type(error).__name__}: {error}"))
    return samples


def read_samples(path: str | Path, cif_column: str = "cif") -> list[Sample]:
    """Crystals from a folder of ``*.cif``, a CSV/CSV.GZ with a CIF column, a CIF file, or any file ASE reads.

    Unparseable CIFs become ``Sample(structure=None)`` so they count as invalid samples.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.cif"))
        if not files:
            raise FileNotFoundError(f"{path}: folder holds no *.cif files")
        return [sample for file in files for sample in _read_cif_file(file)]
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith((".csv", ".csv.gz")):
        return _read_csv(path, cif_column)
    if path.suffix.lower() == ".cif":
        return _read_cif_file(path)
    return _read_ase(path)
