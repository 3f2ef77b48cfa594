"""The EAD grid (angular orders, Gaussian widths and centres, cutoff) and the neighbour radius it implies."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class EADGrid:
    """Hyperparameters of the Embedded Atom Density (method.md, "Representation R").

    Features are ordered L-major, then eta, then mu: index = (l * n_eta + e) * n_mu + m.
    """

    orders: tuple[int, ...] = (0, 1)
    etas: tuple[float, ...] = (1.0, 20.0, 90.0)
    mus: tuple[float, ...] = field(default_factory=lambda: tuple(round(0.1 * k, 10) for k in range(50)))
    rc: float = 20.0
    tolerance: float = 1e-12

    def __post_init__(self) -> None:
        if not self.orders or any(o < 0 or o > 2 for o in self.orders):
            raise ValueError(f"EAD orders must be a non-empty subset of {{0, 1, 2}}, got {self.orders}")
        if not self.etas or min(self.etas) <= 0:
            raise ValueError(f"EAD etas must be positive, got {self.etas}")
        if not self.mus or min(self.mus) < 0:
            raise ValueError(f"EAD mus must be non-negative, got {self.mus}")
        if self.rc <= 0:
            raise ValueError(f"EAD cutoff rc must be positive, got {self.rc}")
        if not 0 < self.tolerance < 1:
            raise ValueError(f"EAD tolerance must be in (0, 1), got {self.tolerance}")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "EADGrid":
        """Build from the `representation` config slice (mu given as start/stop/step or an explicit list)."""
        mu = cfg.get("mu", {"start": 0.0, "stop": 4.9, "step": 0.1})
        if isinstance(mu, Mapping):
            n = int(round((mu["stop"] - mu["start"]) / mu["step"])) + 1
            mus = tuple(round(mu["start"] + k * mu["step"], 10) for k in range(n))
        else:
            mus = tuple(float(m) for m in mu)
        return cls(
            orders=tuple(int(o) for o in cfg.get("orders", (0, 1))),
            etas=tuple(float(e) for e in cfg.get("etas", (1.0, 20.0, 90.0))),
            mus=mus,
            rc=float(cfg.get("rc", 20.0)),
            tolerance=float(cfg.get("tolerance", 1e-12)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"orders": list(self.orders), "etas": list(self.etas), "mus": list(self.mus),
                "rc": self.rc, "tolerance": self.tolerance}

    def eta_of_feature(self) -> np.ndarray:
        """The eta of each per-atom feature, (n_features,), in the grid's (order, eta, mu) order."""
        per_order = np.repeat(np.asarray(self.etas, dtype=float), len(self.mus))
        return np.tile(per_order, len(self.orders))

    @property
    def n_features(self) -> int:
        """N_e: features per atom."""
        return len(self.orders) * len(self.etas) * len(self.mus)

    def resolved(self, eps: float) -> "EADGrid":
        """The grid as a computation of relative precision eps evaluates it: Gaussian terms below eps of their peak
        are lost in the rounding of the sums they join, so they are dropped. In float32 (eps 1.2e-7) that shrinks
        the neighbour radius from 10.2 to 8.9 A on the default grid: 30 % fewer pairs, 1.2-1.3x faster
        reconstruction steps than float32 on the full grid in the same run (benchmarks/reconstruct.py speed:
        Perov-5 1.20-1.23x, MP-20 1.22x, Carbon-24 1.30x), the same loss at the true positions."""
        return replace(self, tolerance=max(self.tolerance, eps))

    @property
    def cutoff(self) -> float:
        """Neighbour radius beyond which every Gaussian is below `tolerance` of its peak (or rc, if smaller).

        exp(-eta (r - mu)^2) < tol  <=>  r > mu + sqrt(ln(1/tol) / eta); the widest is min(eta) at max(mu).
        The radial polynomial x^l of L <= 2 grows slower than the Gaussian decays, so this bound is what
        method.md calls "exact enough": the dropped terms are below tol relative to the peak.
        """
        reach = max(self.mus) + math.sqrt(math.log(1.0 / self.tolerance) / min(self.etas))
        return min(self.rc, reach)
