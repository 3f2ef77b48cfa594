"""The config schema and the settings classes it validates for must list the same keys, or a valid config could
be refused at run time (or a typo accepted by the schema and refused later, far from the user)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from srd.diffusion.presets import SampleConfig, TrainConfig
from srd.reconstruct.config import Settings, resolve
from srd.workflow_config import check_stages, section_defaults, stage_config

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml").read_text())


@pytest.mark.parametrize(("section", "cls"), [("train", TrainConfig), ("sample", SampleConfig),
                                               ("reconstruct", Settings)])
def test_schema_keys_match_settings(section: str, cls: type) -> None:
    schema_keys = set(SCHEMA["$defs"][section]["properties"]) - {"preset"}
    assert schema_keys == {f.name for f in fields(cls)} - {"preset"}


CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
DEFAULTS = section_defaults(SCHEMA)


def test_shipped_config_resolves_for_every_dataset_and_stage() -> None:
    check_stages(CONFIG, DEFAULTS)  # raises naming the dataset and stage otherwise


def test_dataset_overrides_sit_on_the_section_which_sits_on_the_schema_defaults() -> None:
    config = {"datasets": {"a": {"source": "demo", "reconstruct": {"lr": 0.02}}, "b": {"source": "demo"}},
              "reconstruct": {"preset": "fast", "lr": 0.3, "trials": 5}, "table1": {"chunk_size": 7}}
    assert stage_config(config, "a", "reconstruct", DEFAULTS) == {"preset": "fast", "lr": 0.02, "trials": 5}
    assert resolve(stage_config(config, "b", "reconstruct", DEFAULTS)).lr == 0.3
    assert stage_config(config, "b", "table1", DEFAULTS) == {**DEFAULTS["table1"], "chunk_size": 7}


@pytest.mark.parametrize(("override", "message"), [
    ({"reconstruct": {"swap_probability": 0.7, "relocate_probability": 0.5}}, "must be >= 0 and sum to <= 1"),
    ({"train": {"preset": "huge"}}, "unknown train.preset 'huge'"),
])
def test_a_bad_dataset_override_is_refused_naming_dataset_and_stage(override: dict, message: str) -> None:
    config = {**CONFIG, "datasets": {**CONFIG["datasets"], "carbon24": {**CONFIG["datasets"]["carbon24"], **override}}}
    stage = next(iter(override))
    with pytest.raises(ValueError, match=rf"dataset 'carbon24', stage '{stage}'.*{message}"):
        check_stages(config, DEFAULTS)
