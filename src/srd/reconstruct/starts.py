"""Initial fractional positions for the trials of one structure."""

from __future__ import annotations

from itertools import product

import numpy as np

_IMAGES = np.array(list(product((-1, 0, 1), repeat=3)), dtype=float)  # (27, 3)
CANDIDATES = 32  # random proposals per atom in `spread` starts


def uniform_starts(rng: np.random.Generator, trials: int, n_atoms: int) -> np.ndarray:
    """Paper starts: independent uniform fractional coordinates, (trials, n_atoms, 3)."""
    return rng.random((trials, n_atoms, 3))


def spread_starts(
    rng: np.random.Generator, trials: int, n_atoms: int, matrix: np.ndarray, min_distance: float
) -> np.ndarray:
    """Random sequential addition: each atom takes the first of CANDIDATES proposals that is at least `min_distance`
    from every atom placed so far (periodic images included), or the farthest proposal if none is.

    Uniform starts put atoms on top of each other, where the EAD gradient is large and uninformative; starts with
    sensible spacing begin closer to the basin of a real crystal. Vectorised over trials and proposals.
    """
    frac = np.empty((trials, n_atoms, 3))
    frac[:, 0] = rng.random((trials, 3))
    for k in range(1, n_atoms):
        proposals = rng.random((trials, CANDIDATES, 3))
        delta = proposals[:, :, None, :] - frac[:, None, :k, :]  # (T, C, k, 3)
        delta -= np.round(delta)
        cart = (delta[:, :, :, None, :] + _IMAGES) @ matrix  # (T, C, k, 27, 3)
        nearest = np.linalg.norm(cart, axis=-1).min(axis=(2, 3))  # (T, C)
        ok = nearest >= min_distance
        choice = np.where(ok.any(axis=1), ok.argmax(axis=1), nearest.argmax(axis=1))
        frac[:, k] = proposals[np.arange(trials), choice]
    return frac


def snap_starts(rng: np.random.Generator, frac: np.ndarray, probability: float, grid: int) -> np.ndarray:
    """Move each coordinate, with `probability`, to the nearest multiple of 1/grid.

    Most crystals of these datasets put atoms on special positions (0, 1/4, 1/2, ...); starting some coordinates
    there exactly puts a trial much nearer the true basin than a uniform draw does.
    """
    snap = rng.random(frac.shape) < probability
    return np.where(snap, (np.round(frac * grid) / grid) % 1.0, frac)
