"""Property Wasserstein distances (density, number of elements) on seeded subsets of the valid samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import wasserstein_distance


@dataclass
class PropertyEMD:
    """EMDs of the first (seeded) draw, and mean/std over all draws; `subset` = indices of the first draw."""

    d_rho: float
    d_rho_mean: float
    d_rho_std: float
    d_elem: float
    d_elem_mean: float
    d_elem_std: float
    n_subset: int
    subset: np.ndarray


def property_emds(
    density: np.ndarray,
    n_elems: np.ndarray,
    ref_density: np.ndarray,
    ref_n_elems: np.ndarray,
    n_subset: int,
    seed: int,
    n_draws: int,
) -> PropertyEMD:
    """EMD between `n_subset` randomly chosen valid samples (arrays hold valid samples only) and all reference
    crystals, as the reference code does (one subset for both properties, without replacement), repeated over
    `n_draws` draws from ``default_rng(seed)``. With fewer valid samples than `n_subset` all of them are used."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    size = min(n_subset, len(density))
    if size == 0:
        nan = float("nan")
        return PropertyEMD(nan, nan, nan, nan, nan, nan, 0, np.array([], dtype=int))
    rng = np.random.default_rng(seed)
    draws = [rng.choice(len(density), size=size, replace=False) for _ in range(n_draws)]
    rho = np.array([wasserstein_distance(density[d], ref_density) for d in draws])
    elem = np.array([wasserstein_distance(n_elems[d], ref_n_elems) for d in draws])
    return PropertyEMD(
        d_rho=float(rho[0]),
        d_rho_mean=float(rho.mean()),
        d_rho_std=float(rho.std(ddof=1)) if n_draws > 1 else 0.0,
        d_elem=float(elem[0]),
        d_elem_mean=float(elem.mean()),
        d_elem_std=float(elem.std(ddof=1)) if n_draws > 1 else 0.0,
        n_subset=size,
        subset=np.sort(draws[0]),
    )
