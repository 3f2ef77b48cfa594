"""Which srd files a workflow script runs (from its imports), the code half of every rule's params."""

from __future__ import annotations

from pathlib import Path

from srd.code_version import ROOT, code_fingerprint, imported_modules, source_files

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_imports_anywhere_in_the_source_with_their_packages() -> None:
    source = """
import numpy
import srd.representation.ead as E
from srd.pipeline import evaluate
def later():
    from srd.metrics.pool import run_pool
"""
    assert imported_modules(source) == {
        "srd", "srd.representation", "srd.representation.ead", "srd.pipeline", "srd.pipeline.evaluate",
        "srd.metrics", "srd.metrics.pool", "srd.metrics.pool.run_pool",
    }


def test_relative_imports_resolve_against_the_module() -> None:
    assert imported_modules("from .pool import run_pool", "srd.metrics.table2") == {
        "srd", "srd.metrics", "srd.metrics.pool", "srd.metrics.pool.run_pool"}
    assert imported_modules("from . import pool", "srd.metrics.__init__") == {"srd", "srd.metrics", "srd.metrics.pool"}


def relative(files: list[Path]) -> set[str]:
    return {str(f.relative_to(ROOT)) for f in files if f.is_relative_to(ROOT)}


def test_training_runs_the_model_and_the_representation_but_not_the_metrics() -> None:
    files = relative(source_files(SCRIPTS / "train.py"))
    assert {"diffusion/unet.py", "diffusion/training.py", "representation/ead.py", "__init__.py"} <= files
    assert not any(f.startswith(("metrics/", "reconstruct/")) for f in files)


def test_transitive_imports_are_followed() -> None:
    """gather_table2.py imports only srd.pipeline.evaluate, which imports the HTML table writer."""
    assert "report_tables.py" in relative(source_files(SCRIPTS / "gather_table2.py"))
    assert "report_tables.py" not in relative(source_files(SCRIPTS / "ingest.py"))


def test_package_data_beside_an_imported_module_counts() -> None:
    """Editing the Magpie scaler shipped with srd.metrics must rerun Table 2, not featurization."""
    assert "metrics/magpie_scaler.json" in relative(source_files(SCRIPTS / "table2.py"))
    assert "metrics/magpie_scaler.json" not in relative(source_files(SCRIPTS / "featurize_shard.py"))


def test_fingerprint_is_stable_and_follows_the_script(tmp_path: Path) -> None:
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text("from srd.plots import pca_figure\n")
    two.write_text("from srd.report_tables import write_table_html\n")
    before = code_fingerprint(one)
    assert before == code_fingerprint(one) and before != code_fingerprint(two)
    one.write_text("from srd.plots import pca_figure\n# edited\n")
    assert code_fingerprint(one) != before
