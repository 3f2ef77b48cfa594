"""Reconstruction engine: recovers simple crystals, lowers the loss, batches without cross-talk, validates config."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import spglib
import torch
from pymatgen.analysis.structure_matcher import StructureMatcher

from srd.reconstruct import Target, reconstruct, resolve
from srd.reconstruct.engine import _Batch
from srd.reconstruct.moves import hop_moves
from srd.reconstruct.starts import snap_starts, spread_starts
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler
from srd.structures import Crystal

# A small grid (short neighbour radius) keeps these tests fast; the engine does not depend on the grid size.
GRID = EADGrid(orders=(0, 1), etas=(1.0, 20.0), mus=tuple(0.5 * k for k in range(7)), tolerance=1e-4)
LAYOUT = VectorLayout.from_grid(GRID)


def crystal(numbers, frac, lattice, id="x") -> Crystal:
    return Crystal(np.array(numbers), np.array(frac, dtype=float), np.array(lattice, dtype=float), id)


ROCKSALT = crystal([11, 17], [[0, 0, 0], [0.5, 0.5, 0.5]], [3.98, 3.98, 3.98, 60, 60, 60], "NaCl")
CSCL = crystal([55, 17], [[0, 0, 0], [0.5, 0.5, 0.5]], [4.12, 4.12, 4.12, 90, 90, 90], "CsCl")
PEROVSKITE = crystal(
    [38, 22, 8, 8, 8], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    [3.905, 3.905, 3.905, 90, 90, 90], "SrTiO3",
)
KNOWN = [ROCKSALT, CSCL, PEROVSKITE]


@pytest.fixture(scope="module")
def scaler() -> Scaler:
    """Fitted on the known crystals and random-position versions of them, a stand-in for a training split."""
    rng = np.random.default_rng(0)
    shaken = [crystal(c.numbers, rng.random(c.frac.shape), c.lattice) for c in KNOWN for _ in range(8)]
    return Scaler.fit(representation(KNOWN + shaken, GRID), LAYOUT)


def targets(crystals: list[Crystal], dtype=torch.float64) -> list[Target]:
    R = representation(crystals, GRID)
    return [Target(r[LAYOUT.structure], c.numbers, c.lattice, seed=k) for k, (r, c) in enumerate(zip(R, crystals))]


def test_recovers_known_crystals(scaler: Scaler) -> None:
    settings = resolve({"preset": "fast", "trials": 12, "hops": 3, "steps": 80, "tol": 1e-3, "check_every": 20,
                        "lr_final": 0.02, "start_snap": 0.0})
    results = reconstruct(targets(KNOWN), scaler, GRID, settings)
    matcher = StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)
    for c, r in zip(KNOWN, results):
        rms = matcher.get_rms_dist(Crystal(c.numbers, r.frac, c.lattice).to_pymatgen(), c.to_pymatgen())
        assert rms is not None and rms[0] < 0.01, (c.id, r.loss, rms)


def test_loss_decreases_over_hops(scaler: Scaler) -> None:
    settings = resolve({"trials": 2, "hops": 3, "steps": 15})
    (result,) = reconstruct(targets([PEROVSKITE]), scaler, GRID, settings)
    assert result.hops == 3 and result.steps == 2 * 3 * 15
    assert np.all(np.diff(result.history) <= 0) and result.loss == result.history[-1]
    settings_start = resolve({"trials": 2, "hops": 1, "steps": 1})
    (start,) = reconstruct(targets([PEROVSKITE]), scaler, GRID, settings_start)
    assert result.loss < 0.8 * start.loss


def test_smooth_phase_uses_widest_gaussians_and_reports_the_full_loss(scaler: Scaler) -> None:
    settings = resolve({"trials": 3, "hops": 2, "steps": 10, "smooth_steps": 8, "dtype": "float64"})
    (target,) = targets([PEROVSKITE])
    batch = _Batch([target], scaler, GRID, settings)
    eta = np.append(np.tile(GRID.eta_of_feature(), 2), np.nan)  # d_min last
    smooth = batch.smooth_mask.numpy()
    assert smooth[-1] and set(eta[:-1][smooth[:-1]]) == {min(GRID.etas)}
    assert np.array_equal(smooth[:-1], batch.full_mask.numpy()[:-1] & (eta[:-1] == min(GRID.etas)))

    (result,) = reconstruct([target], scaler, GRID, settings)
    assert result.steps == 3 * 2 * (10 + 8)
    # The reported loss is the full loss of the reported positions, never a smooth-phase value.
    check = _Batch([target], scaler, GRID, settings)
    pos = torch.as_tensor(result.frac @ check.matrices[0], dtype=torch.float64).repeat(3, 1)
    assert check.loss(pos)[0].item() == pytest.approx(result.loss, rel=1e-9)


def test_smooth_phase_steps_with_its_own_learning_rate(scaler: Scaler) -> None:
    """smooth_lr drives the smooth phase, lr the full one: with smooth_lr 1e-4, five Adam steps move no coordinate by
    more than a few 1e-4 A (an Adam step is ~lr), with smooth_lr 0.05 they move the atoms ~100x further."""
    (target,) = targets([PEROVSKITE])

    def moved(smooth_lr: float) -> float:
        settings = resolve({"trials": 2, "smooth_steps": 5, "smooth_lr": smooth_lr, "lr": 0.05, "lr_final": 1.0,
                            "dtype": "float64"})
        batch = _Batch([target], scaler, GRID, settings)
        start = batch.positions(batch.theta).clone()
        batch.smooth_phase()
        batch.step(0.0)  # hop_theta of the full phase: where the smooth phase left the atoms
        return float((batch.positions(batch.hop_theta) - start).abs().max())

    assert moved(1e-4) <= 5 * 3e-4
    assert moved(0.05) > 100 * moved(1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_evaluates_on_the_grid_its_dtype_resolves(scaler: Scaler, dtype: str) -> None:
    """With the grid's own tolerance below float32's eps, a float32 batch keeps neighbours only out to the float32
    radius (plus skin) and evaluates on that grid; float64 keeps the full one."""
    fine = replace(GRID, tolerance=1e-12)  # same features, so the same scaler
    (target,) = targets([PEROVSKITE])
    settings = resolve({"trials": 2, "dtype": dtype})
    batch = _Batch([target], scaler, fine, settings)
    expected = fine.resolved(float(torch.finfo(settings.torch_dtype).eps))
    assert batch.grid == expected and (expected.cutoff < fine.cutoff) == (dtype == "float32")
    batch.step(0.01)
    assert batch.neighbors.radius == pytest.approx(expected.cutoff + settings.skin)
    pairs = batch.neighbors.pairs
    center, neighbor, image = pairs.center, pairs.neighbor, pairs.image
    pos = batch.neighbors.reference  # where the lists were built
    disp = pos[neighbor] - pos[center] + torch.einsum("pk,pkj->pj", image, batch.cell[batch.batch[center]])
    assert float(torch.linalg.vector_norm(disp, dim=1).max()) <= expected.cutoff + settings.skin + 1e-5


def test_screened_starts_are_the_best_candidates(scaler: Scaler) -> None:
    """screen = 8 draws 8x the candidates (the unscreened starts among them) and keeps the lowest smooth losses."""
    (target,) = targets([PEROVSKITE])

    def start_losses(screen: int) -> np.ndarray:
        settings = resolve({"trials": 4, "start": "uniform", "screen": screen, "dtype": "float64"})
        batch = _Batch([target], scaler, GRID, settings)
        frac = (batch.positions(batch.theta).numpy() @ np.linalg.inv(batch.matrices[0])).reshape(4, -1, 3)
        return np.sort(batch._smooth_loss([Crystal(PEROVSKITE.numbers, f, PEROVSKITE.lattice) for f in frac], 0).numpy())

    plain, screened = start_losses(1), start_losses(8)
    assert np.all(screened <= plain + 1e-12) and screened.mean() < plain.mean()


def test_symmetric_starts_are_crystals_of_a_group_the_lattice_admits(scaler: Scaler) -> None:
    """start_symmetric = 1: every start of the cubic perovskite has symmetry (a group of the cubic lattice or of a
    lower family; a uniform start is triclinic P1); start_symmetric = 0 leaves the starts as they were."""
    (target,) = targets([PEROVSKITE])

    def start_groups(share: float) -> list[int]:
        settings = resolve({"trials": 6, "start": "uniform", "start_symmetric": share, "dtype": "float64"})
        batch = _Batch([target], scaler, GRID, settings)
        assert batch.results[0].symmetric_starts == round(6 * share)  # reported per structure
        matrix = batch.matrices[0]
        frac = (batch.positions(batch.theta).numpy() @ np.linalg.inv(matrix)).reshape(6, -1, 3)
        return [spglib.get_symmetry_dataset((matrix, f, PEROVSKITE.numbers), symprec=1e-3).number for f in frac]

    assert all(2 <= g <= 230 for g in start_groups(1.0))
    assert start_groups(0.0) == [1] * 6


def test_keep_symmetry_searches_each_symmetric_start_within_its_group(scaler: Scaler) -> None:
    """keep_symmetry: Adam steps and hops move a symmetric start's Wyckoff generators, so every trial ends in the
    group it started in; without it the first hop's shake leaves every trial triclinic (P1)."""
    (target,) = targets([PEROVSKITE])

    def groups(keep: bool) -> tuple[list[int], list[int], int]:
        settings = resolve({"trials": 6, "start": "uniform", "start_symmetric": 1.0, "keep_symmetry": keep,
                            "hops": 2, "steps": 10, "hop_size": 0.3, "dtype": "float64"})
        batch = _Batch([target], scaler, GRID, settings)

        def numbers() -> list[int]:
            frac = (batch.positions(batch.theta).numpy() @ np.linalg.inv(batch.matrices[0])).reshape(6, -1, 3)
            return [spglib.get_symmetry_dataset((batch.matrices[0], f, PEROVSKITE.numbers), symprec=1e-3).number
                    for f in frac]

        start = numbers()
        batch.run()
        return start, numbers(), batch.results[0].symmetric_trials

    start, end, tied = groups(True)
    assert end == start and all(g > 1 for g in end) and tied == 6
    start, end, tied = groups(False)
    assert all(g > 1 for g in start) and end == [1] * 6 and tied == 0


