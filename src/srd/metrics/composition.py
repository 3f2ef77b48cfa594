"""Composition validity by SMACT, with the semantics of CDVAE's ``smact_validity`` (the reference code).

Pin: ``smact==4.0.2`` (checked against all 422 rows of formulas.csv: 415 equal the reference, the 7 others are the
documented Ir/Zr data changes below). The answers depend on smact's data tables, which change between releases
(3.0 changed the default oxidation states, 4.0 the None handling and Ir/Zr data), so any upgrade must re-run
``tests/test_metrics_composition.py``; ``oxidation_states_smact14`` does not exist before smact 3.

Version decisions (see ``/work/shared/reference/cdvae-protocol/README.md`` for the trap rows):

* Oxidation states are the SMACT-14 list (``Element.oxidation_states_smact14``), which is what
  ``Element.oxidation_states`` meant in smact < 3. smact 4's default (ICSD-24) list would change ~32 answers.
* Logic is the reference code's: smact 2.2.1's Pauling test runs pair by pair in element order; a cation-anion
  pair with a missing electronegativity (Pm, Rn, ...) raised ``TypeError``, which the reference code counts as
  a pass, while a same-sign pair with one returned False. smact 4 returns False on any ``None``, so it cannot
  reproduce this; ``_reference_pauling_test`` does (F333, F400-F409 and F138/F331/F406 match the reference).
* Data is smact 4's: Zr's Pauling electronegativity is 1.33 (smact 2.2.1 carried the typo 0.33) and Ir's
  SMACT-14 list has -3 (2.2.1 had -2). We deliberately do not re-introduce old data errors, so F410-F416 differ
  from the reference answers. Measured effect: 7 of the 9,046 MP-20 test compositions change (91.145 % valid
  with smact 4's data vs 91.134 % with 2.2.1's).
* Noble gases: smact 4 has ``None`` oxidation states (2.2.1: ``[]``); both mean "no charge-neutral combination".
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache
from math import gcd

import smact
from pymatgen.core.periodic_table import Element as PmgElement


def _reference_pauling_test(ox_states: Sequence[int], enegs: Sequence[float | None]) -> bool:
    """smact 2.2.1 ``eneg_states_test`` as the reference code saw it (its TypeError on ``None`` -> pass)."""
    for (ox1, eneg1), (ox2, eneg2) in itertools.combinations(zip(ox_states, enegs), 2):
        opposite = (ox1 > 0 and ox2 < 0) or (ox1 < 0 and ox2 > 0)
        if eneg1 is None or eneg2 is None:
            return opposite  # opposite signs: 2.2.1 compared None and raised; same signs: it returned False
        if opposite and (eneg1 - eneg2) * ox1 >= 0:  # the cation is not the less electronegative one
            return False
    return True


@lru_cache(maxsize=None)
def _element_data(symbol: str) -> tuple[tuple[int, ...], float | None]:
    """SMACT-14 oxidation states (empty for noble gases) and Pauling electronegativity of one element."""
    element = smact.Element(symbol)
    states = element.oxidation_states_smact14 or []
    return tuple(states), element.pauling_eneg


def reduce_counts(counts: Sequence[int]) -> tuple[int, ...]:
    """Counts divided by their gcd, as the reference code does before testing a generated crystal."""
    divisor = 0
    for count in counts:
        divisor = gcd(divisor, int(count))
    return tuple(int(count) // divisor for count in counts)


def smact_valid(atomic_numbers: Sequence[int], counts: Sequence[int]) -> bool:
    """Reference composition validity on exactly these counts (the caller reduces them; see ``reduce_counts``).

    ``atomic_numbers`` are distinct elements in the order the reference uses (ascending atomic number), since
    the Pauling test's outcome for elements without an electronegativity depends on that order.
    """
    if len(atomic_numbers) != len(counts) or not counts:
        raise ValueError(f"need one count per element, got {len(atomic_numbers)} elements, {len(counts)} counts")
    symbols = [PmgElement.from_Z(int(z)).symbol for z in atomic_numbers]
    if len(set(symbols)) == 1:
        return True
    if all(symbol in smact.metals for symbol in symbols):
        return True
    data = [_element_data(symbol) for symbol in symbols]
    enegs = [eneg for _, eneg in data]
    stoichs = [(int(count),) for count in counts]
    for ox_states in itertools.product(*(states for states, _ in data)):
        if not smact.neutral_ratios(ox_states, stoichs=stoichs, threshold=max(counts)):
            continue
        if _reference_pauling_test(ox_states, enegs):
            return True
    return False
