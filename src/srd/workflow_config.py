"""The workflow's config as each stage sees it: the stage's section, the schema's defaults under it and the dataset's
own overrides on top. Checked for every dataset when the DAG is built, so a bad combination (an unknown preset,
hop probabilities summing above 1) stops the run at once instead of failing a job hours later."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from srd.diffusion import sample_config, train_config
from srd.reconstruct import resolve
from srd.sources import dataset_config

RESOLVERS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "train": train_config, "sample": sample_config, "reconstruct": resolve,
}


def section_defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Each top-level section's schema default: a section given with only some keys still gets the others."""
    return {name: spec.get("default", {}) for name, spec in schema["properties"].items()}


def stage_config(config: Mapping[str, Any], dataset: str, stage: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A stage's config slice with the dataset's own overrides on top (e.g. the demo trains the tiny preset)."""
    overrides = dataset_config(config["datasets"], dataset).get(stage, {})
    return {**defaults.get(stage, {}), **config.get(stage, {}), **overrides}


def check_stages(config: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Resolve every dataset's train, sample and reconstruct settings; the error names the dataset and stage."""
    for dataset in config["datasets"]:
        for stage, resolver in RESOLVERS.items():
            try:
                resolver(stage_config(config, dataset, stage, defaults))
            except ValueError as err:
                raise ValueError(f"config: dataset {dataset!r}, stage {stage!r} (section {stage} with "
                                 f"datasets.{dataset}.{stage} on top): {err}") from err