def test_unknown_d_min_is_left_out_of_the_loss(scaler: Scaler) -> None:
    """A decoded sample may carry NaN d_min: the search still runs on the rest of R_str (it used to return loss inf
    and every atom at the origin)."""
    settings = resolve({"preset": "fast", "trials": 12, "hops": 3, "steps": 80, "tol": 1e-3, "check_every": 20,
                        "lr_final": 0.02, "start_snap": 0.0})
    (target,) = targets([ROCKSALT])
    r_str = target.r_str.copy()
    r_str[-1] = np.nan
    (result,) = reconstruct([Target(r_str, target.numbers, target.lattice, seed=0)], scaler, GRID, settings)
    assert np.isfinite(result.loss) and result.loss < 1e-2
    rms = StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3).get_rms_dist(
        Crystal(ROCKSALT.numbers, result.frac, ROCKSALT.lattice).to_pymatgen(), ROCKSALT.to_pymatgen())
    assert rms is not None and rms[0] < 0.01


@pytest.mark.parametrize(("keep_symmetry", "rounds"), [(False, 1), (True, 1), (False, 2)])
def test_batch_of_mixed_sizes_equals_one_by_one(scaler: Scaler, keep_symmetry: bool, rounds: int) -> None:
    """Also while structures retire mid-batch (tol), which drops their replicas, and their Wyckoff ties, from every
    tensor of the batch: the known crystals are found in the first steps, rock salt's R_str on cells 30 % and 40 %
    too large never (with rounds 2 those two share the second search's batch, and each is searched alone below)."""
    settings = resolve({"preset": "fast", "trials": 4, "hops": 2, "steps": 6, "smooth_steps": 6, "dtype": "float64",
                        "tol": 1e-3, "check_every": 2, "keep_symmetry": keep_symmetry, "rounds": rounds})
    rocksalt = targets([ROCKSALT])[0]
    impossible = [Target(rocksalt.r_str, rocksalt.numbers, ROCKSALT.lattice * np.array([f, f, f, 1, 1, 1]), seed=k)
                  for k, f in enumerate((1.3, 1.4))]
    both = [targets([PEROVSKITE])[0], impossible[0], rocksalt, impossible[1], targets([CSCL])[0]]
    together = reconstruct(both, scaler, GRID, settings)
    alone = [reconstruct([t], scaler, GRID, settings)[0] for t in both]
    matcher = StructureMatcher(stol=0.01, angle_tol=0.1, ltol=0.01, primitive_cell=False)
    for t, a, b in zip(both, together, alone):
        assert a.loss == pytest.approx(b.loss, rel=1e-8) and a.history == pytest.approx(b.history, rel=1e-8)
        assert (a.steps, a.hops, a.symmetric_trials) == (b.steps, b.hops, b.symmetric_trials)
        # the same positions up to the crystal's symmetry (the impossible target stalls in symmetric states of equal
        # loss; which trial ranks first among exact ties is rounding)
        one, other = (Crystal(t.numbers, r.frac, t.lattice).to_pymatgen() for r in (a, b))
        assert matcher.fit(one, other), (a.frac, b.frac)
    assert len({r.steps for r in together}) > 1  # some structure retired before another
    assert (sum(r.symmetric_trials for r in together) > 0) == keep_symmetry
    assert [r.trials for r in together] == [4, 5 * rounds, 4, 5 * rounds, 4]  # each missed search: + 1 polish


