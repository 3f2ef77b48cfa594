"""The embedded `demo` dataset: small prototype crystals that srd builds itself, so the DAG runs with no data.

Perovskites ABX3 (cubic, tetragonally strained), rock salts AB and CsCl-type AB, each with elements drawn from
chemically sensible pools and lattice constants drawn around a plausible value. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
from pymatgen.core import Lattice, Structure

from srd.structures import Crystal

PEROVSKITE_A = ["Ca", "Sr", "Ba", "K", "Na", "La"]
PEROVSKITE_B = ["Ti", "Zr", "Nb", "Ta", "Mn", "Fe", "Co", "Ni"]
PEROVSKITE_X = ["O", "F"]
CATIONS = ["Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Ba"]
ANIONS = ["F", "Cl", "Br", "I", "O", "S"]

SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}


def perovskite(rng: np.random.Generator) -> Structure:
    a = rng.uniform(3.7, 4.2)
    c = a * rng.uniform(0.97, 1.05)
    species = [rng.choice(PEROVSKITE_A), rng.choice(PEROVSKITE_B)] + [rng.choice(PEROVSKITE_X)] * 3
    frac = [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    return Structure(Lattice.tetragonal(a, c), species, frac)


def rocksalt(rng: np.random.Generator) -> Structure:
    a = rng.uniform(4.0, 6.5)
    conventional = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), [rng.choice(CATIONS), rng.choice(ANIONS)], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    return conventional.get_primitive_structure()


def cesium_chloride(rng: np.random.Generator) -> Structure:
    a = rng.uniform(3.3, 4.5)
    return Structure(Lattice.cubic(a), [rng.choice(CATIONS), rng.choice(ANIONS)], [[0, 0, 0], [0.5, 0.5, 0.5]])


PROTOTYPES = [perovskite, rocksalt, cesium_chloride]


def demo_split(split: str, n_structures: int, seed: int = 0) -> list[Crystal]:
    """`n_structures` crystals of one split, in canonical form; splits use disjoint random streams."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"demo dataset has splits {sorted(SPLIT_SEEDS)}, not {split!r}")
    rng = np.random.default_rng([seed, SPLIT_SEEDS[split]])
    crystals = []
    for k in range(n_structures):
        structure = PROTOTYPES[k % len(PROTOTYPES)](rng)
        crystals.append(Crystal.from_pymatgen(structure, id=f"demo-{split}-{k:04d}"))
    return crystals
