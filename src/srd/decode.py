"""Decode generated (unscaled) representation vectors into what reconstruction needs (method.md, "Decoding").

Each sample gives n_atoms, integer species counts, the lattice and the target R_str. A sample that cannot be a
crystal (empty composition, non-positive lengths, angles that close no cell) is kept and marked invalid with its
reason, because it still counts in the denominator of every generation metric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from srd.metrics.structure_validity import MIN_VOLUME  # the protocol's threshold, defined once
from srd.representation.layout import VectorLayout

COLUMNS = ["sample_id", "n_atoms", "species", "a", "b", "c", "alpha", "beta", "gamma", "valid", "reason", "r_str"]


def round_half_up(x: np.ndarray) -> np.ndarray:
    """round(2.5) = 3, not numpy's banker's 2: the count a reader expects."""
    return np.floor(x + 0.5)


def largest_remainder(fractions: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integer counts (n, K) proportional to non-negative `fractions` that sum exactly to `totals` (n,).

    Fractions are renormalised to sum 1; each row gets floor(quota), and the atoms left over go one each to the
    largest remainders (ties: lower index, i.e. lower Z, first). Rows of all-zero fractions get zero counts.
    """
    sums = fractions.sum(axis=1, keepdims=True)
    quotas = np.divide(fractions, sums, out=np.zeros_like(fractions), where=sums > 0) * totals[:, None]
    counts = np.floor(quotas)
    left = (totals - counts.sum(axis=1)) * (sums[:, 0] > 0)
    order = np.argsort(-(quotas - counts), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(fractions.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    return (counts + (ranks < left[:, None])).astype(np.int64)


def cell_volume(lengths: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """V = abc sqrt(1 - cos²α - cos²β - cos²γ + 2 cosα cosβ cosγ); NaN where the angles close no cell."""
    ca, cb, cg = np.cos(np.radians(angles_deg)).T
    with np.errstate(invalid="ignore"):
        return lengths.prod(axis=1) * np.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)


def _lattice_reason(lattice: np.ndarray) -> np.ndarray:
    """The first problem of each lattice ("" if none): lengths, then angles, then the volume they span."""
    lengths, angles = lattice[:, :3], lattice[:, 3:]
    with np.errstate(invalid="ignore"):
        volume = cell_volume(lengths, angles)
        checks = [
            (~np.isfinite(lattice).all(axis=1), "non-finite lattice"),
            ((lengths <= 0).any(axis=1), "non-positive lattice length"),
            (((angles <= 0) | (angles >= 180)).any(axis=1), "lattice angle outside (0, 180) degrees"),
            (np.isnan(volume), "angles give no valid cell"),
            (volume < MIN_VOLUME, f"cell volume < {MIN_VOLUME} Å^3"),
        ]
    return np.select([bad for bad, _ in checks], [reason for _, reason in checks], default="")


def _reasons(n_raw: np.ndarray, counts_total: np.ndarray, lattice: np.ndarray) -> list[str]:
    columns = [np.where(np.isfinite(n_raw), "", "non-finite n_atoms"),
               np.where(counts_total > 0, "", "empty composition"),
               _lattice_reason(lattice)]
    return ["; ".join(r for r in row if r) for row in zip(*columns)]


def decode(R: np.ndarray, layout: VectorLayout, max_atoms: int) -> pd.DataFrame:
    """One row per generated vector of the UNSCALED matrix R (n, layout.size); see COLUMNS.

    n_atoms = round(n) clipped to [1, max_atoms] (the largest n in training); `species` lists one atomic number
    per atom, sorted by Z; a..gamma are the raw last six numbers; `r_str` is the reconstruction target.
    """
    if int(max_atoms) < 1:
        raise ValueError(f"max_atoms must be >= 1, got {max_atoms}")
    R = np.atleast_2d(np.asarray(R, dtype=np.float64))
    layout.check(R)
    n_raw = R[:, layout.n_atoms]
    n_atoms = np.clip(round_half_up(np.nan_to_num(n_raw, nan=1.0)), 1, int(max_atoms)).astype(np.int64)
    fractions = np.clip(np.nan_to_num(R[:, layout.composition], nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    counts = largest_remainder(fractions, n_atoms)
    lattice = R[:, layout.lattice]
    reasons = _reasons(n_raw, counts.sum(axis=1), lattice)
    z = np.arange(1, layout.n_elements + 1)
    return pd.DataFrame({
        "sample_id": np.arange(len(R)),
        "n_atoms": n_atoms,
        "species": [np.repeat(z, row).tolist() for row in counts],
        **{name: lattice[:, k] for k, name in enumerate(["a", "b", "c", "alpha", "beta", "gamma"])},
        "valid": [not r for r in reasons],
        "reason": reasons,
        "r_str": list(R[:, layout.structure].astype(np.float32)),
    }, columns=COLUMNS)
