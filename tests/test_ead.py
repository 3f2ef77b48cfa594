"""EAD representation: known answers from a dense reference, invariances, gradients, d_min, vector layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ead_reference import dense_ead, dense_structure_descriptor
from srd.representation.descriptor import CrystalBatch, representation
from srd.representation.ead import ead_per_atom, eta_reach, mu_middle, separable_mu_factor, split_mu
from srd.representation.pooled import displacements, structure_descriptor
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.structures import Crystal

GRID = EADGrid()


def crystal(numbers, frac, lattice, id="x") -> Crystal:
    return Crystal(np.array(numbers), np.array(frac, dtype=float), np.array(lattice, dtype=float), id)


ROCKSALT_PRIM = crystal([11, 17], [[0, 0, 0], [0.5, 0.5, 0.5]], [3.98, 3.98, 3.98, 60, 60, 60], "NaCl")
TRICLINIC = crystal(
    [8, 22, 8], [[0.1, 0.2, 0.3], [0.55, 0.45, 0.6], [0.8, 0.9, 0.05]], [3.1, 3.7, 4.2, 77, 84, 101], "tri"
)
PEROVSKITE = crystal(
    [38, 22, 8, 8, 8], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    [3.905, 3.905, 3.905, 90, 90, 90], "SrTiO3",
)


# The default grid's mus split into head + tail sums (split_mu); 7 mus do not factor, uneven ones do not add up.
GRIDS = {"default": GRID, "7 mus": EADGrid(mus=tuple(0.7 * k for k in range(7))),
         "uneven mus": EADGrid(mus=(0.0, 0.5, 1.5, 2.0, 3.5, 4.9))}


@pytest.mark.parametrize("grid", GRIDS.values(), ids=GRIDS.keys())
@pytest.mark.parametrize("c", [ROCKSALT_PRIM, TRICLINIC], ids=lambda c: c.id)
def test_per_atom_features_match_dense_formula(c: Crystal, grid: EADGrid) -> None:
    batch = CrystalBatch.build([c], grid.cutoff)
    disp = displacements(batch.pos, batch.cell, batch.batch, batch.pairs)
    ours = ead_per_atom(disp, batch.pairs.layout(c.n_atoms), batch.numbers[batch.pairs.neighbor], c.n_atoms, grid).numpy()
    ref = dense_ead(c.numbers, c.cart(), c.matrix(), grid)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10 * scale)
    assert scale > 1e3  # the comparison is not between zeros


def test_displacements_of_a_batch_follow_each_pair_image_and_lattice() -> None:
    batch = CrystalBatch.build([TRICLINIC, PEROVSKITE, ROCKSALT_PRIM], GRID.cutoff)
    pairs = batch.pairs
    crystal_of_pair = batch.batch[pairs.center].numpy()
    pos, cell = batch.pos.numpy(), batch.cell.numpy()
    expected = pos[pairs.neighbor] - pos[pairs.center] + np.einsum("pk,pkj->pj", pairs.image.numpy(), cell[crystal_of_pair])
    assert len(set(crystal_of_pair)) == 3
    np.testing.assert_allclose(displacements(batch.pos, batch.cell, batch.batch, pairs).numpy(), expected, atol=1e-12)


def test_pooled_descriptor_matches_dense_and_d_min() -> None:
    R = representation([TRICLINIC], GRID)[0]
    layout = VectorLayout.from_grid(GRID)
    ref = dense_structure_descriptor(TRICLINIC.numbers, TRICLINIC.cart(), TRICLINIC.matrix(), GRID)
    np.testing.assert_allclose(R[layout.ead], ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    dm = TRICLINIC.to_pymatgen().distance_matrix
    assert R[layout.d_min] == pytest.approx(dm[~np.eye(3, dtype=bool)].min(), rel=1e-12)


def test_d_min_of_one_atom_cell_is_shortest_translation() -> None:
    c = crystal([29], [[0.3, 0.1, 0.7]], [2.9, 3.4, 5.0, 90, 90, 90])
    R = representation([c], GRID)[0]
    assert R[VectorLayout.from_grid(GRID).d_min] == pytest.approx(2.9, rel=1e-12)


def test_d_min_beyond_ead_radius_is_still_found() -> None:
    c = crystal([29], [[0, 0, 0]], [14.0, 15.0, 16.0, 90, 90, 90])
    assert representation([c], GRID)[0][VectorLayout.from_grid(GRID).d_min] == pytest.approx(14.0)


def test_translation_and_permutation_invariance() -> None:
    c = PEROVSKITE
    shifted = crystal(c.numbers, (c.frac + [0.37, -0.21, 0.58]) % 1.0, c.lattice)
    perm = np.random.default_rng(0).permutation(c.n_atoms)
    permuted = crystal(c.numbers[perm], c.frac[perm], c.lattice)
    R = representation([c, shifted, permuted], GRID)
    np.testing.assert_allclose(R[1], R[0], rtol=1e-11, atol=1e-9)
    np.testing.assert_allclose(R[2], R[0], rtol=1e-11, atol=1e-9)


def test_rotation_invariance() -> None:
    batch = CrystalBatch.build([TRICLINIC], GRID.cutoff)
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    rot = torch.as_tensor(q)
    base = batch.structure_descriptor(GRID)
    turned = structure_descriptor(batch.pos @ rot, batch.cell @ rot, batch.numbers, batch.batch, batch.pairs, GRID)
    torch.testing.assert_close(turned, base, rtol=1e-11, atol=1e-9)


def test_supercell_has_same_pooled_ead_and_d_min() -> None:
    s = TRICLINIC.to_pymatgen()
    s.make_supercell([2, 1, 3])
    big = Crystal.from_pymatgen(s, canonicalize=False)
    layout = VectorLayout.from_grid(GRID)
    R = representation([TRICLINIC, big], GRID)
    np.testing.assert_allclose(R[1, layout.structure], R[0, layout.structure], rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(R[1, layout.composition], R[0, layout.composition])
    assert R[1, layout.n_atoms] == 6 * R[0, layout.n_atoms]


def test_batch_of_mixed_sizes_equals_one_by_one() -> None:
    together = representation([ROCKSALT_PRIM, TRICLINIC, PEROVSKITE], GRID)
    alone = np.concatenate([representation([c], GRID) for c in (ROCKSALT_PRIM, TRICLINIC, PEROVSKITE)])
    # Rock salt's order-1 features vanish by symmetry: what is left is rounding (~1e-26) that depends on the
    # summation order, hence a per-feature absolute tolerance far below every feature's scale.
    scale = np.abs(alone).max(0) + np.finfo(float).tiny
    np.testing.assert_allclose(together / scale, alone / scale, rtol=1e-12, atol=1e-12)


def test_float32_agrees_with_float64() -> None:
    r64 = representation([PEROVSKITE, TRICLINIC], GRID, dtype=torch.float64)
    r32 = representation([PEROVSKITE, TRICLINIC], GRID, dtype=torch.float32)
    np.testing.assert_allclose(r32, r64, rtol=2e-4, atol=1e-4 * np.abs(r64).max())


def test_float32_drops_only_gaussians_below_its_resolution() -> None:
    """Reconstruction evaluates R_str in float32 on grid.resolved(eps): a shorter neighbour radius, and features no
    further from float64 than float32's own rounding puts them, in log1p units (what the scaled loss compares)."""
    coarse = GRID.resolved(float(torch.finfo(torch.float32).eps))
    assert GRID.resolved(float(torch.finfo(torch.float64).eps)) == GRID
    assert coarse.cutoff < 0.9 * GRID.cutoff
    crystals = [PEROVSKITE, TRICLINIC, ROCKSALT_PRIM]
    ead = VectorLayout.from_grid(GRID).ead
    r64 = np.log1p(representation(crystals, GRID, dtype=torch.float64)[:, ead])
    error = {grid: np.abs(np.log1p(representation(crystals, grid, dtype=torch.float32)[:, ead]) - r64).max(0)
             for grid in (GRID, coarse)}
    np.testing.assert_array_less(error[coarse], 3.0 * error[GRID] + 1e-6)  # fails at a resolution of 1e-5


