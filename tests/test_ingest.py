"""Ingestion: canonical form, every reject reason, clear errors for missing inputs, the demo dataset."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter

from srd.demo import demo_split
from srd.ingest import IngestRules, ingest_path, ingest_split
from srd.sources import SourceError, dataset_config, resolve_split
from srd.table import from_table

RULES = IngestRules(max_atoms=6)


def cif(structure: Structure) -> str:
    return str(CifWriter(structure))


def nacl() -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.fixture
def mixed_csv(tmp_path: Path) -> Path:
    good = nacl().get_primitive_structure()
    rows = [
        ("good-1", cif(good)),
        ("garbage", "data_x\n_this is not a cif\n"),
        ("disordered", cif(Structure(Lattice.cubic(3.0), [{"Fe": 0.5, "Co": 0.5}], [[0, 0, 0]]))),
        ("heavy", cif(Structure(Lattice.cubic(4.0), ["Es", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]]))),
        ("big", cif(nacl())),  # 8 atoms in the conventional cell > max_atoms = 6
        ("overlap", cif(Structure(Lattice.cubic(4.0), ["Na", "Cl"], [[0, 0, 0], [0.05, 0, 0]]))),
        ("empty", ""),
        ("good-2", cif(Structure(Lattice.cubic(3.0), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]))),
    ]
    path = tmp_path / "split.csv.gz"
    with gzip.open(path, "wt") as f:
        pd.DataFrame({"material_id": [r[0] for r in rows], "cif": [r[1] for r in rows]}).to_csv(f, index=False)
    return path


def test_bad_cifs_become_rejects_with_reasons(mixed_csv: Path) -> None:
    table, rejects = ingest_path(mixed_csv, RULES)
    assert table["id"].tolist() == ["good-1", "good-2"]
    assert table["source_row"].tolist() == [0, 7]
    reasons = dict(zip(rejects["id"], rejects["reason"]))
    assert reasons["garbage"].startswith("unparsable CIF")
    assert reasons["disordered"] == "partial occupancy or disordered site"
    assert reasons["heavy"] == "element with Z = 99 > 96"
    assert reasons["big"] == "8 atoms > max_atoms = 6"
    assert reasons["overlap"].startswith("overlapping atoms")
    assert reasons["empty"] == "empty CIF"
    assert rejects.set_index("id").loc["overlap", "source_row"] == 5


def test_canonical_form_is_niggli_reduced_with_lattice_from_parameters(tmp_path: Path) -> None:
    skewed = Structure(Lattice([[4, 0, 0], [3, 4, 0], [0, 0, 5]]), ["Mg", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    (tmp_path / "cifs").mkdir()
    (tmp_path / "cifs" / "mgo.cif").write_text(cif(skewed))
    table, _ = ingest_path(tmp_path / "cifs", RULES)
    crystal = from_table(table)[0]
    reduced = skewed.get_reduced_structure()
    assert crystal.id == "mgo"
    np.testing.assert_allclose(crystal.lattice, reduced.lattice.parameters)
    np.testing.assert_allclose(crystal.matrix(), Lattice.from_parameters(*reduced.lattice.parameters).matrix, atol=1e-12)
    assert crystal.to_pymatgen().matches(skewed)


def test_missing_file_and_unknown_dataset_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        ingest_path(tmp_path / "nowhere.csv", RULES)
    with pytest.raises(SourceError, match="unknown dataset 'mp21'.*mp20"):
        dataset_config({"mp20": {}, "demo": {}}, "mp21")
    data = {"data_root": str(tmp_path), "download": False, "cache_dir": str(tmp_path / "cache"),
            "splits": {"train": "val", "val": "val", "test": "test"}}
    with pytest.raises(SourceError, match=r"mp_20/val.csv.gz"):
        resolve_split({"name": "mp_20"}, data, "train")


def test_split_map_reads_val_for_train(tmp_path: Path, mixed_csv: Path) -> None:
    (tmp_path / "toy").mkdir()
    mixed_csv.rename(tmp_path / "toy" / "val.csv.gz")
    data = {"data_root": str(tmp_path), "download": False, "cache_dir": "unused",
            "splits": {"train": "val", "val": "val", "test": "test"}}
    assert resolve_split({"name": "toy"}, data, "train") == tmp_path / "toy" / "val.csv.gz"
    table, rejects = ingest_split({"source": "cdvae", "name": "toy", "max_atoms": 6}, data, {}, "train")
    assert len(table) == 2 and len(rejects) == 6


def test_demo_is_deterministic_and_splits_differ() -> None:
    a, b = demo_split("train", 12), demo_split("train", 12)
    assert all(np.array_equal(x.frac, y.frac) and np.array_equal(x.lattice, y.lattice) for x, y in zip(a, b))
    test = demo_split("test", 12)
    assert not np.allclose([c.lattice[0] for c in a], [c.lattice[0] for c in test])
    table, rejects = ingest_split({"source": "demo", "n_structures": {"train": 30}}, {}, {}, "train")
    assert len(table) == 30 and len(rejects) == 0 and set(table["n_atoms"]) == {2, 5}


def test_real_benchmark_rows_ingest() -> None:
    table, rejects = ingest_path(Path(__file__).parents[2] / "shared/data/perov_5/test.csv.gz", IngestRules(max_atoms=20))
    assert len(table) + len(rejects) == 3785 and len(rejects) == 0
    assert set(table["n_atoms"]) == {5}
