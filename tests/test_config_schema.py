"""The config schema and the settings classes it validates for must list the same keys, or a valid config could
be refused at run time (or a typo accepted by the schema and refused later, far from the user)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from srd.diffusion.presets import SampleConfig, TrainConfig
from srd.reconstruct.config import Settings

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml").read_text())


@pytest.mark.parametrize(("section", "cls"), [("train", TrainConfig), ("sample", SampleConfig),
                                               ("reconstruct", Settings)])
def test_schema_keys_match_settings(section: str, cls: type) -> None:
    schema_keys = set(SCHEMA["$defs"][section]["properties"]) - {"preset"}
    assert schema_keys == {f.name for f in fields(cls)} - {"preset"}
