"""The hand-written backward of R_str (EAD kernel, pooling, d_min): gradcheck, and agreement with plain autograd of
the formula, also where pooling ties."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
import torch

from srd.representation.descriptor import CrystalBatch
from srd.representation.ead import ATOMS_PER_BLOCK, angular_terms, eta_reach
from srd.representation.pooled import displacements, segment_pool, structure_descriptor, tied_share
from srd.representation.grid import EADGrid
from srd.structures import Crystal

# A real cell (SrTiO3) with its atoms nudged off the symmetric sites, so that every gradient component is non-zero.
PEROVSKITE = Crystal(
    np.array([38, 22, 8, 8, 8]),
    np.array([[0.01, 0.02, 0.0], [0.5, 0.47, 0.52], [0.5, 0.53, 0.01], [0.49, 0.0, 0.5], [0.0, 0.52, 0.48]]),
    np.array([3.905, 3.905, 3.905, 90.0, 90.0, 90.0]),
    "SrTiO3-nudged",
)
TRICLINIC = Crystal(
    np.array([8, 22, 8]), np.array([[0.1, 0.2, 0.3], [0.55, 0.45, 0.6], [0.8, 0.9, 0.05]]),
    np.array([3.1, 3.7, 4.2, 77.0, 84.0, 101.0]), "tri",
)


def plain_ead(disp: torch.Tensor, center: torch.Tensor, z: torch.Tensor, n_atoms: int, grid: EADGrid) -> torch.Tensor:
    """The EAD formula with the kernel's per-eta pruning, pair by pair, differentiated by plain autograd."""
    r = torch.linalg.vector_norm(disp, dim=1)
    zfc = z.to(disp.dtype) * 0.5 * (torch.cos(math.pi * r / grid.rc) + 1.0)
    mu = torch.tensor(grid.mus, dtype=disp.dtype)
    powers, weights, order_of = angular_terms(grid.orders)
    rho = {}
    for eta, reach in zip(grid.etas, eta_reach(grid)):
        near = r < reach
        gauss = torch.exp(-eta * (r[near, None] - mu) ** 2) * zfc[near, None]
        for (lx, ly, lz), weight, order in zip(powers, weights, order_of):
            monomial = disp[near, 0] ** lx * disp[near, 1] ** ly * disp[near, 2] ** lz
            s = torch.zeros(n_atoms, len(mu), dtype=disp.dtype).index_add(0, center[near], monomial[:, None] * gauss)
            rho[order, eta] = rho.get((order, eta), 0.0) + weight * s * s
    return torch.cat([rho[order, eta] for order in grid.orders for eta in grid.etas], dim=1)


def plain_descriptor(pos: torch.Tensor, cell: torch.Tensor, batch: CrystalBatch, grid: EADGrid) -> torch.Tensor:
    """R_str of one crystal by plain autograd ops: amax/amin over atoms and over pairs share tied gradients."""
    disp = displacements(pos, cell, batch.batch, batch.pairs)
    feats = plain_ead(disp, batch.pairs.center, batch.numbers[batch.pairs.neighbor], pos.shape[0], grid)
    d_min = torch.linalg.vector_norm(disp, dim=1).amin()
    return torch.cat([feats.amax(0), feats.amin(0), d_min[None]])[None]