def test_early_stop_retires_converged_structures(scaler: Scaler) -> None:
    settings = resolve({"trials": 2, "hops": 2, "steps": 20, "tol": 1e9, "check_every": 5})
    (result,) = reconstruct(targets([ROCKSALT]), scaler, GRID, settings)
    assert result.steps == 2 * 5 and result.hops == 1 and result.history == [result.loss]


def test_patience_retires_structures_that_stopped_improving(scaler: Scaler) -> None:
    """Rock salt's R_str asked of a cell 30 % too large cannot be reproduced: with patience 1 the structure stops after
    the first hop that does not halve its loss; without patience it runs every hop."""
    (target,) = targets([ROCKSALT])
    impossible = Target(target.r_str, target.numbers, ROCKSALT.lattice * np.array([1.3, 1.3, 1.3, 1, 1, 1]), seed=1)
    (stopped,) = reconstruct([impossible], scaler, GRID,
                             resolve({"trials": 2, "hops": 4, "steps": 15, "patience": 1, "min_gain": 0.5}))
    assert stopped.hops == 2 and stopped.steps == 2 * 2 * 15 and len(stopped.history) == 2
    assert stopped.history[-1] > 0.5 * stopped.history[0]
    (unlimited,) = reconstruct([impossible], scaler, GRID, resolve({"trials": 2, "hops": 4, "steps": 15}))
    assert unlimited.hops == 4 and unlimited.history[:2] == stopped.history


