"""The hand-written backward of the EAD kernel: gradcheck, and agreement with plain autograd of the formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from srd.representation.descriptor import CrystalBatch
from srd.representation.ead import EADFunction, angular_terms, displacements, ead_per_atom, eta_reach
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


def kernel_inputs(crystal: Crystal, grid: EADGrid) -> tuple[CrystalBatch, torch.Tensor]:
    batch = CrystalBatch.build([crystal], grid.cutoff, torch.float64)
    return batch, batch.numbers[batch.pairs.neighbor]


def test_gradcheck_of_the_function_itself() -> None:
    grid = EADGrid(orders=(0, 1, 2), etas=(1.0, 20.0), mus=(0.0, 1.5, 2.5), rc=6.0)
    batch, z = kernel_inputs(TRICLINIC, grid)
    disp = displacements(batch.pos, batch.cell, batch.batch, batch.pairs).detach().requires_grad_()
    # Features reach ~1e5 here: scaled to ~1, finite differences with eps = 1e-6 lose no digits to rounding.
    scale = EADFunction.apply(disp, batch.pairs.center, z, TRICLINIC.n_atoms, grid).detach().abs().amax(0) + 1.0

    def f(disp: torch.Tensor) -> torch.Tensor:
        return EADFunction.apply(disp, batch.pairs.center, z, TRICLINIC.n_atoms, grid) / scale

    assert torch.autograd.gradcheck(f, (disp,), eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("grid", [EADGrid(), EADGrid(orders=(0, 1, 2), etas=(0.5, 4.0, 90.0))], ids=["default", "L2"])
@pytest.mark.parametrize("crystal", [PEROVSKITE, TRICLINIC], ids=lambda c: c.id)
def test_gradient_equals_plain_autograd(crystal: Crystal, grid: EADGrid) -> None:
    batch, z = kernel_inputs(crystal, grid)
    weights = torch.randn(crystal.n_atoms, grid.n_features, generator=torch.Generator().manual_seed(0),
                          dtype=torch.float64)
    grads, values = [], []
    for ead in (ead_per_atom, plain_ead):
        pos, cell = batch.pos.clone().requires_grad_(), batch.cell.clone().requires_grad_()
        disp = displacements(pos, cell, batch.batch, batch.pairs)
        feats = ead(disp, batch.pairs.center, z, crystal.n_atoms, grid)
        scale = feats.detach().abs().amax(0) + 1.0  # every feature weighs in, whatever its magnitude
        (feats * weights / scale).sum().backward()
        grads.append(torch.cat([pos.grad.flatten(), cell.grad.flatten()]))
        values.append(feats.detach())
    ours, ref = grads
    assert ref.abs().max() > 1e-3  # not a comparison of zeros
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10 * ref.abs().max().item())
    torch.testing.assert_close(values[0], values[1], rtol=1e-10, atol=1e-12 * values[1].abs().max().item())


def test_no_grad_path_gives_the_same_features() -> None:
    batch, z = kernel_inputs(PEROVSKITE, EADGrid())
    disp = displacements(batch.pos, batch.cell, batch.batch, batch.pairs)
    with torch.no_grad():
        plain = ead_per_atom(disp, batch.pairs.center, z, PEROVSKITE.n_atoms, EADGrid())
    tracked = ead_per_atom(disp.clone().requires_grad_(), batch.pairs.center, z, PEROVSKITE.n_atoms, EADGrid())
    assert tracked.requires_grad
    torch.testing.assert_close(tracked.detach(), plain, rtol=0, atol=0)


def test_float32_gradient_follows_float64() -> None:
    """Reconstruction runs the kernel in float32."""
    grads = []
    for dtype in (torch.float32, torch.float64):
        batch = CrystalBatch.build([PEROVSKITE], EADGrid().cutoff, dtype)
        pos = batch.pos.clone().requires_grad_()
        disp = displacements(pos, batch.cell, batch.batch, batch.pairs)
        feats = ead_per_atom(disp, batch.pairs.center, batch.numbers[batch.pairs.neighbor], PEROVSKITE.n_atoms,
                             EADGrid())
        torch.log1p(feats).sum().backward()
        grads.append(pos.grad.double())
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-3, atol=1e-3 * grads[1].abs().max().item())
