"""Property EMDs against scipy on known arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from srd.metrics.properties import property_emds


def test_full_subset_equals_scipy_and_known_value():
    density = np.array([0.0, 1.0, 3.0])
    ref = np.array([5.0, 6.0, 8.0])
    result = property_emds(density, density, ref, ref, n_subset=10, seed=0, n_draws=3)
    assert result.d_rho == pytest.approx(5.0)  # a shift by 5
    assert result.d_rho == wasserstein_distance(density, ref)
    assert result.d_rho_std == 0.0  # every draw is the whole set
    assert result.n_subset == 3


def test_subset_is_seeded_and_drawn_without_replacement():
    rng = np.random.default_rng(1)
    density, n_elems = rng.normal(size=200), rng.integers(1, 6, size=200).astype(float)
    ref_density, ref_n = rng.normal(0.5, size=300), rng.integers(1, 6, size=300).astype(float)
    first = property_emds(density, n_elems, ref_density, ref_n, n_subset=50, seed=7, n_draws=4)
    again = property_emds(density, n_elems, ref_density, ref_n, n_subset=50, seed=7, n_draws=4)
    other = property_emds(density, n_elems, ref_density, ref_n, n_subset=50, seed=8, n_draws=4)
    assert len(np.unique(first.subset)) == 50
    assert first.d_rho == again.d_rho and first.d_rho != other.d_rho
    assert first.d_rho == pytest.approx(wasserstein_distance(density[first.subset], ref_density))
    assert first.d_elem == pytest.approx(wasserstein_distance(n_elems[first.subset], ref_n))
    assert first.d_rho_std > 0


def test_no_valid_samples_gives_nan():
    result = property_emds(np.array([]), np.array([]), np.ones(3), np.ones(3), 10, 0, 2)
    assert np.isnan(result.d_rho) and result.n_subset == 0