def test_rounds_search_again_only_what_was_not_reproduced(scaler: Scaler) -> None:
    """A reproduced structure (loss < tol) gets one search; an impossible one (rock salt's R_str in a cell 30 % too
    large) gets `rounds` searches from fresh starts: its effort adds up, its first search is the one-round result,
    and it keeps the best loss of all of them."""
    (target,) = targets([ROCKSALT])
    impossible = Target(target.r_str, target.numbers, ROCKSALT.lattice * np.array([1.3, 1.3, 1.3, 1, 1, 1]), seed=1)
    base = {"trials": 2, "hops": 2, "steps": 10, "patience": 1, "min_gain": 0.5, "tol": 1e-6}
    (once,) = reconstruct([impossible], scaler, GRID, resolve(base))
    (thrice,) = reconstruct([impossible], scaler, GRID, resolve({**base, "rounds": 3}))
    assert thrice.trials == 3 * once.trials and thrice.history[:len(once.history)] == once.history
    assert thrice.hops == len(thrice.history) and thrice.steps == 2 * 10 * thrice.hops
    assert thrice.loss == min(thrice.history) and thrice.loss <= once.loss
    assert len(set(thrice.history[len(once.history):]) - set(once.history)) > 0  # fresh starts, new minima
    (found,) = reconstruct([target], scaler, GRID, resolve({**base, "tol": 1e9, "rounds": 3}))
    assert found.trials == 2


