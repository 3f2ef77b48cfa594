"""The Snakemake workflow on the demo dataset, run for real in a scratch copy of the repository: every stage from
ingest to Table 2, rerun semantics after a config edit, and the SLURM profile's resource requests (dry run)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from ase.io import read as ase_read

from srd.reconstruct.site_prior import SitePrior
from srd.representation.scaler import Scaler
from srd.table import from_table

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TARGETS = ["results/table2.csv", "results/table1.csv", "results/demo/features/val.done",
           "results/demo/plots/pca.png", "results/demo/plots/gallery.png"]
# The demo, shrunk further so the whole DAG runs in a test: 25 training crystals, 40 tiny epochs, 8 samples.
TINY = {
    "datasets": {"demo": {
        "source": "demo", "n_structures": {"train": 25, "val": 5, "test": 12},
        "train": {"preset": "tiny", "epochs": 40, "batch_size": 8},
        "sample": {"preset": "tiny", "n_samples": 8},
        "reconstruct": {"preset": "fast", "trials": 4, "hops": 1, "smooth_steps": 10, "steps": 20},
        "table1": {"max_structures": 4, "chunk_size": 2},
        "generated": {"chunk_size": 4},
        "evaluate": {"cutoffs_of": "perov5", "n_subset": 8, "n_draws": 2},
    }},
    "featurize": {"shard_size": 10},
}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Rule -> job count of what a dry run would execute now."""
    out = snakemake(workdir, "-n", *args).stdout
    if "Nothing to be done" in out:
        return {}
    stats = out[out.index("Job stats:"):].split("\n\n")[0].splitlines()[3:]
    return {rule: int(count) for rule, count in (line.split() for line in stats) if rule != "total"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("repo")
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(REPO / name, work)
    for name in ("workflow", "profiles", "envs"):
        shutil.copytree(REPO / name, work / name)
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    return work


@pytest.fixture(scope="module")
def demo_run(workdir: Path) -> Path:
    snakemake(workdir, *TARGETS, "--configfile", "tiny.yaml")
    return workdir / "results"


@pytest.mark.slow
def test_ingest_and_features(demo_run: Path) -> None:
    demo = demo_run / "demo"
    table = pd.read_parquet(demo / "structures/train.parquet")
    assert len(table) == 25
    shards = sorted((demo / "features/train").glob("shard-*.h5"))
    assert [s.name for s in shards] == ["shard-000.h5", "shard-001.h5", "shard-002.h5"]
    with h5py.File(shards[2], "r") as f:
        assert f["R"].shape == (5, 704) and json.loads(f.attrs["grid"])["rc"] == 20.0
        assert [i.decode() for i in f["ids"][()]] == table["id"].tolist()[20:]
    manifest = json.loads((demo / "features/train.done").read_text())
    assert manifest["n_structures"] == 25 and manifest["n_failed"] == 0
    assert json.loads((demo / "features/val.done").read_text())["n_structures"] == 5
    scaler = Scaler.load(demo / "features/scaler.json")
    assert np.all(scaler.high >= scaler.low)
    sites = SitePrior.load(demo / "site_prior.json")  # the training crystals' Wyckoff sites, for symmetric starts
    assert sites.crystals == 25 and sites == SitePrior.fit(from_table(table), sites.symprec)
    assert "of 25 crystals" in (demo / "logs/reconstruct/site_prior.log").read_text()
    assert "25 structures kept, 0 rejected" in (demo / "logs/ingest/train.log").read_text()


@pytest.mark.slow
def test_training_sampling_and_tables(demo_run: Path) -> None:
    demo = demo_run / "demo"
    loss = pd.read_csv(demo / "model/loss.csv")
    assert loss["epoch"].tolist() == list(range(1, 41)) and loss["loss"].iloc[-5:].mean() < loss["loss"].iloc[0]
    samples = pd.read_parquet(demo / "generated/samples.parquet")
    assert len(samples) == 8 and set(samples.columns) >= {"n_atoms", "species", "valid", "reason", "r_str"}
    generated = pd.read_parquet(demo / "generated.parquet")
    assert sorted(generated["sample_id"]) == sorted(samples["sample_id"])  # invalid samples are kept, not dropped
    assert len(ase_read(demo / "generated.extxyz", index=":")) == int(generated["frac"].notna().sum())

    table2 = pd.read_csv(demo / "table2.csv").iloc[0]
    assert table2["n_samples"] == 8 and table2["train_split"] == "train" and table2["cutoff_preset"] == "reference"
    assert 0 <= table2["valid"] <= table2["struct_valid"] <= 100
    per_sample = pd.read_parquet(demo / "generation_metrics.parquet")
    assert len(per_sample) == 8 and per_sample["valid"].mean() * 100 == pytest.approx(table2["valid"])

    table1 = pd.read_csv(demo / "table1.csv").iloc[0]
    assert table1["n"] == 4 and 0 <= table1["exact_rate"] <= table1["match_rate"] <= 1
    assert len(pd.read_parquet(demo / "reconstruction.parquet")) == 4

    summary = pd.read_csv(demo_run / "table2.csv")
    assert (summary["source"] == "srd").sum() == 1 and (summary["source"] == "published").sum() == 9
    assert set(pd.read_csv(demo_run / "table1.csv")["source"]) == {"srd", "published"}
    for stage in ("ingest", "featurize", "train", "sample", "reconstruct", "evaluate"):
        assert any((demo / "logs" / stage).iterdir()) and any((demo / "benchmarks" / stage).iterdir())


@pytest.fixture(scope="module")
def report(demo_run: Path, workdir: Path) -> Path:
    snakemake(workdir, "--report", "results/report.html", *TARGETS, "--configfile", "tiny.yaml")
    return workdir / "results/report.html"


@pytest.mark.slow
def test_report_holds_tables_and_figures(report: Path) -> None:
    html = report.read_text(errors="replace")
    for name in ("table1.html", "table2.html", "loss.png", "pca.png", "gallery.png"):
        assert name in html, name


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a sandbox-less machine with a closed network (background services would only time out).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def click_through(report: Path) -> tuple[list[str], list[list[int]], list[str]]:
    """Open every table and figure of the report as a reader would: the tables' text, the figures' pixel sizes and
    any JavaScript error."""
    from playwright.sync_api import sync_playwright

    tables, sizes, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda error: errors.append(str(error)))
        views = [("Summary", None), ("Summary", None), ("Training", None),  # (category, label of the result)
                 ("Figures", "PCA generated vs test (Fig. 5)"), ("Figures", "generated crystals (Fig. 4)")]
        for i, (category, label) in enumerate(views):
            page.goto(report.as_uri())
            page.get_by_text(category, exact=True).click()
            if label:
                page.get_by_text(label, exact=True).click()
            page.locator('a[iconname="eye"]').nth(i if category == "Summary" else 0).click()
            if category == "Summary":
                frame = page.frame_locator("iframe")
                frame.locator("table").wait_for()
                tables.append(frame.locator("body").inner_text())
            else:
                image = page.locator("img[src^='data:image/png']")
                image.wait_for()
                sizes.append(image.evaluate("img => [img.naturalWidth, img.naturalHeight]"))
        browser.close()
    return tables, sizes, errors


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_shows_tables_and_images_in_a_browser(report: Path) -> None:
    """Each table renders with our row beside the published ones; each figure decodes to a real image."""
    pytest.importorskip("playwright")
    tables, sizes, errors = click_through(report)
    assert [t.splitlines()[0] for t in tables] == [
        "Table 1: reconstruction of test crystals from their representation",
        "Table 2: generation metrics (CDVAE protocol)",
    ]
    for text in tables:
        assert "\ndemo\tsrd\tsrd" in text and "\tCDVAE\tpublished" in text
    assert len(sizes) == 3 and all(w > 200 and h > 200 for w, h in sizes), sizes  # loss curve, PCA, gallery
    assert errors == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("reconstruct", "steps", 25, {"reconstruct_test_chunk", "table1", "gather_table1",
                                      "reconstruct_generated_chunk", "generated", "table2", "gather_table2",
                                      "gallery"}),
        ("evaluate", "n_draws", 3, {"table2", "gather_table2"}),
        ("representation", "rc", 18.0, {"featurize_shard", "features_done", "fit_scaler", "train", "sample",
                                         "reconstruct_test_chunk", "table1", "gather_table1",
                                         "reconstruct_generated_chunk", "generated", "table2", "gather_table2",
                                         "pca_plot", "gallery"}),
    ],
)
def test_editing_one_key_reruns_only_what_depends_on_it(demo_run: Path, workdir: Path, section: str, key: str,
                                                         value: object, expected: set[str]) -> None:
    assert planned_jobs(workdir, *TARGETS, "--configfile", "tiny.yaml") == {}
    overlay = yaml.safe_load((workdir / "tiny.yaml").read_text())
    if section in ("reconstruct", "evaluate"):  # the demo's own overrides are where its stage settings live
        overlay["datasets"]["demo"][section][key] = value
    else:
        overlay.setdefault(section, {})[key] = value
    (workdir / "edited.yaml").write_text(yaml.safe_dump(overlay))
    assert set(planned_jobs(workdir, *TARGETS, "--configfile", "edited.yaml")) == expected


