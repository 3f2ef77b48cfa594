"""Reconstruction of crystals from their structure descriptor R_str (Algorithm 2) and the Table 1 stage."""

from srd.reconstruct.config import PRESETS, Settings, resolve
from srd.reconstruct.engine import Result, Target, reconstruct
from srd.reconstruct.generated import aggregate_generated, run_generated_chunk
from srd.reconstruct.table1 import aggregate_table1, run_table1_chunk

__all__ = ["PRESETS", "Result", "Settings", "Target", "aggregate_generated", "aggregate_table1",
           "reconstruct", "resolve", "run_generated_chunk", "run_table1_chunk"]
