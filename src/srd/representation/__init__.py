"""The representation R = [R_str | C_comp | L] of a crystal and its pieces."""

from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout

__all__ = ["EADGrid", "VectorLayout"]
