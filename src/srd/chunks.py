"""Cutting a table into fixed-size pieces (feature shards, reconstruction chunks): one Snakemake job each."""

from __future__ import annotations


def chunk_rows(n_rows: int, chunk_size: int) -> list[range]:
    """Row ranges of each chunk; an empty table still gets one (empty) chunk so the DAG stays regular."""
    if chunk_size < 1:
        raise ValueError(f"chunk size must be >= 1, got {chunk_size}")
    return [range(a, min(a + chunk_size, n_rows)) for a in range(0, max(n_rows, 1), chunk_size)]
