"""Reconstruction benchmarks: speed (batched steps/s, pruned vs dense EAD) and quality on seeded subsets.

    python benchmarks/reconstruct.py speed
    python benchmarks/reconstruct.py malloc --dataset carbon_24 --n 4
    python benchmarks/reconstruct.py starts --dataset mp_20 --n 20 --count 240
    python benchmarks/reconstruct.py basin --dataset mp_20 --n 20 --sigma 0.05 0.1 0.2 0.4
    python benchmarks/reconstruct.py ties --structures 3 --atoms 12
    python benchmarks/reconstruct.py hypotheses --dataset mp_20 --n 30 --seed 1
    python benchmarks/reconstruct.py miss --dataset perov_5 --n 8
    python benchmarks/reconstruct.py quality --dataset perov_5 --split val --n 20 --preset fast [--set key=value ...]

Data: /work/shared/data/{dataset}/{split}.csv.gz (cif column); the scaler is fitted on the val split. One thread:
compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence
from unittest import mock

import numpy as np
import pandas as pd
import torch
import yaml

from dense_ead import dense_structure_ead
from timing import seconds_per_call
from srd.reconstruct import Target, reconstruct, resolve
from srd.reconstruct.matching import EXACT_RMS, match_rms, random_positions
from srd.reconstruct.site_prior import NO_SITE_DATA, SitePrior
from srd.reconstruct.symmetric import WyckoffMap
from srd.representation.descriptor import representation
from srd.representation.grid import EADGrid
from srd.representation.layout import VectorLayout
from srd.representation.scaler import Scaler
from srd.structures import Crystal

DATA = Path("/work/shared/data")
CACHE = Path("/tmp/srd_recon_bench")
GRID = EADGrid()
LAYOUT = VectorLayout.from_grid(GRID)


def load(dataset: str, split: str, n: int | None = None, seed: int = 0,
         atoms: tuple[int, int] | None = None) -> list[Crystal]:
    """Canonical crystals of a split, or a seeded random subset of n of them (of those with `atoms` = (lo, hi))."""
    from pymatgen.core import Structure

    df = pd.read_csv(DATA / dataset / f"{split}.csv.gz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if atoms is not None:
            sizes = np.array([len(Structure.from_str(cif, fmt="cif")) for cif in df["cif"]])
            df = df[(sizes >= atoms[0]) & (sizes <= atoms[1])]
        if n is not None and n < len(df):
            df = df.iloc[np.sort(np.random.default_rng(seed).choice(len(df), n, replace=False))]
        return [Crystal.from_pymatgen(Structure.from_str(cif, fmt="cif"), str(mid))
                for cif, mid in zip(df["cif"], df["material_id"])]


def val_scaler(dataset: str) -> Scaler:
    """Scaler fitted on the val split's representations (cached)."""
    path = CACHE / f"{dataset}_scaler.json"
    if not path.exists():
        crystals = load(dataset, "val")
        R = np.concatenate([representation(crystals[k:k + 32], GRID, torch.float32)
                            for k in range(0, len(crystals), 32)])
        path.parent.mkdir(parents=True, exist_ok=True)
        Scaler.fit(R, LAYOUT).save(path)
    return Scaler.load(path)


def site_prior(dataset: str, leave_out: Sequence[str]) -> SitePrior:
    """Wyckoff-site counts of the val split without the crystals being reconstructed (cached), as the workflow fits
    them on its training split, which holds no test crystal."""
    key = hashlib.sha1(",".join(sorted(leave_out)).encode()).hexdigest()[:12]
    path = CACHE / f"{dataset}_sites_{key}.json"
    if not path.exists():
        out = set(leave_out)
        SitePrior.fit([c for c in load(dataset, "val") if c.id not in out]).save(path)
    return SitePrior.load(path)


def atom_range(text: str) -> tuple[int, int]:
    """'LO-HI' -> (LO, HI), for --atoms."""
    lo, _, hi = text.partition("-")
    if not (lo.isdigit() and hi.isdigit() and int(lo) <= int(hi)):
        raise argparse.ArgumentTypeError(f"--atoms wants LO-HI with LO <= HI, e.g. 7-10; got {text!r}")
    return int(lo), int(hi)


def overrides(pairs: list[str]) -> dict:
    """--set key=value ... as settings, values read as YAML (0.03 a number, true a bool), as config.yaml would."""
    bad = [kv for kv in pairs if "=" not in kv]
    if bad:
        raise SystemExit(f"--set wants key=value pairs, e.g. keep_symmetry=true; got {bad}")
    return {key: yaml.safe_load(value) for key, value in (kv.split("=", 1) for kv in pairs)}