def gradients(descriptor, crystal: Crystal, grid: EADGrid,
              dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """R_str and d(sum of randomly weighted, magnitude-scaled R_str)/d(positions, lattice)."""
    batch = CrystalBatch.build([crystal], grid.cutoff, dtype)
    pos, cell = batch.pos.clone().requires_grad_(), batch.cell.clone().requires_grad_()
    R = descriptor(pos, cell, batch, grid)
    weights = torch.randn(R.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)
    scale = R.detach().abs() + 1.0  # every feature weighs in, whatever its magnitude
    (R * weights / scale).sum().backward()
    return R.detach(), torch.cat([pos.grad.flatten(), cell.grad.flatten()])


def ours(pos: torch.Tensor, cell: torch.Tensor, batch: CrystalBatch, grid: EADGrid) -> torch.Tensor:
    return structure_descriptor(pos, cell, batch.numbers, batch.batch, batch.pairs, grid)


def test_gradcheck_with_second_order_terms() -> None:
    grid = EADGrid(orders=(0, 1, 2), etas=(1.0, 20.0), mus=(0.0, 1.5, 2.5), rc=6.0)
    batch = CrystalBatch.build([TRICLINIC], grid.cutoff, torch.float64)
    # Features reach ~1e5 here: scaled to ~1, finite differences with eps = 1e-6 lose no digits to rounding.
    scale = ours(batch.pos, batch.cell, batch, grid).abs() + 1.0

    def f(pos: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        return ours(pos, cell, batch, grid) / scale

    inputs = (batch.pos.clone().requires_grad_(), batch.cell.clone().requires_grad_())
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


def test_pool_gradient_is_shared_among_ties_like_autograd() -> None:
    """Symmetry-equivalent atoms pool to tied features; the share must match autograd's scatter_reduce rule."""
    values = torch.tensor([[1.0, 5.0], [3.0, 5.0], [3.0, 2.0], [7.0, 7.0], [7.0, 6.0], [7.0, 7.0]], dtype=torch.float64)
    segment = torch.tensor([0, 0, 0, 1, 1, 1])
    grad = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    for reduce in ("amax", "amin"):
        x = values.clone().requires_grad_()
        pooled = segment_pool(x, segment, 2, reduce)
        (pooled * grad).sum().backward()
        ours = tied_share(values, pooled.detach(), segment, grad)
        torch.testing.assert_close(ours, x.grad, rtol=0, atol=0)
    assert ours[3:, 0].tolist() == [1.0, 1.0, 1.0]  # amin of segment 1, first column: three ties share 3 / 3 each


@pytest.mark.parametrize("grid", [EADGrid(), EADGrid(orders=(0, 1, 2), etas=(0.5, 4.0, 90.0))], ids=["default", "L2"])
@pytest.mark.parametrize("crystal", [PEROVSKITE, TRICLINIC], ids=lambda c: c.id)
def test_gradient_equals_plain_autograd(crystal: Crystal, grid: EADGrid) -> None:
    (R, grad), (R_ref, ref) = gradients(ours, crystal, grid), gradients(plain_descriptor, crystal, grid)
    assert ref.abs().max() > 1e-3  # not a comparison of zeros
    torch.testing.assert_close(grad, ref, rtol=1e-10, atol=1e-10 * ref.abs().max().item())
    torch.testing.assert_close(R, R_ref, rtol=1e-10, atol=1e-12 * R_ref.abs().max().item())


def test_pairs_beyond_every_reach_change_nothing() -> None:
    """Skin neighbour lists hold pairs past the largest Gaussian reach: they must weigh nothing, value or gradient."""
    grid = EADGrid()
    out = []
    for radius in (grid.cutoff, grid.cutoff + 1.5):
        batch = CrystalBatch.build([TRICLINIC], radius, torch.float64)
        pos = batch.pos.clone().requires_grad_()
        R = ours(pos, batch.cell, batch, grid)
        (R[:, :-1] / (R[:, :-1].detach().abs() + 1.0)).sum().backward()
        out.append((len(batch.pairs.center), R.detach(), pos.grad))
    (n_near, R_near, g_near), (n_far, R_far, g_far) = out
    assert n_far > 1.3 * n_near
    torch.testing.assert_close(R_far, R_near, rtol=1e-12, atol=0)
    torch.testing.assert_close(g_far, g_near, rtol=1e-10, atol=1e-12 * g_near.abs().max().item())


def test_stale_pair_lists_out_of_distance_order_stay_exact() -> None:
    """A skin list is built once and kept while atoms move: its rows are then no longer ordered by distance, and the
    kernel must still find every pair within each Gaussian's reach (R and gradient as with a fresh list)."""
    grid = EADGrid()
    stale = CrystalBatch.build([TRICLINIC], grid.cutoff + 1.5, torch.float64)
    moved = stale.pos + 0.35 * torch.rand(stale.pos.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    r = torch.linalg.vector_norm(displacements(moved, stale.cell, stale.batch, stale.pairs), dim=1)
    reach = min(eta_reach(grid))
    beyond_then_within = [(r[stale.pairs.center == c][:-1] >= reach) & (r[stale.pairs.center == c][1:] < reach) for c in range(3)]
    assert any(bool(b.any()) for b in beyond_then_within)  # the case under test occurs
    fresh_pairs = CrystalBatch.build([Crystal(TRICLINIC.numbers, (moved @ torch.linalg.inv(stale.cell[0])).numpy(),
                                              TRICLINIC.lattice, "moved")], grid.cutoff, torch.float64).pairs
    out = []
    for pairs in (stale.pairs, fresh_pairs):
        pos = moved.clone().requires_grad_()
        R = structure_descriptor(pos, stale.cell, stale.numbers, stale.batch, pairs, grid)
        (R[:, :-1] / (R[:, :-1].detach().abs() + 1.0)).sum().backward()
        out.append((R.detach(), pos.grad))
    torch.testing.assert_close(out[0][0], out[1][0], rtol=1e-12, atol=0)
    torch.testing.assert_close(out[0][1], out[1][1], rtol=1e-10, atol=1e-12 * out[1][1].abs().max().item())


def test_no_grad_path_gives_the_same_descriptor() -> None:
    batch = CrystalBatch.build([PEROVSKITE], EADGrid().cutoff, torch.float64)
    with torch.no_grad():
        plain = batch.structure_descriptor(EADGrid())
    tracked = ours(batch.pos.clone().requires_grad_(), batch.cell, batch, EADGrid())
    assert tracked.requires_grad and not plain.requires_grad
    torch.testing.assert_close(tracked.detach(), plain, rtol=0, atol=0)


def test_coincident_atoms_give_a_finite_gradient() -> None:
    """Random reconstruction starts can put two atoms on one spot; the optimiser must not receive NaN."""
    crystal = Crystal(np.array([8, 8, 22]), np.array([[0.2, 0.2, 0.2], [0.2, 0.2, 0.2], [0.6, 0.5, 0.4]]),
                      TRICLINIC.lattice, "overlap")
    batch = CrystalBatch.build([crystal], EADGrid().cutoff, torch.float64)
    pos = batch.pos.clone().requires_grad_()
    ours(pos, batch.cell, batch, EADGrid()).sum().backward()
    assert torch.isfinite(pos.grad).all()


def test_float32_gradient_follows_float64() -> None:
    """Reconstruction runs the kernel in float32."""
    grads = []
    for dtype in (torch.float32, torch.float64):
        batch = CrystalBatch.build([PEROVSKITE], EADGrid().cutoff, dtype)
        pos = batch.pos.clone().requires_grad_()
        torch.log1p(ours(pos, batch.cell, batch, EADGrid())).sum().backward()
        grads.append(pos.grad.double())
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-3, atol=1e-3 * grads[1].abs().max().item())


def test_step_buffers_are_freed_without_the_garbage_collector() -> None:
    """A reconstruction runs thousands of steps: the saved Gaussians must go with the step's output, not wait for a
    cycle collection (ctx once held its own output, and memory grew until gc ran)."""
    batch = CrystalBatch.build([PEROVSKITE], EADGrid().cutoff, torch.float64)
    pos = batch.pos.clone().requires_grad_()
    gc.disable()
    try:
        R = ours(pos, batch.cell, batch, EADGrid())
        saved = weakref.ref(R.grad_fn.fwd.sums)
        R.sum().backward()
        del R
        assert saved() is None
    finally:
        gc.enable()


def test_batches_beyond_one_block_of_atoms_match_each_crystal_alone() -> None:
    """More than ATOMS_PER_BLOCK atoms split the padded layout into blocks of their own width (reconstruction batches
    trials x atoms); values and gradients must not depend on which block an atom landed in. The lattice gradient of
    each crystal collects only its own pairs' image terms."""
    rng = np.random.default_rng(1)
    crystals = [Crystal(PEROVSKITE.numbers, (PEROVSKITE.frac + rng.normal(0, 0.02, (5, 3))) % 1.0,
                        PEROVSKITE.lattice * [1 + 0.02 * k, 1, 1, 1, 1, 1], f"p{k}") for k in range(15)]
    assert sum(c.n_atoms for c in crystals) > ATOMS_PER_BLOCK
    alone = [gradients(ours, c, EADGrid()) for c in crystals]
    batch = CrystalBatch.build(crystals, EADGrid().cutoff, torch.float64)
    pos, cell = batch.pos.clone().requires_grad_(), batch.cell.clone().requires_grad_()
    R = ours(pos, cell, batch, EADGrid())
    weights = torch.cat([torch.randn(R.shape[1:], generator=torch.Generator().manual_seed(0), dtype=torch.float64)[None]
                         for _ in crystals])
    (R * weights / (R.detach().abs() + 1.0)).sum().backward()
    torch.testing.assert_close(R.detach(), torch.cat([r for r, _ in alone]), rtol=1e-12, atol=0)
    torch.testing.assert_close(pos.grad.flatten(), torch.cat([g[:15] for _, g in alone]), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(cell.grad.flatten(), torch.cat([g[15:] for _, g in alone]), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("crystal", [PEROVSKITE, TRICLINIC], ids=lambda c: c.id)
def test_float32_gradient_agrees_with_float64(crystal: Crystal) -> None:
    """The reconstruction's dtype: float32 takes the same kernel paths (wide Gaussians as head x tail factors)."""
    grid = EADGrid()
    (_, grad32), (_, grad64) = gradients(ours, crystal, grid, torch.float32), gradients(ours, crystal, grid)
    torch.testing.assert_close(grad32.double(), grad64, rtol=1e-3, atol=1e-4 * grad64.abs().max().item())
