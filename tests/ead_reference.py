"""Brute-force dense EAD, straight from the formula of method.md: every image within rc, no pruning, numpy float64.

Kept deliberately naive (explicit loops over atoms and images) so that it can serve as the known answer.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np

from srd.representation.grid import EADGrid


def dense_ead(numbers: np.ndarray, cart: np.ndarray, matrix: np.ndarray, grid: EADGrid) -> np.ndarray:
    """Per-atom EAD features (n, N_e), ordered (order, eta, mu)."""
    volume = abs(np.linalg.det(matrix))
    widths = [volume / np.linalg.norm(np.cross(matrix[(k + 1) % 3], matrix[(k + 2) % 3])) for k in range(3)]
    reach = [math.ceil(grid.rc / w) + 1 for w in widths]
    images = np.array(list(product(*[range(-n, n + 1) for n in reach])), dtype=float) @ matrix
    mus = np.array(grid.mus)
    out = []
    for i in range(len(numbers)):
        feats = []
        for order in grid.orders:
            for eta in grid.etas:
                total = np.zeros(len(mus))
                for lx in range(order + 1):
                    for ly in range(order + 1 - lx):
                        lz = order - lx - ly
                        weight = math.factorial(order) / (math.factorial(lx) * math.factorial(ly) * math.factorial(lz))
                        s = np.zeros(len(mus))
                        for j in range(len(numbers)):
                            d = cart[j] + images - cart[i]
                            r = np.linalg.norm(d, axis=1)
                            keep = (r < grid.rc) & (r > 1e-8)
                            d, r = d[keep], r[keep]
                            fc = 0.5 * (np.cos(np.pi * r / grid.rc) + 1)
                            radial = np.exp(-eta * (r[:, None] - mus) ** 2) * fc[:, None]
                            ang = d[:, 0] ** lx * d[:, 1] ** ly * d[:, 2] ** lz
                            s += numbers[j] * (ang[:, None] * radial).sum(0)
                        total += weight * s**2
                feats.append(total)
        out.append(np.concatenate(feats))
    return np.array(out)


def dense_structure_descriptor(numbers: np.ndarray, cart: np.ndarray, matrix: np.ndarray, grid: EADGrid) -> np.ndarray:
    feats = dense_ead(numbers, cart, matrix, grid)
    return np.concatenate([feats.max(0), feats.min(0)])
