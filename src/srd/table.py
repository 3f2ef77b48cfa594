"""Crystals <-> a flat table (one row per crystal), the format every stage reads and writes as parquet.

Columns: id, formula, n_atoms, a, b, c, alpha, beta, gamma, numbers (list of Z), frac (flat list, 3 n_atoms), and
whatever provenance the producer adds (source_row, ...).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from srd.structures import Crystal

LATTICE_COLUMNS = ["a", "b", "c", "alpha", "beta", "gamma"]


def crystal_record(crystal: Crystal) -> dict:
    formula = Composition(dict(zip(*np.unique(crystal.numbers, return_counts=True)))).formula.replace(" ", "")
    return {
        "id": crystal.id,
        "formula": formula,
        "n_atoms": crystal.n_atoms,
        **dict(zip(LATTICE_COLUMNS, map(float, crystal.lattice))),
        "numbers": crystal.numbers.astype(np.int64).tolist(),
        "frac": crystal.frac.reshape(-1).astype(float).tolist(),
    }


def to_table(crystals: Iterable[Crystal], extra: Sequence[dict] | None = None) -> pd.DataFrame:
    rows = [crystal_record(c) for c in crystals]
    if extra is not None:
        rows = [{**r, **e} for r, e in zip(rows, extra)]
    return pd.DataFrame(rows, columns=None if rows else ["id", "formula", "n_atoms", *LATTICE_COLUMNS, "numbers", "frac"])


def row_crystal(row: pd.Series | dict, id_column: str = "id") -> Crystal:
    numbers = np.asarray(row["numbers"], dtype=np.int64)
    return Crystal(
        numbers=numbers,
        frac=np.asarray(row["frac"], dtype=float).reshape(len(numbers), 3),
        lattice=np.array([row[k] for k in LATTICE_COLUMNS], dtype=float),
        id=str(row[id_column]),
    )


def from_table(df: pd.DataFrame) -> list[Crystal]:
    return [row_crystal(row) for row in df.to_dict("records")]