def test_gradcheck_positions_and_lattice() -> None:
    grid = EADGrid(orders=(0, 1), etas=(1.0, 20.0), mus=(0.0, 1.5, 2.5), rc=6.0)
    batch = CrystalBatch.build([TRICLINIC], grid.cutoff)
    frac = torch.as_tensor(TRICLINIC.frac, dtype=torch.float64).requires_grad_()
    cell = batch.cell.clone().requires_grad_()

    def f(frac: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        pos = frac @ cell[0]
        return structure_descriptor(pos, cell, batch.numbers, batch.batch, batch.pairs, grid)

    assert torch.autograd.gradcheck(f, (frac, cell), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_vector_length_follows_grid() -> None:
    assert GRID.n_features == 300 and VectorLayout.from_grid(GRID).size == 704
    wide = EADGrid.from_config({"mu": {"start": 0.0, "stop": 20.0, "step": 0.1}})
    assert len(wide.mus) == 201 and VectorLayout.from_grid(wide).size == 2 * 2 * 3 * 201 + 104 == 2516
    small = EADGrid(orders=(0,), etas=(1.0,), mus=(0.0, 1.0, 2.0), rc=8.0)
    assert representation([ROCKSALT_PRIM], small).shape == (1, 2 * 3 + 104)


def test_neighbour_radius_comes_from_grid_tolerance() -> None:
    assert GRID.cutoff == pytest.approx(4.9 + np.sqrt(np.log(1e12)), rel=1e-12)
    assert EADGrid(tolerance=1e-6).cutoff < GRID.cutoff
    assert EADGrid(rc=6.0).cutoff == 6.0


def test_wide_gaussians_separate_into_factors_exactly() -> None:
    """exp(-eta (r - mu)^2) as the product of an r factor, an (r, mu) factor and a mu factor: only where every factor
    stays inside the dtype's range (eta = 1 always, eta = 20 in float64 only, eta = 90 never), and then to ~1e-13."""
    grid = EADGrid()
    for dtype, separable in ((torch.float64, [True, True, False]), (torch.float32, [True, False, False])):
        mu = torch.tensor(grid.mus, dtype=dtype)
        factors = [separable_mu_factor(grid, e, mu) for e in range(len(grid.etas))]
        assert [f is not None for f in factors] == separable
    mu = torch.tensor(grid.mus, dtype=torch.float64)
    middle = mu_middle(grid)[0]
    for e, reach in enumerate(eta_reach(grid)[:2]):
        eta, r = grid.etas[e], torch.linspace(0.0, reach, 1001, dtype=torch.float64)[:, None]
        product = torch.exp(-eta * (r - middle) ** 2) * torch.exp(2 * eta * (r - middle) * (mu - middle))
        product = product * separable_mu_factor(grid, e, mu)
        direct = torch.exp(-eta * (r - mu) ** 2)
        torch.testing.assert_close(product, direct, rtol=1e-12, atol=1e-300)


def test_evenly_spaced_mus_split_into_head_and_tail_sums() -> None:
    """50 mus = 5 heads + 10 tails, each within half the mu range of zero; counts without a factor or uneven
    spacing do not split (their Gaussians are filled directly: the dense comparison above covers both paths)."""
    mu = torch.tensor(GRID.mus, dtype=torch.float64)
    centered = mu - mu_middle(GRID)[0]
    head, tail = split_mu(centered)
    assert (len(head), len(tail)) == (5, 10)
    torch.testing.assert_close((head[:, None] + tail).reshape(-1), centered, rtol=0, atol=1e-14)
    head32, tail32 = split_mu(centered.float())  # float32 rounding (~1e-7) is no reason to fill all 50 Gaussians
    torch.testing.assert_close((head32[:, None] + tail32).reshape(-1), centered.float(), rtol=0, atol=1e-6)
    half = mu_middle(GRID)[1]
    assert head.abs().max() <= half and tail.abs().max() < half
    for grid in GRIDS.values():
        if grid is not GRID:
            mus = torch.tensor(grid.mus, dtype=torch.float64)
            assert split_mu(mus - mu_middle(grid)[0]) is None
