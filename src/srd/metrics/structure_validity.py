"""Structure validity of the reference protocol: shortest interatomic distance >= 0.5 A and volume >= 0.1 A^3."""

from __future__ import annotations

import numpy as np
from pymatgen.core import Structure

MIN_DISTANCE = 0.5  # A
MIN_VOLUME = 0.1  # A^3


def min_interatomic_distance(structure: Structure) -> float:
    """Shortest minimum-image distance between two different sites (NaN for a one-site cell).

    Like the reference code (pymatgen's ``distance_matrix`` with the diagonal masked), a site's distance to its
    own periodic image is not counted.
    """
    if len(structure) < 2:
        return float("nan")
    distances = structure.distance_matrix
    np.fill_diagonal(distances, np.inf)
    return float(distances.min())


def structure_validity(structure: Structure) -> tuple[bool, str]:
    """(valid, reason) where reason names the failed criterion, "" when valid."""
    if structure.volume < MIN_VOLUME:
        return False, "volume_below_0.1"
    if min_interatomic_distance(structure) < MIN_DISTANCE:  # NaN (one site) compares False: valid
        return False, "atoms_closer_than_0.5"
    return True, ""
