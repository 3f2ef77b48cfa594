"""Basin-hopping moves: how a trial leaves its accepted minimum for the next hop."""

from __future__ import annotations

import numpy as np


def hop_moves(
    rng: np.random.Generator, cart: np.ndarray, numbers: np.ndarray, matrix: np.ndarray, size: float,
    swap_probability: float, relocate_probability: float,
) -> np.ndarray:
    """Cartesian displacements (trials, n_atoms, 3) that take each trial of one structure to its next start.

    Each trial draws one move: with `swap_probability` two atoms of different species exchange places (a structure
    with the right sites but wrong occupation is a deep false minimum that no small shake leaves), with
    `relocate_probability` one atom jumps to a uniform random place in the cell (a single misplaced atom), otherwise
    every coordinate moves uniformly in [-size, size] A (the paper's hop).
    """
    trials, n_atoms, _ = cart.shape
    delta = rng.uniform(-size, size, cart.shape)
    kind = rng.random(trials)
    pairs = np.argwhere(numbers[:, None] != numbers[None, :])
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    for t in range(trials):
        if kind[t] < swap_probability:
            if len(pairs):  # else (one species) the shake stands
                i, j = pairs[rng.integers(len(pairs))]
                delta[t] = 0.0
                delta[t, i], delta[t, j] = cart[t, j] - cart[t, i], cart[t, i] - cart[t, j]
        elif kind[t] < swap_probability + relocate_probability:
            i = rng.integers(n_atoms)
            delta[t] = 0.0
            delta[t, i] = rng.random(3) @ matrix - cart[t, i]
    return delta
