"""srd: generate periodic crystals by diffusion in the EAD representation space (StructRepDiff)."""

__version__ = "0.1.0"