@pytest.mark.parametrize("free_rounds", [False, True])
def test_free_rounds_search_again_without_symmetry_ties(scaler: Scaler, free_rounds: bool) -> None:
    """keep_symmetry with rounds 2: the first search ties its symmetric starts to their groups; with free_rounds the
    second releases them (every atom free), else it ties them again. The impossible cell is never reproduced, so each
    search is polished too (one more free trial each): config.yaml's MP-20 combination."""
    (target,) = targets([PEROVSKITE])
    impossible = Target(target.r_str, target.numbers, PEROVSKITE.lattice * np.array([1.3, 1.3, 1.3, 1, 1, 1]))
    settings = resolve({"trials": 4, "hops": 1, "steps": 2, "start_symmetric": 1.0, "keep_symmetry": True,
                        "tol": 1e-9, "rounds": 2, "free_rounds": free_rounds, "polish_steps": 2})
    (result,) = reconstruct([impossible], scaler, GRID, settings)
    assert result.trials == 8 + 2 and result.symmetric_starts == 8
    assert result.symmetric_trials == (4 if free_rounds else 8)


def test_polish_relaxes_a_near_miss_with_every_atom_free(scaler: Scaler) -> None:
    """A search's best 0.05 A off the truth, as a search within a symmetric start's group leaves a crystal whose
    symmetry is only approximate, is relaxed onto the truth by the polish; a reproduced structure is left alone, and
    so is one without positions (infinite loss), whose failure must show."""
    from srd.reconstruct.engine import Result, _polish

    rng = np.random.default_rng(3)
    near = PEROVSKITE.frac + rng.normal(0.0, 0.05, PEROVSKITE.frac.shape) @ np.linalg.inv(PEROVSKITE.matrix())
    before = [Result(frac=near % 1.0, loss=1.0, trials=24, steps=2400, hops=3, history=[1.5, 1.2, 1.0],
                     symmetric_best=True),
              Result(frac=ROCKSALT.frac, loss=0.0, trials=24), Result(frac=np.zeros((2, 3)))]
    settings = resolve({"preset": "fast", "polish_steps": 100, "tol": 1e-3})
    missed, found, lost = _polish(targets([PEROVSKITE, ROCKSALT, CSCL]), list(before), scaler, GRID, settings)
    matcher = StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)
    rms = matcher.get_rms_dist(Crystal(PEROVSKITE.numbers, missed.frac, PEROVSKITE.lattice).to_pymatgen(),
                               PEROVSKITE.to_pymatgen())
    assert matcher.get_rms_dist(Crystal(PEROVSKITE.numbers, near, PEROVSKITE.lattice).to_pymatgen(),
                                PEROVSKITE.to_pymatgen())[0] > 0.01
    assert rms[0] < 0.01 and missed.loss < 1e-3
    assert missed.trials == 25 and 2400 < missed.steps <= 2400 + 100
    assert missed.hops == 4 and missed.history == [1.5, 1.2, 1.0, missed.loss]
    assert missed.symmetric_best  # the polished positions are those of the symmetric trial, relaxed
    assert found is before[1] and lost is before[2]


def test_spread_starts_respect_min_distance() -> None:
    frac = spread_starts(np.random.default_rng(0), 4, 6, np.eye(3) * 6.0, 2.0)
    for f in frac:
        s = Crystal(np.full(6, 6), f, np.array([6.0, 6, 6, 90, 90, 90])).to_pymatgen()
        d = s.distance_matrix + np.eye(6) * 99
        assert d.min() >= 2.0


def test_snap_starts_put_coordinates_on_the_grid() -> None:
    frac = np.array([[0.99, 0.26, 0.6], [0.1, 0.49, 0.76]])
    snapped = snap_starts(np.random.default_rng(0), frac, 1.0, 4)
    np.testing.assert_allclose(snapped, [[0.0, 0.25, 0.5], [0.0, 0.5, 0.75]])  # 0.99 wraps to 0, never 1
    assert np.array_equal(snap_starts(np.random.default_rng(0), frac, 0.0, 4), frac)


