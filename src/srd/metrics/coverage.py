"""COV-R / COV-P / AMSD / AMCD of the reference code, and the two cutoff presets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

# (struct cutoff d_s, comp cutoff d_c) per dataset. "reference": CDVAE's code and every later paper;
# "paper": the values stated in the StructRepDiff paper's text.
CUTOFF_PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "reference": {"mp20": (0.4, 10.0), "carbon24": (0.2, 4.0), "perov5": (0.2, 4.0)},
    "paper": {"mp20": (0.6, 12.0), "carbon24": (1.0, 4.0), "perov5": (0.8, 6.0)},
}


def canonical_dataset(name: str) -> str:
    """'mp_20', 'MP-20', 'mp20' -> 'mp20'; raises on a dataset without cutoffs."""
    key = name.lower().replace("_", "").replace("-", "")
    if key not in CUTOFF_PRESETS["reference"]:
        raise KeyError(f"unknown dataset {name!r}: expected one of mp20, perov5, carbon24 (or mp_20, ...)")
    return key


def cutoffs_dataset(evaluate_cfg: dict, dataset: str) -> str:
    """Whose coverage cutoffs a configured dataset uses (`evaluate.cutoffs_of`, else its own name); an error names
    the config key, so a new dataset fails when the workflow starts, not after hours of training."""
    name = evaluate_cfg.get("cutoffs_of") or dataset
    try:
        return canonical_dataset(name)
    except KeyError as error:
        raise ValueError(f"dataset {dataset!r} has no coverage cutoffs of its own: set datasets.{dataset}.evaluate."
                         f"cutoffs_of to mp20, perov5 or carbon24") from error


def cutoffs(dataset: str, preset: str) -> tuple[float, float]:
    """(d_s, d_c) for a dataset under a preset ("reference" or "paper")."""
    if preset not in CUTOFF_PRESETS:
        raise KeyError(f"unknown cutoff preset {preset!r}: expected one of {', '.join(CUTOFF_PRESETS)}")
    return CUTOFF_PRESETS[preset][canonical_dataset(dataset)]


@dataclass
class Coverage:
    """Coverage metrics plus the per-crystal minimum distances they come from."""

    cov_r: float
    cov_p: float
    amsd_recall: float
    amsd_precision: float
    amcd_recall: float
    amcd_precision: float
    gen_min_struct: np.ndarray  # per generated crystal with fingerprints: min over reference of D_s
    gen_min_comp: np.ndarray
    ref_min_struct: np.ndarray  # per reference crystal: min over generated of D_s
    ref_min_comp: np.ndarray


def coverage(
    gen_struct: np.ndarray,
    gen_comp: np.ndarray,
    ref_struct: np.ndarray,
    ref_comp: np.ndarray,
    struct_cutoff: float,
    comp_cutoff: float,
    n_generated: int,
    n_reference: int | None = None,
) -> Coverage:
    """Coverage between the generated crystals whose fingerprints computed and the reference set.

    As in the reference code the structure and composition minima are taken independently; COV-P divides by
    `n_generated` (all samples, failed ones included), COV-R by `n_reference` (default: the rows given).
    """
    if len(gen_struct) == 0 or len(ref_struct) == 0:
        raise ValueError(f"coverage needs fingerprints on both sides (generated {len(gen_struct)}, "
                         f"reference {len(ref_struct)})")
    struct_dist = cdist(gen_struct, ref_struct)
    comp_dist = cdist(gen_comp, ref_comp)
    ref_min_struct, ref_min_comp = struct_dist.min(axis=0), comp_dist.min(axis=0)
    gen_min_struct, gen_min_comp = struct_dist.min(axis=1), comp_dist.min(axis=1)
    recalled = (ref_min_struct <= struct_cutoff) & (ref_min_comp <= comp_cutoff)
    precise = (gen_min_struct <= struct_cutoff) & (gen_min_comp <= comp_cutoff)
    return Coverage(
        cov_r=float(recalled.sum() / (n_reference or len(ref_struct))),
        cov_p=float(precise.sum() / n_generated),
        amsd_recall=float(ref_min_struct.mean()),
        amsd_precision=float(gen_min_struct.mean()),
        amcd_recall=float(ref_min_comp.mean()),
        amcd_precision=float(gen_min_comp.mean()),
        gen_min_struct=gen_min_struct,
        gen_min_comp=gen_min_comp,
        ref_min_struct=ref_min_struct,
        ref_min_comp=ref_min_comp,
    )