def quality(args: argparse.Namespace) -> dict:
    settings = resolve({"preset": args.preset, **overrides(args.set)})
    crystals = load(args.dataset, args.split, args.n, args.seed, args.atoms)
    scaler = val_scaler(args.dataset)
    sites = site_prior(args.dataset, [c.id for c in crystals]) if args.site_prior else NO_SITE_DATA
    R = representation(crystals, GRID)
    targets = [Target(r[LAYOUT.structure], c.numbers, c.lattice, seed=args.seed * 100003 + k)
               for k, (r, c) in enumerate(zip(R, crystals))]
    order = np.argsort([c.n_atoms for c in crystals], kind="stable")  # similar sizes share a batch
    seconds = 0.0
    results: list = [None] * len(targets)
    rms = np.full(len(crystals), np.nan)
    for start in range(0, len(order), settings.batch_structures):  # the batches reconstruct() would cut
        part = order[start:start + settings.batch_structures]
        t0 = time.perf_counter()
        done = reconstruct([targets[k] for k in part], scaler, GRID, settings, sites)
        seconds += time.perf_counter() - t0
        for k, r in zip(part, done):
            c = crystals[k]
            results[k], rms[k] = r, match_rms(Crystal(c.numbers, r.frac, c.lattice), c)
            if args.verbose:  # as each batch ends: a long run shows its progress
                print(f"{c.id:>20} n={c.n_atoms:3d} loss={r.loss:.4g} rms={rms[k]:.4f} trials={r.trials} "
                      f"steps={r.steps} sym={r.symmetric_trials}{'*' if r.symmetric_best else ''} "
                      f"hist={np.round(r.history, 4).tolist()}", flush=True)
    rng = np.random.default_rng(args.seed)
    base = np.array([match_rms(random_positions(c, rng), c) for c in crystals])
    matched = ~np.isnan(rms)
    out = {
        "dataset": args.dataset, "split": args.split, "n": len(crystals), "preset": args.preset, "overrides": args.set,
        "site_prior": args.site_prior,
        "match_rate": matched.mean(), "exact_rate": (rms <= EXACT_RMS).mean(),
        "rmse": float(np.nanmean(rms)) if matched.any() else None, "random_baseline_match_rate": (~np.isnan(base)).mean(),
        "cpu_seconds_per_structure": seconds / len(crystals),
        "median_loss": float(np.median([r.loss for r in results])),
        "mean_steps_per_structure": float(np.mean([r.steps for r in results])),
    }
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}))
    return out


def speed(args: argparse.Namespace) -> None:
    """Batched Adam steps/s (one structure x `trials` replicas, skin lists) and pruned vs dense EAD on 20 atoms, each
    the fastest of its repeats: on this shared 2-core machine means of the same code differ by up to 1.5x. The pruned
    kernel runs in float64 on the full grid and in float32 on the grid float32 resolves (reconstruction's case);
    the dense formula in float64. Steps/s are also timed with float32 on the full grid (not the one float32
    resolves), the baseline of EADGrid.resolved's speed-up."""
    from srd.reconstruct.engine import _Batch
    from srd.representation.descriptor import CrystalBatch
    from srd.representation.pooled import structure_descriptor

    def steps_per_s(target: Target, scaler: Scaler) -> float:
        batch = _Batch([target], scaler, GRID, resolve({"trials": args.trials, "steps": 10**6}))
        return 1.0 / seconds_per_call(lambda: batch.step(0.01), args.repeats, best=True)

    out = {}
    for dataset in ("perov_5", "mp_20", "carbon_24"):
        crystals = load(dataset, "val", args.structures, seed=3)
        scaler = val_scaler(dataset)
        targets = [Target(r[LAYOUT.structure], c.numbers, c.lattice)
                   for r, c in zip(representation(crystals, GRID), crystals)]
        rates = [steps_per_s(t, scaler) for t in targets]
        with mock.patch.object(EADGrid, "resolved", lambda grid, eps: grid):  # baseline: float32 on the full grid
            full = [steps_per_s(t, scaler) for t in targets]
        out[dataset] = {"mean_atoms": float(np.mean([c.n_atoms for c in crystals])),
                        "batched_steps_per_s": float(np.mean(rates)),
                        "full_grid_steps_per_s": float(np.mean(full)),
                        "resolved_over_full": float(np.mean(np.array(rates) / np.array(full)))}
    big = next(c for c in load("mp_20", "val", 400, seed=5) if c.n_atoms == 20)
    cb_dense = CrystalBatch.build([big], GRID.rc, torch.float64)  # the dense formula visits every pair within rc

    def pruned(dtype: torch.dtype) -> Callable[[], None]:
        """The kernel on the grid as a computation in dtype resolves it (what reconstruction runs: float32)."""
        grid = GRID.resolved(torch.finfo(dtype).eps)
        cb = CrystalBatch.build([big], grid.cutoff, dtype)

        def call() -> None:
            pos = cb.pos.clone().requires_grad_()
            structure_descriptor(pos, cb.cell, cb.numbers, cb.batch, cb.pairs, grid).sum().backward()
        return call

    def dense() -> None:
        pos = cb_dense.pos.clone().requires_grad_()
        out = dense_structure_ead(pos, cb_dense.cell, cb_dense.numbers, cb_dense.batch, cb_dense.pairs, GRID)
        out.sum().backward()

    t_dense = seconds_per_call(dense, 3, best=True)
    for dtype in (torch.float64, torch.float32):
        t_pruned = seconds_per_call(pruned(dtype), args.repeats, best=True)
        out[f"ead_20_atoms_fwd_bwd_{str(dtype)[6:]}"] = {
            "pruned_ms": 1e3 * t_pruned, "dense_float64_ms": 1e3 * t_dense, "speedup": t_dense / t_pruned}
    print(json.dumps(out, indent=1))