def test_hop_moves_swap_relocate_or_shake() -> None:
    rng = np.random.default_rng(1)
    matrix = np.diag([4.0, 5.0, 6.0])
    cart = rng.random((3, 4, 3)) @ matrix
    numbers = np.array([8, 8, 22, 38])

    swapped = cart + hop_moves(rng, cart, numbers, matrix, 0.5, 1.0, 0.0)
    for before, after in zip(cart, swapped):
        moved = np.flatnonzero(np.abs(after - before).max(1) > 0)
        assert len(moved) == 2 and numbers[moved[0]] != numbers[moved[1]]  # two atoms of different species ...
        np.testing.assert_allclose(after[moved], before[moved[::-1]])  # ... exchanged places

    relocated = cart + hop_moves(rng, cart, numbers, matrix, 0.5, 0.0, 1.0)
    for before, after in zip(cart, relocated):
        moved = np.flatnonzero(np.abs(after - before).max(1) > 0)
        assert len(moved) == 1 and np.all((after[moved] >= 0) & (after[moved] <= np.diag(matrix)))

    shaken = hop_moves(rng, cart, numbers, matrix, 0.5, 0.0, 0.0)
    assert np.abs(shaken).max() <= 0.5 and np.all(np.abs(shaken).max(axis=(0, 1)) > 0.3)
    one_species = hop_moves(rng, cart, np.full(4, 6), matrix, 0.5, 1.0, 0.0)  # nothing to swap: a shake instead
    assert np.count_nonzero(np.abs(one_species).max(2) > 0) == 12


def test_bad_targets_are_errors_naming_the_target(scaler: Scaler) -> None:
    good = targets([ROCKSALT])[0]
    nan = Target(np.where(np.arange(len(good.r_str)) == 3, np.nan, good.r_str), good.numbers, good.lattice)
    with pytest.raises(ValueError, match=r"target 1: R_str has non-finite values at \[3\]"):
        reconstruct([good, nan], scaler, GRID, resolve({"preset": "fast", "trials": 2, "hops": 1, "steps": 2}))
    flat = Target(good.r_str, good.numbers, np.array([3.0, 3.0, 3.0, 170.0, 170.0, 170.0]))
    with pytest.raises(ValueError, match="target 0: lattice .* spans no volume"):
        reconstruct([flat], scaler, GRID, resolve({"preset": "fast", "trials": 2, "hops": 1, "steps": 2}))


def test_config_presets_overrides_and_unknown_keys() -> None:
    assert resolve(None).trials == 6 and resolve({}).hops == 7 and resolve({}).steps == 300
    s = resolve({"preset": "fast", "trials": "12", "lr": 0.2})
    assert s.preset == "fast" and s.trials == 12 and s.lr == 0.2
    with pytest.raises(ValueError, match="trails"):
        resolve({"trails": 3})
    with pytest.raises(ValueError, match="unknown preset"):
        resolve({"preset": "nope"})
    with pytest.raises(ValueError, match="dtype"):
        resolve({"dtype": "float16"})
    with pytest.raises(ValueError, match="trials=2.7 is not a valid int"):
        resolve({"trials": 2.7})
    with pytest.raises(ValueError, match="lr='fast' is not a valid float"):
        resolve({"lr": "fast"})
    for key, bad in (("patience", -1), ("min_gain", 1.0), ("screen", 0), ("smooth_steps", -5),
                     ("start_symmetric", 1.5), ("symprec", 0.0), ("smooth_lr", 0.0), ("rounds", 0)):
        with pytest.raises(ValueError, match=f"reconstruct config: {key} must be"):
            resolve({key: bad})
    for bad in ({"free_rounds": True}, {"free_rounds": True, "rounds": 2}, {"free_rounds": True, "keep_symmetry": True}):
        with pytest.raises(ValueError, match="reconstruct config: free_rounds needs keep_symmetry: true and rounds >= 2"):
            resolve(bad)
    assert resolve({"free_rounds": True, "keep_symmetry": True, "rounds": 2}).free_rounds
    with pytest.raises(ValueError, match="keep_symmetry='yes' is not a valid bool"):
        resolve({"keep_symmetry": "yes"})
