"""Stage helpers with known answers: Table 1 subsets, summary tables, the PCA projection, generated rows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srd.pipeline.evaluate import gather_stage, protocol_structure
from srd.pipeline.reconstruct import n_table1_chunks, table1_subset
from srd.plots import pca_figure, pca_projection
from srd.reconstruct.generated import generated_crystal


def test_table1_subset_is_seeded_and_keeps_file_order() -> None:
    table = pd.DataFrame({"id": [f"s{i}" for i in range(50)]})
    a, b = table1_subset(table, 10, seed=3), table1_subset(table, 10, seed=3)
    assert a["id"].tolist() == b["id"].tolist() and len(a) == 10
    assert list(a.index) == sorted(a.index)
    assert table1_subset(table, 10, seed=4)["id"].tolist() != a["id"].tolist()
    assert len(table1_subset(table, None, seed=3)) == 50 and len(table1_subset(table, 99, seed=3)) == 50
    assert n_table1_chunks(50, {"max_structures": 10, "chunk_size": 4}) == 3
    assert n_table1_chunks(50, {"max_structures": None, "chunk_size": 20}) == 3


def test_gather_puts_our_rows_first_then_published(tmp_path: Path) -> None:
    pd.DataFrame([{"dataset": "demo", "valid": 50.0}]).to_csv(tmp_path / "t.csv", index=False)
    published = pd.DataFrame([{"dataset": "mp20", "model": "CDVAE", "valid": 90.0, "source": "published"}])
    gather_stage([tmp_path / "t.csv"], published, "Table X", tmp_path / "all.csv", tmp_path / "all.html")
    out = pd.read_csv(tmp_path / "all.csv")
    assert out.columns[:3].tolist() == ["dataset", "model", "source"]
    assert out["source"].tolist() == ["srd", "published"] and out["valid"].tolist() == [50.0, 90.0]
    page = (tmp_path / "all.html").read_text()
    shown = pd.read_html(io.StringIO(page))[0]
    assert "<h2>Table X</h2>" in page and shown["dataset"].tolist() == ["demo", "mp20"]
    grey = re.search(r"([^{]*)\{\s*color: #777", page).group(1)  # the cells the style rule greys
    assert "row1_col0" in grey and "row0" not in grey  # the published row, not ours


def test_pca_projection_on_a_line() -> None:
    t = np.linspace(-1, 1, 21)
    reference = np.stack([t, 2 * t, np.zeros_like(t)], axis=1) + [1.0, 1.0, 5.0]
    ref, other = pca_projection(reference, reference[:3])
    np.testing.assert_allclose(np.abs(ref[:, 0]), np.abs(t) * np.sqrt(5), atol=1e-12)  # all spread on PC 1
    np.testing.assert_allclose(ref[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(other, ref[:3], atol=1e-12)


def test_generated_rows_to_crystals() -> None:
    row = {"sample_id": 7, "a": 4.0, "b": 4.0, "c": 4.0, "alpha": 90.0, "beta": 90.0, "gamma": 90.0,
           "numbers": [11, 17], "frac": [0, 0, 0, 0.5, 0.5, 0.5], "error": None}
    crystal = generated_crystal(row)
    assert crystal.id == "7" and crystal.frac.shape == (2, 3)
    assert protocol_structure(row).composition.reduced_formula == "NaCl"
    assert generated_crystal({**row, "frac": None}) is None and protocol_structure({**row, "frac": None}) is None
    with pytest.raises(ValueError):  # 2 atoms but 3 positions: refused, not silently reshaped
        generated_crystal({**row, "frac": [0.0] * 9})


def test_training_run_directory_resumes_only_compatible_runs(tmp_path: Path) -> None:
    from srd.pipeline.train import run_directory

    X = np.zeros((4, 8), dtype=np.float32)
    base = run_directory(tmp_path, {"preset": "tiny"}, 0, X)
    assert run_directory(tmp_path, {"preset": "tiny", "epochs": 999}, 0, X) == base  # longer training resumes
    assert run_directory(tmp_path, {"preset": "tiny", "dim": 16}, 0, X) != base
    assert run_directory(tmp_path, {"preset": "tiny"}, 1, X) != base
    assert run_directory(tmp_path, {"preset": "tiny"}, 0, X + 1) != base


def test_pca_figure_names_non_finite_test_rows_and_drops_bad_generated(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    test, generated = rng.random((20, 4)), rng.random((5, 4))
    generated[2, 1] = np.nan
    pca_figure(test, generated, tmp_path / "ok.png", "demo")
    assert (tmp_path / "ok.png").stat().st_size > 0
    test[7, 0] = np.inf
    with pytest.raises(ValueError, match="demo: 1 test rows with non-finite values \\(first: row 7\\)"):
        pca_figure(test, generated, tmp_path / "bad.png", "demo")
    assert not (tmp_path / "bad.png").exists()
