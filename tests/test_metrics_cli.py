"""Readers and the ``srd evaluate`` command on CIF folders, extxyz and CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase.io import write
from scipy.spatial.distance import cdist
from pymatgen.io.ase import AseAtomsAdaptor

from srd.cli import main
from srd.metrics.readers import read_samples, structures_from_cif

STRUCTURES = Path("/work/shared/reference/cdvae-protocol/structures.parquet")


@pytest.fixture(scope="module")
def metrics_perov() -> pd.DataFrame:
    if not STRUCTURES.exists():
        pytest.skip(f"{STRUCTURES} not available")
    frame = pd.read_parquet(STRUCTURES)
    return frame[(frame["dataset"] == "perov") & (frame["kind"] == "original")].head(5)


@pytest.fixture(scope="module")
def metrics_cifs(metrics_perov) -> list[str]:
    return metrics_perov["cif_p1"].tolist()


def test_readers_agree_across_formats(tmp_path, metrics_cifs):
    structures = [structures_from_cif(cif)[0] for cif in metrics_cifs[:3]]
    pd.DataFrame({"cif": metrics_cifs[:3] + ["not a cif"]}).to_csv(tmp_path / "set.csv.gz", index=False)
    write(tmp_path / "set.extxyz", [AseAtomsAdaptor.get_atoms(s) for s in structures])
    folder = tmp_path / "cifs"
    folder.mkdir()
    for i, cif in enumerate(metrics_cifs[:3]):
        (folder / f"{i}.cif").write_text(cif)
    from_csv = read_samples(tmp_path / "set.csv.gz")
    assert from_csv[3].structure is None and from_csv[3].reason.startswith("unreadable")
    for samples in (from_csv[:3], read_samples(tmp_path / "set.extxyz"), read_samples(folder)):
        assert [s.structure.composition for s in samples] == [s.composition for s in structures]
        assert [s.structure.volume for s in samples] == pytest.approx([s.volume for s in structures])


def test_reader_errors_name_the_file(tmp_path):
    pd.DataFrame({"structure": ["x"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(KeyError, match="bad.csv: no 'cif' column"):
        read_samples(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError, match="missing.cif"):
        read_samples(tmp_path / "missing.cif")


def test_evaluate_command_writes_row_and_samples(tmp_path, metrics_perov, metrics_cifs, capsys):
    generated = tmp_path / "generated"
    generated.mkdir()
    for i, cif in enumerate(metrics_cifs[:3]):
        (generated / f"g{i}.cif").write_text(cif)
    (generated / "broken.cif").write_text("data_broken\n_cell_length_a 1\n")
    pd.DataFrame({"cif": metrics_cifs[2:]}).to_csv(tmp_path / "test.csv.gz", index=False)
    out = tmp_path / "out"
    args = ["evaluate", str(generated), "--reference", str(tmp_path / "test.csv.gz"), "--dataset", "perov_5",
            "--reference-cache", str(out / "ref.npz"), "--workers", "2", "--n-subset", "2", "--n-draws", "3",
            "--out-row", str(out / "row.csv"), "--out-samples", str(out / "samples.parquet")]
    assert main(args) == 0
    row = pd.read_csv(out / "row.csv").iloc[0]
    samples = pd.read_parquet(out / "samples.parquet")
    assert row["n_samples"] == 4 and row["n_reference"] == 3 and row["dataset"] == "perov5"
    assert row["struct_valid"] == 75.0  # the unreadable CIF counts in the denominator
    # COV-P from the reference code's fingerprints with Perov-5's reference cutoffs (0.2, 4), over all 4 samples
    d_s = cdist(np.stack(metrics_perov["struct_fp"][:3]), np.stack(metrics_perov["struct_fp"][2:]))
    d_c = cdist(np.stack(metrics_perov["comp_fp_scaled"][:3]), np.stack(metrics_perov["comp_fp_scaled"][2:]))
    assert row["cov_p"] == pytest.approx(100 * np.sum((d_s.min(1) <= 0.2) & (d_c.min(1) <= 4)) / 4)
    assert samples.set_index("name").loc["g2.cif", "min_struct_dist"] == pytest.approx(0.0, abs=1e-9)  # in reference
    assert samples["invalid_reason"].str.startswith("unreadable").sum() == 1
    assert sorted(p.name for p in out.iterdir()) == ["ref.npz", "row.csv", "samples.parquet"]  # no temp files
    cache_time = (out / "ref.npz").stat().st_mtime_ns
    assert main(args) == 0 and (out / "ref.npz").stat().st_mtime_ns == cache_time  # cache reused
    assert "cov_r=" in capsys.readouterr().out
