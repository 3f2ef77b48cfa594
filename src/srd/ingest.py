"""Benchmark CSVs or CIF folders -> one clean table of canonical crystals per split, plus a rejects table.

A bad CIF never stops the stage: it becomes a row of the rejects table with its source row, id and reason.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
from pymatgen.core import Structure

from srd.demo import demo_split
from srd.metrics.structure_validity import MIN_DISTANCE, MIN_VOLUME
from srd.progress import progress
from srd.representation.layout import N_ELEMENTS
from srd.representation.neighbors import crystal_pairs
from srd.sources import resolve_split
from srd.structures import Crystal
from srd.table import to_table

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["source_row", "id", "reason"]


@dataclass(frozen=True)
class IngestRules:
    max_atoms: int = 20
    min_distance: float = MIN_DISTANCE  # A; closer atoms are overlapping
    min_volume: float = MIN_VOLUME  # A^3


@dataclass(frozen=True)
class RawEntry:
    source_row: int
    id: str
    cif: str


def read_entries(path: Path) -> Iterator[RawEntry]:
    """CIF strings of a CSV/CSV.GZ (a `cif` column; `material_id` used as id when present) or a folder of .cif."""
    path = Path(path)
    if path.is_dir():
        for row, cif_path in enumerate(sorted(path.glob("*.cif"))):
            yield RawEntry(row, cif_path.stem, cif_path.read_text(errors="replace"))
        return
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    df = pd.read_csv(path)
    if "cif" not in df.columns:
        raise ValueError(f"{path}: no `cif` column (columns: {', '.join(map(str, df.columns))})")
    ids = df["material_id"].astype(str) if "material_id" in df.columns else pd.Series([f"row-{i}" for i in df.index])
    for row, (id_, cif) in enumerate(zip(ids, df["cif"])):
        yield RawEntry(row, id_, cif if isinstance(cif, str) else "")


def check_structure(structure: Structure, rules: IngestRules) -> str | None:
    """Why this structure cannot enter the pipeline, or None if it can."""
    if not structure.is_ordered:
        return "partial occupancy or disordered site"
    numbers = np.array(structure.atomic_numbers)
    if numbers.max() > N_ELEMENTS:
        return f"element with Z = {numbers.max()} > {N_ELEMENTS}"
    if len(structure) > rules.max_atoms:
        return f"{len(structure)} atoms > max_atoms = {rules.max_atoms}"
    if structure.volume < rules.min_volume:
        return f"cell volume {structure.volume:.3g} A^3 < {rules.min_volume}"
    i, _, _ = crystal_pairs(structure.cart_coords, structure.lattice.matrix, rules.min_distance)
    if len(i):
        return f"overlapping atoms (closer than {rules.min_distance} A)"
    return None


def parse_entry(entry: RawEntry, rules: IngestRules) -> tuple[Crystal | None, str | None]:
    """(canonical crystal, None) or (None, reason)."""
    if not entry.cif.strip():
        return None, "empty CIF"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structure = Structure.from_str(entry.cif, fmt="cif")
    except Exception as err:  # pymatgen raises many types for bad CIFs; each one is a reject, not a crash
        return None, f"unparsable CIF: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}".rstrip(": ")
    reason = check_structure(structure, rules)
    if reason:
        return None, reason
    return Crystal.from_pymatgen(structure, id=entry.id), None


def collect(results: Iterable[tuple[int, str, Crystal | None, str | None]], desc: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(source_row, id, crystal or None, reason) per input -> (table of crystals, rejects table); logs the counts."""
    crystals, provenance, rejects = [], [], []
    for source_row, id_, crystal, reason in results:
        if crystal is None:
            rejects.append({"source_row": source_row, "id": id_, "reason": reason})
        else:
            crystals.append(crystal)
            provenance.append({"source_row": source_row})
    table = to_table(crystals, provenance)
    rejected = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    log.info("%s: %d structures kept, %d rejected", desc, len(table), len(rejected))
    for reason, count in rejected["reason"].str.split(":").str[0].value_counts().items():
        log.info("  rejected %d x %s", count, reason)
    return table, rejected


def ingest_path(path: Path, rules: IngestRules, desc: str = "ingest") -> tuple[pd.DataFrame, pd.DataFrame]:
    entries = list(read_entries(path))
    bar = progress(entries, desc=desc, unit="cif")
    return collect(((e.source_row, e.id, *parse_entry(e, rules)) for e in bar), desc)


def ingest_crystals(crystals: list[Crystal], rules: IngestRules, desc: str = "ingest") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Built-in crystals (the demo) go through the same checks as parsed ones."""

    def checked(crystal: Crystal) -> tuple[Crystal | None, str | None]:
        reason = check_structure(crystal.to_pymatgen(), rules)
        return (None, reason) if reason else (crystal, None)

    bar = progress(crystals, desc=desc, unit="crystal")
    return collect(((row, c.id, *checked(c)) for row, c in enumerate(bar)), desc)


def ingest_split(dataset_cfg: Mapping[str, Any], data: Mapping[str, Any], ingest_cfg: Mapping[str, Any], split: str,
                 desc: str = "ingest") -> tuple[pd.DataFrame, pd.DataFrame]:
    """One split of one configured dataset -> (table, rejects)."""
    rules = IngestRules(max_atoms=int(dataset_cfg.get("max_atoms", 20)), **ingest_cfg)
    if dataset_cfg["source"] == "demo":
        return ingest_crystals(demo_split(split, int(dataset_cfg["n_structures"][split])), rules, desc)
    return ingest_path(resolve_split(dataset_cfg, data, split), rules, desc)
