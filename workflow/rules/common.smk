from pathlib import Path

import pyarrow.parquet as pq
import yaml

import srd
import srd.code_version
import srd.diffusion
import srd.metrics.coverage
import srd.pipeline.reconstruct
import srd.reconstruct
import srd.sources
import srd.workflow_config
from srd.chunks import chunk_rows

CPU_ENV = "../../envs/srd-cpu.yaml"
GPU_ENV = "../../envs/srd-cuda.yaml"
DATASETS = list(config["datasets"])
SPLITS = ["train", "val", "test"]

SECTION_DEFAULTS = srd.workflow_config.section_defaults(
    yaml.safe_load(
        Path(workflow.basedir, "workflow/schemas/config.schema.yaml").read_text()
    )
)
srd.workflow_config.check_stages(config, SECTION_DEFAULTS)


wildcard_constraints:
    dataset=r"[A-Za-z0-9_]+",
    split="|".join(SPLITS),
    shard=r"\d{3}",
    chunk=r"\d{3}",


def code_fingerprint(script):
    """Digest of a rule's script and of the srd source it imports: a param, so editing a module reruns exactly the
    rules that run it (srd.code_version)."""
    return srd.code_version.code_fingerprint(
        Path(workflow.basedir, "workflow/scripts", script)
    )


def dataset_config(wildcards):
    """The dataset's config entry; an unknown name is an error that lists the configured ones."""
    return srd.sources.dataset_config(config["datasets"], wildcards.dataset)


SOURCE_KEYS = ("source", "name", "n_structures", "max_atoms")


def dataset_source(wildcards):
    """Only what ingest reads of a dataset entry: its stage overrides must not rerun ingestion."""
    return {k: v for k, v in dataset_config(wildcards).items() if k in SOURCE_KEYS}


def stage_config(stage, wildcards):
    return srd.workflow_config.stage_config(
        config, wildcards.dataset, stage, SECTION_DEFAULTS
    )


def site_prior_symprec(wildcards):
    """The one reconstruct key the site prior uses: editing any other must not recount it."""
    return srd.reconstruct.resolve(stage_config("reconstruct", wildcards)).symprec


def evaluate_config(wildcards):
    """The evaluate slice, refused at DAG build when the dataset has no coverage cutoffs to score against."""
    cfg = stage_config("evaluate", wildcards)
    srd.metrics.coverage.cutoffs_dataset(cfg, wildcards.dataset)
    return cfg


def stage_resources(stage):
    """Memory and runtime of a stage from config; a retried job (attempt 2, 3) asks for proportionally more."""
    res = config["resources"][stage]
    return {
        "mem_mb": lambda wildcards, attempt: res["mem_mb"] * attempt,
        "runtime": lambda wildcards, attempt: res["runtime"] * attempt,
        "cpus_per_task": res["cpus_per_task"],
    }


def n_shards(wildcards):
    """Shard count of a split, known once its ingest checkpoint has run."""
    table = checkpoints.ingest.get(
        dataset=wildcards.dataset, split=wildcards.split
    ).output.table
    rows = pq.read_metadata(table).num_rows
    return len(chunk_rows(rows, config["featurize"]["shard_size"]))


def feature_shards(wildcards):
    return expand(
        "results/{dataset}/features/{split}/shard-{shard:03d}.h5",
        dataset=wildcards.dataset,
        split=wildcards.split,
        shard=range(n_shards(wildcards)),
    )


def table1_chunks(wildcards):
    """Chunks of the (subset of the) test split, known once its ingest checkpoint has run."""
    table = checkpoints.ingest.get(dataset=wildcards.dataset, split="test").output.table
    n = srd.pipeline.reconstruct.n_table1_chunks(
        pq.read_metadata(table).num_rows, stage_config("table1", wildcards)
    )
    return expand(
        "results/{dataset}/recon/chunk-{chunk:03d}.parquet",
        dataset=wildcards.dataset,
        chunk=range(n),
    )


def generated_chunks(wildcards):
    """Chunks of the generated samples; their number follows from the sample settings alone."""
    n_samples = srd.diffusion.sample_config(stage_config("sample", wildcards)).n_samples
    n = len(chunk_rows(n_samples, stage_config("generated", wildcards)["chunk_size"]))
    return expand(
        "results/{dataset}/generated/chunk-{chunk:03d}.parquet",
        dataset=wildcards.dataset,
        chunk=range(n),
    )


def train_split(wildcards):
    """What the model was trained on, for the tables: e.g. 'val' when offline (train <- val)."""
    if dataset_config(wildcards)["source"] == "demo":
        return "train"
    return config["data"]["splits"]["train"]


def existing_tables(name):
    """Every dataset's table that exists now (the summary gathers what has been run), or the demo's."""
    found = [
        f"results/{d}/{name}" for d in DATASETS if Path(f"results/{d}/{name}").exists()
    ]
    return found or [f"results/demo/{name}"]
