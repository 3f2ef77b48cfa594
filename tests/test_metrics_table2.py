"""Table 2 end to end on reference crystals whose flags and fingerprints structures.parquet gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from srd.metrics.readers import structures_from_cif
from srd.metrics.table2 import compute_reference, evaluate_table2

STRUCTURES = Path("/work/shared/reference/cdvae-protocol/structures.parquet")
GENERATED = ["S001", "S003", "S005", "S009", "S015", "S200", "S203", "S256"]  # incl. comp- and struct-invalid
REFERENCE = ["S000", "S002", "S004", "S006", "S010", "S012"]


@pytest.fixture(scope="module")
def metrics_parquet() -> pd.DataFrame:
    if not STRUCTURES.exists():
        pytest.skip(f"{STRUCTURES} not available")
    return pd.read_parquet(STRUCTURES).set_index("id")


def _structures(frame: pd.DataFrame, ids: list[str]) -> list:
    return [structures_from_cif(cif)[0] for cif in frame.loc[ids, "cif_p1"]]


def test_table2_against_reference_answers(metrics_parquet):
    gen, ref = metrics_parquet.loc[GENERATED], metrics_parquet.loc[REFERENCE]
    reference = compute_reference(_structures(metrics_parquet, REFERENCE), REFERENCE, workers=2)
    structures = _structures(metrics_parquet, GENERATED) + [None, None]  # two samples that could not be built
    row, samples = evaluate_table2(structures, reference, "mp_20", seed=3, workers=2, n_subset=1000, n_draws=2)

    n = len(structures)
    assert row["n_samples"] == n and row["n_not_constructed"] == 2
    assert row["comp_valid"] == pytest.approx(100 * gen["comp_valid"].sum() / n)
    assert row["struct_valid"] == pytest.approx(100 * gen["struct_valid"].sum() / n)
    assert row["valid"] == pytest.approx(100 * gen["valid"].sum() / n)
    assert samples["valid"].tolist() == gen["valid"].tolist() + [False, False]
    assert samples["invalid_reason"].iloc[-1] == "not_constructed"
    assert "composition_invalid" in samples.set_index("name").loc["2", "invalid_reason"]  # S005

    # coverage from the reference code's own fingerprints, with the reference cutoffs of MP-20 (0.4, 10)
    d_s = cdist(np.stack(gen["struct_fp"]), np.stack(ref["struct_fp"]))
    d_c = cdist(np.stack(gen["comp_fp_scaled"]), np.stack(ref["comp_fp_scaled"]))
    assert row["cov_r"] == pytest.approx(100 * np.mean((d_s.min(0) <= 0.4) & (d_c.min(0) <= 10)))
    assert row["cov_p"] == pytest.approx(100 * np.sum((d_s.min(1) <= 0.4) & (d_c.min(1) <= 10)) / n)
    assert row["amsd"] == pytest.approx(d_s.min(1).mean(), abs=1e-3)
    assert row["amcd"] == pytest.approx(d_c.min(1).mean(), rel=1e-6)
    np.testing.assert_allclose(samples["min_struct_dist"].iloc[:-2], d_s.min(1), atol=1e-3)

    # fewer valid samples than n_subset: every valid sample is used, against all reference crystals
    valid = gen[gen["valid"]]
    assert row["n_subset"] == len(valid) and samples["in_emd_subset"].sum() == len(valid)
    assert row["d_rho"] == pytest.approx(wasserstein_distance(valid["density"], ref["density"]), rel=1e-6)
    assert row["d_elem"] == pytest.approx(wasserstein_distance(valid["n_elems"], ref["n_elems"]))
    assert (row["cutoff_preset"], row["struct_cutoff"], row["comp_cutoff"], row["seed"]) == ("reference", 0.4, 10.0, 3)


def test_carbon_has_no_composition_metrics(metrics_parquet):
    carbon = metrics_parquet[(metrics_parquet["dataset"] == "carbon") & (metrics_parquet["kind"] == "original")]
    ids = carbon.index[:3].tolist()
    reference = compute_reference(_structures(metrics_parquet, ids[:2]), workers=1)
    row, _ = evaluate_table2(_structures(metrics_parquet, ids[2:]), reference, "carbon_24", "paper", workers=1)
    assert np.isnan(row["comp_valid"]) and np.isnan(row["d_elem"]) and np.isnan(row["amcd"])
    assert row["struct_valid"] == 100.0 and (row["struct_cutoff"], row["comp_cutoff"]) == (1.0, 4.0)
