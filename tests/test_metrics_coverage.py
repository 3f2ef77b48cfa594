"""COV-R / COV-P / AMSD / AMCD on tiny hand-built fingerprint sets, and the cutoff presets."""

from __future__ import annotations

import numpy as np
import pytest

from srd.metrics.coverage import canonical_dataset, coverage, cutoffs, cutoffs_dataset


def _points(*xs: float) -> np.ndarray:
    return np.array([[x] for x in xs], dtype=float)


def test_recall_and_precision_are_obvious():
    # reference at 0 and 10; generated at 0.1 (near the first), 5 (near nothing), 10.05 (near the second)
    ref = _points(0.0, 10.0)
    gen = _points(0.1, 5.0, 10.05)
    result = coverage(gen, gen, ref, ref, struct_cutoff=0.2, comp_cutoff=0.2, n_generated=3)
    assert result.cov_r == 1.0
    assert result.cov_p == pytest.approx(1 / 3 * 2)
    assert result.amsd_precision == pytest.approx((0.1 + 5.0 + 0.05) / 3)
    assert result.amsd_recall == pytest.approx((0.1 + 0.05) / 2)
    np.testing.assert_allclose(result.gen_min_comp, [0.1, 5.0, 0.05])


def test_failed_samples_count_in_precision_denominator():
    ref = _points(0.0)
    gen = _points(0.0)
    result = coverage(gen, gen, ref, ref, 0.1, 0.1, n_generated=4)  # 3 samples had no fingerprint
    assert result.cov_p == 0.25
    assert result.cov_r == 1.0


def test_reference_without_fingerprint_counts_as_not_recalled():
    result = coverage(_points(0.0), _points(0.0), _points(0.0), _points(0.0), 0.1, 0.1, 1, n_reference=2)
    assert result.cov_r == 0.5


def test_minima_are_independent_as_in_reference_code():
    # generated 0 matches the reference in structure only, generated 1 in composition only:
    # recall counts the reference as covered, precision counts neither sample.
    gen_struct, gen_comp = _points(0.0, 9.0), _points(9.0, 0.0)
    ref = _points(0.0)
    result = coverage(gen_struct, gen_comp, ref, ref, 1.0, 1.0, n_generated=2)
    assert result.cov_r == 1.0
    assert result.cov_p == 0.0


def test_struct_and_comp_cutoffs_apply_separately():
    gen_struct, gen_comp = _points(0.3), _points(5.0)
    ref = _points(0.0)
    assert coverage(gen_struct, gen_comp, ref, ref, 0.4, 10.0, 1).cov_p == 1.0
    assert coverage(gen_struct, gen_comp, ref, ref, 0.2, 10.0, 1).cov_p == 0.0
    assert coverage(gen_struct, gen_comp, ref, ref, 0.4, 4.0, 1).cov_p == 0.0


def test_cutoff_presets():
    assert cutoffs("mp_20", "reference") == (0.4, 10.0)
    assert cutoffs("perov_5", "reference") == (0.2, 4.0)
    assert cutoffs("carbon_24", "reference") == (0.2, 4.0)
    assert cutoffs("MP-20", "paper") == (0.6, 12.0)
    assert cutoffs("perov5", "paper") == (0.8, 6.0)
    assert cutoffs("carbon24", "paper") == (1.0, 4.0)


def test_unknown_names_raise():
    with pytest.raises(KeyError, match="unknown dataset 'qm9'"):
        canonical_dataset("qm9")
    with pytest.raises(KeyError, match="unknown cutoff preset"):
        cutoffs("mp20", "best")


def test_a_configured_dataset_borrows_cutoffs_or_names_the_key():
    assert cutoffs_dataset({"cutoffs_of": None}, "mp20") == "mp20"
    assert cutoffs_dataset({"cutoffs_of": "perov5"}, "demo") == "perov5"
    with pytest.raises(ValueError, match="set datasets.mine.evaluate.cutoffs_of"):
        cutoffs_dataset({}, "mine")
