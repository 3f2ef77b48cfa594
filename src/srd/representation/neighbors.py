"""Periodic neighbour lists over a batch of crystals, from pymatgen's cell-list search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from pymatgen.optimization.neighbors import find_points_in_spheres

_PBC = np.array([1, 1, 1], dtype=np.int64)


@dataclass(frozen=True)
class NeighborList:
    """Pairs (i, j, image): atom j of the same crystal, shifted by `image` lattice vectors, is within the radius of i.

    Indices are global over the concatenated atoms of the batch, sorted by centre. Only topology is stored: the displacement is
    recomputed from (differentiable) positions as pos[j] - pos[i] + image @ cell.
    """

    center: np.ndarray  # (P,) int64
    neighbor: np.ndarray  # (P,) int64
    image: np.ndarray  # (P, 3) float64, integer-valued
    radius: float


def crystal_pairs(cart: np.ndarray, matrix: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, image) of one crystal within `radius`, without the atom itself in its own image, sorted by centre and
    then distance (the EAD kernel's layout then finds each Gaussian's pairs at the start of a row)."""
    cart = np.ascontiguousarray(cart, dtype=float)
    i, j, image, dist = find_points_in_spheres(cart, cart, float(radius), _PBC, np.ascontiguousarray(matrix, float))
    keep = ~((i == j) & np.all(image == 0, axis=1))
    order = np.lexsort((dist[keep], i[keep]))
    return i[keep][order].astype(np.int64), j[keep][order].astype(np.int64), image[keep][order].astype(float)


def nonempty_crystal_pairs(
    cart: np.ndarray, matrix: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """crystal_pairs, doubling the radius until some pair is found.

    The extension matters only for d_min (the shortest distance of a sparse cell can exceed the EAD radius);
    the EAD itself ignores pairs beyond each Gaussian's own reach.
    """
    i, j, image = crystal_pairs(cart, matrix, radius)
    while len(i) == 0:
        radius *= 2.0
        i, j, image = crystal_pairs(cart, matrix, radius)
    return i, j, image


def concatenate_pairs(
    per_crystal: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], n_atoms: Sequence[int], radius: float
) -> NeighborList:
    """One batch-global NeighborList from per-crystal (local) pair lists, each already sorted by centre."""
    offsets = np.concatenate([[0], np.cumsum(n_atoms)[:-1]]).astype(np.int64)
    return NeighborList(
        center=np.concatenate([p[0] + o for p, o in zip(per_crystal, offsets)]),
        neighbor=np.concatenate([p[1] + o for p, o in zip(per_crystal, offsets)]),
        image=np.concatenate([p[2] for p in per_crystal]).reshape(-1, 3),
        radius=radius,
    )


def batch_neighbor_list(
    carts: Sequence[np.ndarray], matrices: Sequence[np.ndarray], radius: float
) -> NeighborList:
    """Neighbour list of a batch; a crystal with no pair inside `radius` gets its nearest shell instead."""
    pairs = [nonempty_crystal_pairs(cart, matrix, radius) for cart, matrix in zip(carts, matrices)]
    return concatenate_pairs(pairs, [len(c) for c in carts], radius)