def _step_cost(dataset: str, n: int, trials: int, steps: int, mallopt: bool) -> list[dict]:
    """Per val cell: fastest ms per Adam step (of 5-step runs) and minor page faults per step, in this process."""
    import resource

    import srd.reconstruct.cpu as cpu
    from srd.reconstruct.engine import _Batch

    torch.set_num_threads(1)  # a spawned process does not run main()
    if not mallopt:  # glibc's default thresholds: only the denormal flush
        cpu.tune_cpu = lambda: torch.set_flush_denormal(True)
        import srd.reconstruct.engine as engine
        engine.tune_cpu = cpu.tune_cpu
    crystals = load(dataset, "val", n, seed=3)
    rows = []
    for r, c in zip(representation(crystals, GRID), crystals):
        batch = _Batch([Target(r[LAYOUT.structure], c.numbers, c.lattice)], val_scaler(dataset), GRID,
                       resolve({"trials": trials, "steps": 10**6}))
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        seconds = seconds_per_call(lambda: [batch.step(0.01) for _ in range(5)], steps // 5, best=True) / 5
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults  # over steps + 5 warm-up steps
        rows.append({"id": c.id, "n_atoms": c.n_atoms, "ms_per_step": 1e3 * seconds,
                     "faults_per_step": faults / (steps // 5 * 5 + 5)})
    return rows


def malloc(args: argparse.Namespace) -> None:
    """What srd.reconstruct.cpu.tune_cpu's malloc thresholds buy: step cost and page faults with and without them,
    each in a fresh process (mallopt is process-wide), alternating, in the same run."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    out = {True: [], False: []}
    for _ in range(args.rounds):
        for mallopt in (False, True):
            with context.Pool(1) as pool:
                out[mallopt].append(pool.apply(_step_cost, (args.dataset, args.n, args.trials, args.steps, mallopt)))
    for mallopt, runs in out.items():
        print("mallopt" if mallopt else "default", json.dumps([[{k: round(v, 2) if isinstance(v, float) else v
                                                                  for k, v in row.items()} for row in run]
                                                                for run in runs]))
    ms = {m: np.mean([[row["ms_per_step"] for row in run] for run in runs]) for m, runs in out.items()}
    print(json.dumps({"dataset": args.dataset, "mean_ms_per_step_default": round(ms[False], 2),
                      "mean_ms_per_step_mallopt": round(ms[True], 2), "speedup": round(ms[False] / ms[True], 3)}))


def ties(args: argparse.Namespace) -> None:
    """Cost of keep_symmetry: batched Adam steps/s with every trial a symmetric start, tied (free Wyckoff coordinates)
    against free (Cartesian), on the same starts in the same run."""
    from srd.reconstruct.engine import _Batch

    crystals = [c for c in load("mp_20", "val", 400, seed=3) if c.n_atoms == args.atoms][:args.structures]
    scaler, R = val_scaler("mp_20"), representation(crystals, GRID)
    for r, c in zip(R, crystals):
        rates = {}
        for keep in (False, True):
            settings = resolve({"preset": "fast", "trials": args.trials, "screen": 4, "start_symmetric": 1.0,
                                "keep_symmetry": keep})
            batch = _Batch([Target(r[LAYOUT.structure], c.numbers, c.lattice)], scaler, GRID, settings)
            rates[keep] = 1.0 / seconds_per_call(lambda: batch.step(0.01), args.repeats)
        print(json.dumps({"id": c.id, "n_atoms": c.n_atoms, "tied_trials": batch.results[0].symmetric_trials,
                          "free_steps_per_s": round(rates[False], 1), "tied_steps_per_s": round(rates[True], 1),
                          "tied_over_free": round(rates[True] / rates[False], 2)}))


def starts(args: argparse.Namespace) -> None:
    """Cost of the `fast` preset's candidate starts per structure: `count` symmetric starts against
    the same number of spread starts, the baseline, in the same run; and how many symmetric starts a cell got."""
    from srd.reconstruct.engine import lattice_matrix
    from srd.reconstruct.starts import spread_starts
    from srd.reconstruct.symmetric import lattice_setting, symmetric_starts

    crystals = load(args.dataset, "val", args.n, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    t_sym, t_spread, got = [], [], []
    for c in crystals:
        matrix = lattice_matrix(c.lattice, c.id)
        t0 = time.perf_counter()
        got.append(len(symmetric_starts(rng, args.count, c.numbers, lattice_setting(matrix, 0.1))))
        t1 = time.perf_counter()
        spread_starts(rng, args.count, c.n_atoms, matrix, 1.5)
        t_sym.append(t1 - t0)
        t_spread.append(time.perf_counter() - t1)
    per_start = np.array(t_sym) / np.maximum(got, 1)
    print(json.dumps({
        "dataset": args.dataset, "structures": len(crystals), "count": args.count,
        "symmetric_s_per_structure": {"median": float(np.median(t_sym)), "max": float(np.max(t_sym))},
        "symmetric_ms_per_start": {"median": 1e3 * float(np.median(per_start)), "max": 1e3 * float(np.max(per_start))},
        "spread_s_per_structure_median": float(np.median(t_spread)),
        "symmetric_over_spread": float(np.median(t_sym) / np.median(t_spread)),
        "structures_with_all_starts": int(np.sum(np.array(got) == args.count)),
        "structures_with_none": int(np.sum(np.array(got) == 0)),
    }, indent=1))


def known_starts(args: argparse.Namespace, **fixed) -> tuple:
    """For searches from known starts: the preset without screening or early stops (`fixed` and --set on top), the
    seeded val crystals, their scaler and R, and a seeded generator."""
    settings = resolve({"preset": args.preset, "screen": 1, "start_symmetric": 0, "tol": 0, "patience": 0, **fixed,
                        **overrides(args.set)})
    crystals = load(args.dataset, "val", args.n, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    return settings, crystals, val_scaler(args.dataset), representation(crystals, GRID), rng


def exact_from(starts: list[WyckoffMap], crystal: Crystal, r_str: np.ndarray, scaler: Scaler, settings) -> list[bool]:
    """One search with `settings` from known starts, one trial each: whether each trial ends at the exact crystal."""
    from srd.reconstruct.engine import _Batch

    batch = _Batch([Target(r_str, crystal.numbers, crystal.lattice)], scaler, GRID,
                   replace(settings, trials=len(starts)))
    batch.place([starts])
    batch.run()
    cart = batch.positions(batch.hop_theta).detach().cpu().double().numpy().reshape(len(starts), -1, 3)
    return [match_rms(Crystal(crystal.numbers, f % 1.0, crystal.lattice), crystal) <= EXACT_RMS
            for f in cart @ np.linalg.inv(crystal.matrix())]


def basin(args: argparse.Namespace) -> None:
    """Width of the true minimum: from each crystal's truth shaken by sigma (A, per Cartesian coordinate), the share
    of trials that one hop of the preset brings back exactly (normalised rms <= EXACT_RMS). Starts that respect
    group and Wyckoff sites only help if a hop finds the truth from where they land."""
    settings, crystals, scaler, R, rng = known_starts(args, trials=args.trials, hops=1)
    rows = []
    for c, r in zip(crystals, R):
        for sigma in args.sigma:
            shaken = c.frac + rng.normal(0.0, sigma, (args.trials, c.n_atoms, 3)) @ np.linalg.inv(c.matrix())
            exact = exact_from([WyckoffMap.identity(f) for f in shaken], c, r[LAYOUT.structure], scaler, settings)
            rows.append({"id": c.id, "n_atoms": c.n_atoms, "sigma": sigma, "exact": float(np.mean(exact))})
        print(c.id, c.n_atoms, [round(x["exact"], 2) for x in rows[-len(args.sigma):]], flush=True)
    table = pd.DataFrame(rows)
    sizes = pd.cut(table.n_atoms, [0, 6, 11, 1000], labels=["<=6 atoms", "7-11 atoms", ">=12 atoms"])
    print(table.groupby([sizes, "sigma"], observed=True).exact.agg(["mean", "count"]).round(3).to_string())


def _symmetry(matrix: np.ndarray, frac: np.ndarray, numbers: np.ndarray, symprec: float):
    """(group, sorted (Z, Wyckoff letter) per orbit, conventional axis lengths) of a crystal, by spglib."""
    import spglib

    data = spglib.get_symmetry_dataset((matrix, frac, numbers), symprec=symprec)
    if data is None:
        return 1, [], np.zeros(3)
    orbits = sorted((int(numbers[i]), str(data.wyckoffs[i])) for i in np.unique(data.equivalent_atoms))
    return int(data.number), orbits, np.linalg.norm(data.std_lattice, axis=1)


def hypotheses(args: argparse.Namespace) -> None:
    """Where symmetric starts lose a crystal: per val crystal, its true group (spglib, 0.1 A) and whether the lattice
    admits it; of `count` symmetric starts (symmetric_starts, as the engine draws them), the share with the
    true group, with its Wyckoff positions too, and in its orientation as well (the same conventional axis lengths:
    Pnma's axes dealt in the wrong order is another crystal); then one keep_symmetry search from up to `trials` such
    fully right starts: the share of trials that end exact. A crystal is found only if all four are non-zero."""
    from srd.reconstruct.symmetric import group_probabilities, lattice_setting, symmetric_starts

    settings, crystals, scaler, R, rng = known_starts(args, keep_symmetry=True, hops=args.hops)
    rows = []
    for c, r in zip(crystals, R):
        matrix = c.matrix()
        group, orbits, axes = _symmetry(matrix, c.frac, c.numbers, 0.1)
        setting = lattice_setting(matrix, 0.1)
        p = group_probabilities(c.numbers, setting)
        row = {"id": c.id, "n_atoms": c.n_atoms, "group": group, "admitted": group in p, "p_group": p.get(group, 0.0),
               "same_group": 0.0, "same_sites": 0.0, "oriented": 0.0, "oracle_exact": np.nan}
        right = []
        for start in symmetric_starts(rng, args.count, c.numbers, setting):  # what the search would screen
            g, o, a = _symmetry(matrix, start.frac, c.numbers, 0.1)  # as the truth: a lattice may be symmetric to 0.1 A
            row["same_group"] += (g == group) / args.count
            row["same_sites"] += (g == group and o == orbits) / args.count
            if g == group and o == orbits and np.allclose(a, axes, rtol=1e-3):
                row["oriented"] += 1 / args.count
                right.append(start)
        if right:
            row["oracle_exact"] = float(np.mean(exact_from(right[:args.trials], c, r[LAYOUT.structure], scaler,
                                                           settings)))
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    table = pd.DataFrame(rows)
    stages = ["admitted", "same_group", "same_sites", "oriented", "oracle_exact"]
    print("share of crystals where the stage is non-zero:",
          json.dumps({k: round(float((table[k].fillna(0) > 0).mean()), 3) for k in stages}))
    print("mean over crystals:", json.dumps({k: round(float(table[k].mean()), 3) for k in stages[1:]}))


def miss(args: argparse.Namespace) -> None:
    """What a crystal that is not found costs (most generated samples are not): seconds per structure of searches
    that cannot succeed, each target's R_str taken from its cell strained by `strain` and searched in the unstrained
    one, with the dataset's settings from config.yaml. Sizes `generated.chunk_size` against the reconstruct runtime."""
    from srd.sources import SourceError
    from srd.workflow_config import section_defaults, stage_config

    key = args.config_key or args.dataset.replace("_", "")
    root = Path(__file__).parents[1]
    config = yaml.safe_load((root / "config.yaml").read_text())
    defaults = section_defaults(yaml.safe_load((root / "workflow/schemas/config.schema.yaml").read_text()))
    try:  # the slice the workflow's reconstruct jobs get
        cfg = stage_config(config, key, "reconstruct", defaults)
    except SourceError as err:
        raise SystemExit(f"--config-key: {err}") from err
    settings = resolve({**cfg, **overrides(args.set)})
    crystals = load(args.dataset, "val", args.n, seed=args.seed)
    strained = [Crystal(c.numbers, c.frac, c.lattice * np.array([1 + args.strain] * 3 + [1] * 3)) for c in crystals]
    targets = [Target(r[LAYOUT.structure], c.numbers, c.lattice, seed=k)
               for k, (r, c) in enumerate(zip(representation(strained, GRID), crystals))]
    t0 = time.perf_counter()
    results = reconstruct(targets, val_scaler(args.dataset), GRID, settings)
    seconds = time.perf_counter() - t0
    print(json.dumps({"dataset": args.dataset, "config": key, "n": len(crystals), "overrides": args.set,
                      "atoms": sorted(c.n_atoms for c in crystals),
                      "found": int(sum(r.loss < settings.tol for r in results)),
                      "seconds_per_structure": round(seconds / len(crystals), 1),
                      "hops_per_structure": float(np.mean([r.hops for r in results]))}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--dataset", required=True)
    q.add_argument("--split", default="val")
    q.add_argument("--n", type=int, default=20)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--preset", default="fast")
    q.add_argument("--set", nargs="*", default=[], help="overrides key=value")
    q.add_argument("--atoms", type=atom_range, help="only cells with LO-HI atoms, e.g. 7-10")
    q.add_argument("--site-prior", action="store_true",
                   help="Wyckoff sites weighed by their counts in val (without the crystals reconstructed)")
    q.add_argument("-v", "--verbose", action="store_true")
    sp = sub.add_parser("speed")
    sp.add_argument("--structures", type=int, default=4)
    sp.add_argument("--trials", type=int, default=6)
    sp.add_argument("--repeats", type=int, default=10)
    ma = sub.add_parser("malloc")
    ma.add_argument("--dataset", default="carbon_24")
    ma.add_argument("--n", type=int, default=4)
    ma.add_argument("--trials", type=int, default=6)
    ma.add_argument("--steps", type=int, default=60)
    ma.add_argument("--rounds", type=int, default=2)
    st = sub.add_parser("starts")
    st.add_argument("--dataset", default="mp_20")
    st.add_argument("--n", type=int, default=20)
    st.add_argument("--seed", type=int, default=0)
    st.add_argument("--count", type=int, default=240, help="symmetric starts per structure (fast: 24 x 20 x 0.5)")
    ti = sub.add_parser("ties", help=ties.__doc__.split(":")[0])
    ti.add_argument("--structures", type=int, default=3)
    ti.add_argument("--atoms", type=int, default=12)
    ti.add_argument("--trials", type=int, default=24)
    ti.add_argument("--repeats", type=int, default=10)
    ba = sub.add_parser("basin", help=basin.__doc__.split(":")[0])
    ba.add_argument("--dataset", default="mp_20")
    ba.add_argument("--n", type=int, default=20)
    ba.add_argument("--seed", type=int, default=0)
    ba.add_argument("--trials", type=int, default=16)
    ba.add_argument("--sigma", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.4])
    ba.add_argument("--preset", default="fast")
    ba.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    hy = sub.add_parser("hypotheses", help=hypotheses.__doc__.split(":")[0])
    hy.add_argument("--dataset", default="mp_20")
    hy.add_argument("--n", type=int, default=30)
    hy.add_argument("--seed", type=int, default=1)
    hy.add_argument("--count", type=int, default=240, help="symmetric draws per crystal (fast: 24 x 20 x 0.5)")
    hy.add_argument("--trials", type=int, default=24)
    hy.add_argument("--hops", type=int, default=4)
    hy.add_argument("--preset", default="fast")
    hy.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    mi = sub.add_parser("miss", help=miss.__doc__.split(":")[0])
    mi.add_argument("--dataset", default="perov_5")
    mi.add_argument("--config-key", help="datasets.<key> of config.yaml (default: the dataset without '_')")
    mi.add_argument("--n", type=int, default=8)
    mi.add_argument("--seed", type=int, default=5)
    mi.add_argument("--strain", type=float, default=0.03)
    mi.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(1)
    {"quality": quality, "speed": speed, "malloc": malloc, "starts": starts, "basin": basin, "ties": ties,
     "hypotheses": hypotheses, "miss": miss}[args.command](args)


if __name__ == "__main__":
    main()
