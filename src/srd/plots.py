"""Figures for the report: PCA of generated vs test representations (paper Fig. 5), a gallery of generated
crystals (paper Fig. 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.visualize.plot import plot_atoms  # noqa: E402

from srd.io import atomic_path  # noqa: E402
from srd.structures import Crystal  # noqa: E402


def pca_projection(reference: np.ndarray, other: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Project both sets on the principal axes of `reference` (centred on it). Inputs should already be on a
    common bounded scale: standardising by the test spread would blow up near-constant features."""
    mean = reference.mean(0)
    _, _, vt = np.linalg.svd(reference - mean, full_matrices=False)
    axes = vt[:n_components].T
    return (reference - mean) @ axes, (other - mean) @ axes


def pca_figure(test: np.ndarray, generated: np.ndarray, out: Path, title: str) -> None:
    """Inputs are scaled EAD blocks (rows = crystals); non-finite generated rows are left out, a non-finite test row
    is an error (the SVD would otherwise fail with no hint of the cause)."""
    bad = np.flatnonzero(~np.all(np.isfinite(test), axis=1))
    if len(bad):
        raise ValueError(f"{title}: {len(bad)} test rows with non-finite values (first: row {bad[0]})")
    generated = generated[np.all(np.isfinite(generated), axis=1)]
    ref, gen = pca_projection(test, generated)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(ref[:, 0], ref[:, 1], s=4, c="black", alpha=0.5, label=f"test ({len(ref)})")
    ax.scatter(gen[:, 0], gen[:, 1], s=4, c="red", alpha=0.5, label=f"generated ({len(gen)})")
    ax.set(xlabel="PC 1", ylabel="PC 2", title=title)
    ax.legend(markerscale=3)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def gallery_figure(crystals: Sequence[Crystal], out: Path, title: str, columns: int = 3) -> None:
    """Unit cells of a few crystals, drawn with ASE (atoms as covalent-radius circles)."""
    rows = max(1, -(-len(crystals) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, crystal in zip(axes.flat, crystals):
        atoms = Atoms(numbers=crystal.numbers, scaled_positions=crystal.frac % 1.0, cell=crystal.matrix(), pbc=True)
        plot_atoms(atoms, ax, rotation="10x,20y,0z", radii=0.5)
        ax.set_title(f"{crystal.id}\n{atoms.get_chemical_formula()}", fontsize=8)
    if not crystals:
        axes.flat[0].text(0.5, 0.5, "no reconstructed crystals", ha="center", va="center")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
