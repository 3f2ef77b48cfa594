"""Structure (CrystalNN 'ops') and composition (Magpie) fingerprints of the reference protocol.

Both come from matminer as the reference code calls it; the Magpie vector keeps NaN (``impute_nan=False``: the
reference's matminer 0.7.3 had no imputation, matminer >= 0.9 imputes by default) and is scaled with the
reference's fixed means/stds, NaN -> 0 after scaling.

Pin: ``matminer==0.10.1`` (checked against structures.parquet: structure fingerprints equal the reference's to
1e-9 except 'body-centered cubic CN_8', within 6e-3; Magpie vectors equal to 1e-9). matminer changed the Magpie
imputation default (0.9) and its element data tables over time, which moves COV and AMCD; an upgrade must re-run
``tests/test_metrics_fingerprints.py``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
from matminer.featurizers.composition import ElementProperty
from matminer.featurizers.site import CrystalNNFingerprint
from pymatgen.core import Composition, Structure

from srd.metrics.pool import DEFAULT_TIMEOUT_S, map_with_timeout

N_STRUCT = 61
N_COMP = 132


@lru_cache(maxsize=1)
def magpie_scaler() -> tuple[np.ndarray, np.ndarray]:
    """The reference code's fixed Magpie means and stds (132 each), shipped as package data: a byte-for-byte copy
    of ../shared/reference/magpie_scaler.json, so an installed srd needs no data folder."""
    data = json.loads(files("srd.metrics").joinpath("magpie_scaler.json").read_text())
    return np.asarray(data["CompScalerMeans"], dtype=float), np.asarray(data["CompScalerStds"], dtype=float)


@lru_cache(maxsize=1)
def _featurizers() -> tuple[CrystalNNFingerprint, ElementProperty]:
    return CrystalNNFingerprint.from_preset("ops"), ElementProperty.from_preset("magpie", impute_nan=False)


def structure_fingerprint(structure: Structure) -> np.ndarray:
    """Mean over sites of the CrystalNN 'ops' site fingerprint (61 values, unscaled)."""
    if len(structure) == 0:
        raise ValueError("structure has no sites")
    crystal_nn, _ = _featurizers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = [crystal_nn.featurize(structure, i) for i in range(len(structure))]
    return np.asarray(sites, dtype=float).mean(axis=0)


def composition_fingerprint(composition: Composition) -> np.ndarray:
    """Magpie ElementProperty vector (132 values) with NaN kept for missing element data."""
    _, magpie = _featurizers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(magpie.featurize(composition), dtype=float)


def scale_composition(raw: np.ndarray) -> np.ndarray:
    """(raw - means) / stds with the reference's fixed scaler, then NaN -> 0."""
    means, stds = magpie_scaler()
    scaled = (raw - means) / stds
    return np.nan_to_num(scaled, nan=0.0, posinf=np.inf, neginf=-np.inf)


def _both(structure: Structure) -> tuple[np.ndarray, np.ndarray]:
    return structure_fingerprint(structure), composition_fingerprint(structure.composition)


@dataclass
class Fingerprints:
    """Fingerprints of n crystals; rows whose status is not "ok" are NaN and must not be used."""

    struct: np.ndarray  # (n, 61)
    comp_scaled: np.ndarray  # (n, 132)
    status: list[str]  # ok | timeout | error | crashed | not_constructed
    message: list[str]

    @property
    def ok(self) -> np.ndarray:
        return np.array([status == "ok" for status in self.status], dtype=bool)


def compute_fingerprints(
    structures: Sequence[Structure | None],
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    desc: str = "fingerprints",
) -> Fingerprints:
    """Fingerprints of every structure in a pool of `workers` processes; a timeout, exception or crashed worker
    marks that crystal's status instead of stopping the run. ``None`` entries get "not_constructed"."""
    n = len(structures)
    struct = np.full((n, N_STRUCT), np.nan)
    comp = np.full((n, N_COMP), np.nan)
    status = ["not_constructed"] * n
    message = [""] * n
    built = [i for i, s in enumerate(structures) if s is not None]
    outcomes = map_with_timeout(_both, [structures[i] for i in built], workers, timeout, desc)
    for i, outcome in zip(built, outcomes):
        status[i], message[i] = outcome.status, outcome.message
        if outcome.status == "ok":
            struct[i], comp[i] = outcome.value
    comp_scaled = scale_composition(comp)
    comp_scaled[[state != "ok" for state in status]] = np.nan  # NaN -> 0 is for missing element data only
    return Fingerprints(struct, comp_scaled, status, message)
