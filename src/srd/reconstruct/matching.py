"""Comparing a reconstruction with its true crystal, the random-positions baseline, and CDVAE's validity gate."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from pymatgen.analysis.structure_matcher import StructureMatcher

from srd.structures import Crystal

EXACT_RMS = 0.01  # normalised rms at or below which a match counts as the exact structure


@lru_cache(maxsize=1)
def matcher() -> StructureMatcher:
    """The paper's (and CDVAE's) tolerances; other arguments default."""
    return StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)


def match_rms(pred: Crystal, true: Crystal) -> float:
    """Normalised rms distance (pymatgen get_rms_dist), NaN when the matcher finds no match."""
    out = matcher().get_rms_dist(pred.to_pymatgen(), true.to_pymatgen())
    return math.nan if out is None else float(out[0])


def random_positions(true: Crystal, rng: np.random.Generator) -> Crystal:
    """Same species and lattice, uniform random positions: what the loose matcher accepts by chance."""
    return Crystal(true.numbers, rng.random(true.frac.shape), true.lattice, true.id)


def validity(pred: Crystal) -> tuple[bool, str]:
    """CDVAE's gate: structure validity (distances, volume) and SMACT composition validity, from srd.metrics."""
    from srd.metrics.structure_validity import structure_validity
    from srd.metrics.table2 import composition_validity

    structure = pred.to_pymatgen()
    reasons = [r for ok, r in (structure_validity(structure), composition_validity(structure)) if not ok]
    return not reasons, "; ".join(reasons)
