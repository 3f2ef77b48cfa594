"""Table 2 (generation metrics) of the reference protocol for a set of generated crystals against a test set.

Denominators: every sample counts, including ``None`` (not built) and those whose fingerprints failed.
Percentages (0-100) for comp_valid, struct_valid, valid, cov_r, cov_p, as in the published table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Structure

from srd.io import atomic_path
from srd.metrics.composition import reduce_counts, smact_valid
from srd.metrics.coverage import canonical_dataset, coverage, cutoffs
from srd.metrics.fingerprints import compute_fingerprints
from srd.metrics.pool import DEFAULT_TIMEOUT_S
from srd.metrics.properties import property_emds
from srd.metrics.readers import read_samples
from srd.metrics.structure_validity import min_interatomic_distance, structure_validity

NO_COMPOSITION_METRICS = {"carbon24"}  # one element: comp validity, d_elem and AMCD are n/a


@lru_cache(maxsize=65536)
def _smact_cached(atomic_numbers: tuple[int, ...], counts: tuple[int, ...]) -> bool:
    return smact_valid(atomic_numbers, counts)


def composition_validity(structure: Structure) -> tuple[bool, str]:
    """Reference composition validity of a crystal: counts per element (ascending Z) divided by their gcd."""
    if len(structure) == 0:
        return False, "no_atoms"
    amounts = structure.composition.element_composition
    pairs = sorted((element.Z, amount) for element, amount in amounts.items())
    if any(abs(amount - round(amount)) > 1e-8 for _, amount in pairs):
        return False, "non_integer_composition"
    numbers = tuple(z for z, _ in pairs)
    counts = reduce_counts([int(round(amount)) for _, amount in pairs])
    return (True, "") if _smact_cached(numbers, counts) else (False, "composition_invalid")


def describe(structures: Sequence[Structure | None]) -> pd.DataFrame:
    """Per-crystal properties and validity flags that need no fingerprint (NaN / False for ``None``)."""
    rows = []
    for structure in structures:
        if structure is None:
            rows.append({"constructed": False, "comp_valid": False, "struct_valid": False,
                         "reasons": ["not_constructed"]})
            continue
        comp_ok, comp_reason = composition_validity(structure)
        struct_ok, struct_reason = structure_validity(structure)
        rows.append({
            "constructed": True,
            "formula": structure.composition.reduced_formula,
            "n_atoms": len(structure),
            "n_elems": len(structure.composition.elements),
            "density": float(structure.density),
            "volume": float(structure.volume),
            "min_dist": min_interatomic_distance(structure),
            "comp_valid": comp_ok,
            "struct_valid": struct_ok,
            "reasons": [r for r in (comp_reason, struct_reason) if r],
        })
    columns = ["constructed", "formula", "n_atoms", "n_elems", "density", "volume", "min_dist", "comp_valid",
               "struct_valid", "reasons"]
    return pd.DataFrame(rows, columns=columns)


@dataclass
class ReferenceSet:
    """What Table 2 needs of the test set; computed once per dataset and cached (``save``/``load``)."""

    names: np.ndarray
    struct: np.ndarray  # (n, 61), NaN rows where fingerprinting failed
    comp_scaled: np.ndarray  # (n, 132)
    fp_ok: np.ndarray
    density: np.ndarray
    n_elems: np.ndarray
    source_sha256: str = ""

    def save(self, path: str | Path) -> None:
        """Write an .npz atomically."""
        with atomic_path(path) as temp, open(temp, "wb") as handle:
            np.savez_compressed(handle, names=self.names, struct=self.struct, comp_scaled=self.comp_scaled,
                                fp_ok=self.fp_ok, density=self.density, n_elems=self.n_elems,
                                source_sha256=np.array(self.source_sha256))

    @classmethod
    def load(cls, path: str | Path) -> "ReferenceSet":
        with np.load(path, allow_pickle=False) as data:
            missing = {"names", "struct", "comp_scaled", "fp_ok", "density", "n_elems"} - set(data.files)
            if missing:
                raise KeyError(f"{path}: not a reference fingerprint cache (missing {', '.join(sorted(missing))})")
            return cls(data["names"], data["struct"], data["comp_scaled"], data["fp_ok"], data["density"],
                       data["n_elems"], str(data["source_sha256"]) if "source_sha256" in data.files else "")


def compute_reference(
    structures: Sequence[Structure],
    names: Sequence[str] | None = None,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ReferenceSet:
    """Fingerprints, densities and element counts of the reference (test) crystals."""
    names = [str(i) for i in range(len(structures))] if names is None else [str(n) for n in names]
    missing = [name for name, s in zip(names, structures) if s is None]
    if missing:
        raise ValueError(f"reference crystals that could not be read: {', '.join(missing[:10])}")
    fps = compute_fingerprints(structures, workers, timeout, desc="reference fingerprints")
    return ReferenceSet(
        names=np.array(names),
        struct=fps.struct,
        comp_scaled=fps.comp_scaled,
        fp_ok=fps.ok,
        density=np.array([s.density for s in structures], dtype=float),
        n_elems=np.array([len(s.composition.elements) for s in structures], dtype=int),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.glob("*.cif")) if path.is_dir() else [path]:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def load_or_compute_reference(
    reference_path: str | Path,
    cache_path: str | Path | None = None,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ReferenceSet:
    """The reference set of a crystal file/folder/CSV, read from `cache_path` when that cache was made from the
    same file contents, otherwise computed (and saved to `cache_path` if given)."""
    reference_path = Path(reference_path)
    checksum = _sha256(reference_path)
    if cache_path is not None and Path(cache_path).exists():
        cached = ReferenceSet.load(cache_path)
        if cached.source_sha256 == checksum:
            return cached
    samples = read_samples(reference_path)
    reference = compute_reference([s.structure for s in samples], [s.name for s in samples], workers, timeout)
    reference.source_sha256 = checksum
    if cache_path is not None:
        reference.save(cache_path)
    return reference


def _library_versions() -> dict[str, str]:
    return {f"{name}_version": version(name) for name in ("smact", "matminer", "pymatgen")}


def evaluate_table2(
    structures: Sequence[Structure | None],
    reference: ReferenceSet,
    dataset: str,
    cutoff_preset: str = "reference",
    seed: int = 0,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    n_subset: int = 1000,
    n_draws: int = 10,
    names: Sequence[str] | None = None,
) -> tuple[dict[str, object], pd.DataFrame]:
    """Table 2 for generated crystals (``None`` = could not be built) against a reference set.

    Returns one row (a dict) and a per-sample DataFrame (validity flags and reasons, density, n_elems, minimum
    fingerprint distances to the reference set, fingerprint status, membership of the first EMD subset).

    Row: comp_valid / struct_valid / valid / cov_r / cov_p in %; amsd, amcd = mean over generated crystals of
    the minimum distance to the reference set (the reference code's ``*_precision``; ``*_recall`` are also
    given); d_rho, d_elem from the subset drawn with `seed`, with mean and std over `n_draws` draws; the
    cutoffs and their preset; counts of samples not built, timed out or failed in fingerprinting; library
    versions. Carbon-24: comp_valid, d_elem and amcd are NaN (n/a).
    """
    key = canonical_dataset(dataset)
    struct_cutoff, comp_cutoff = cutoffs(key, cutoff_preset)
    n = len(structures)
    if n == 0:
        raise ValueError("no generated crystals to evaluate")
    samples = describe(structures)
    samples.insert(0, "name", [str(i) for i in range(n)] if names is None else [str(x) for x in names])
    fps = compute_fingerprints(structures, workers, timeout, desc=f"{key} fingerprints")
    samples["fp_status"], samples["fp_message"] = fps.status, fps.message
    samples["valid"] = samples["comp_valid"] & samples["struct_valid"] & fps.ok
    samples["invalid_reason"] = [
        ";".join(reasons + ([] if status in ("ok", "not_constructed") else [f"fingerprint_{status}"]))
        for reasons, status in zip(samples.pop("reasons"), fps.status)
    ]

    ref_ok = reference.fp_ok
    row: dict[str, object] = {"dataset": key, "n_samples": n, "n_reference": len(ref_ok)}
    has_comp = key not in NO_COMPOSITION_METRICS
    row["comp_valid"] = float(100 * samples["comp_valid"].mean()) if has_comp else float("nan")
    row["struct_valid"] = float(100 * samples["struct_valid"].mean())
    row["valid"] = float(100 * samples["valid"].mean())
    row["n_valid"] = int(samples["valid"].sum())

    gen_ok = fps.ok
    samples["min_struct_dist"] = np.nan
    samples["min_comp_dist"] = np.nan
    if gen_ok.any() and ref_ok.any():
        cov = coverage(fps.struct[gen_ok], fps.comp_scaled[gen_ok], reference.struct[ref_ok],
                       reference.comp_scaled[ref_ok], struct_cutoff, comp_cutoff, n_generated=n,
                       n_reference=len(ref_ok))
        samples.loc[gen_ok, "min_struct_dist"] = cov.gen_min_struct
        samples.loc[gen_ok, "min_comp_dist"] = cov.gen_min_comp
        row.update(cov_r=100 * cov.cov_r, cov_p=100 * cov.cov_p, amsd=cov.amsd_precision,
                   amcd=cov.amcd_precision if has_comp else float("nan"),
                   amsd_recall=cov.amsd_recall, amsd_precision=cov.amsd_precision,
                   amcd_recall=cov.amcd_recall, amcd_precision=cov.amcd_precision)
    else:
        row.update(dict.fromkeys(["cov_r", "cov_p", "amsd", "amcd", "amsd_recall", "amsd_precision",
                                  "amcd_recall", "amcd_precision"], float("nan")))

    valid_index = np.flatnonzero(samples["valid"].to_numpy())
    emd = property_emds(samples["density"].to_numpy(float)[valid_index],
                        samples["n_elems"].to_numpy(float)[valid_index],
                        reference.density, reference.n_elems.astype(float), n_subset, seed, n_draws)
    samples["in_emd_subset"] = False
    samples.loc[valid_index[emd.subset], "in_emd_subset"] = True
    row.update(d_rho=emd.d_rho, d_rho_mean=emd.d_rho_mean, d_rho_std=emd.d_rho_std)
    if has_comp:
        row.update(d_elem=emd.d_elem, d_elem_mean=emd.d_elem_mean, d_elem_std=emd.d_elem_std)
    else:
        row.update(d_elem=float("nan"), d_elem_mean=float("nan"), d_elem_std=float("nan"))

    statuses = pd.Series(fps.status)
    row.update(
        n_subset=emd.n_subset, n_draws=n_draws, cutoff_preset=cutoff_preset, struct_cutoff=struct_cutoff,
        comp_cutoff=comp_cutoff, seed=seed, n_not_constructed=int((statuses == "not_constructed").sum()),
        n_fp_timeout=int((statuses == "timeout").sum()),
        n_fp_failed=int(statuses.isin(["error", "crashed"]).sum()),
        n_reference_fp_failed=int((~ref_ok).sum()), fp_timeout_s=timeout, **_library_versions(),
    )
    return row, samples


def evaluate_paths(
    generated_path: str | Path,
    reference: ReferenceSet,
    dataset: str,
    **options: object,
) -> tuple[dict[str, object], pd.DataFrame]:
    """``evaluate_table2`` on crystals read from a folder/file/CSV (unreadable ones count as invalid)."""
    samples = read_samples(generated_path)
    if not samples:
        raise ValueError(f"{generated_path}: no crystals found to evaluate")
    row, frame = evaluate_table2([s.structure for s in samples], reference, dataset,
                                 names=[s.name for s in samples], **options)
    frame["invalid_reason"] = [
        reason.replace("not_constructed", sample.reason) if sample.reason else reason
        for sample, reason in zip(samples, frame["invalid_reason"])
    ]
    return row, frame


def write_table2(
    row: dict[str, object], samples: pd.DataFrame, row_path: str | Path, samples_path: str | Path
) -> None:
    """The one-row CSV and the per-sample parquet, each written atomically."""
    with atomic_path(row_path) as temp:
        pd.DataFrame([row]).to_csv(temp, index=False)
    with atomic_path(samples_path) as temp:
        samples.to_parquet(temp, index=False)