@pytest.mark.slow
def test_slurm_profile_requests(demo_run: Path, workdir: Path) -> None:
    out = snakemake(workdir, "-n", "--workflow-profile", "profiles/slurm", "--forceall", *TARGETS,
                    "--configfile", "tiny.yaml").stdout
    requests = dict(re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, flags=re.M))
    config = yaml.safe_load((workdir / "config.yaml").read_text())["resources"]
    for rule, stage, gpu in (("train", "train", True), ("sample", "sample", True),
                             ("reconstruct_generated_chunk", "reconstruct", False), ("table2", "evaluate", False)):
        res = dict(item.split("=", 1) for item in requests[rule].split(", "))
        assert int(res["mem_mb"]) == config[stage]["mem_mb"] and int(res["runtime"]) == config[stage]["runtime"]
        assert int(res["cpus_per_task"]) == config[stage]["cpus_per_task"]
        assert res["slurm_account"] == "YOUR_ACCOUNT"
        assert (res.get("gpu") == "1") == gpu
        assert res["slurm_partition"] == ("YOUR_GPU_PARTITION" if gpu else "YOUR_CPU_PARTITION")


def test_unknown_config_key_is_named(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(yaml.safe_dump({"featurize": {"shard_sise": 10}}))
    result = snakemake(workdir, "-n", "results/demo/features/scaler.json", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "shard_sise" in result.stdout + result.stderr


def test_unknown_dataset_lists_the_configured_ones(workdir: Path) -> None:
    result = snakemake(workdir, "-n", "results/mp21/features/scaler.json", check=False)
    assert result.returncode != 0
    assert "unknown dataset 'mp21'; config.yaml defines: carbon24, demo, mp20, perov5" in result.stdout + result.stderr


def test_dataset_without_coverage_cutoffs_fails_before_running(workdir: Path) -> None:
    (workdir / "mine.yaml").write_text(yaml.safe_dump({"datasets": {"mine": {"source": "cdvae", "name": "perov_5"}}}))
    result = snakemake(workdir, "-n", "results/mine/table2.csv", "--configfile", "mine.yaml", check=False)
    assert result.returncode != 0
    assert "set datasets.mine.evaluate.cutoffs_of to mp20, perov5 or carbon24" in result.stdout + result.stderr


def test_partial_config_section_keeps_schema_defaults(workdir: Path) -> None:
    (workdir / "partial.yaml").write_text(yaml.safe_dump({"table1": {"max_structures": 3}, "evaluate": {"n_draws": 5}}))
    result = snakemake(workdir, "-n", "results/mp20/table1.csv", "results/mp20/table2.csv",
                       "--configfile", "partial.yaml", check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

