"""The plan's validation rules as rows of the batch: one row per (file, rule), both sides summed.

`plan.checks.evaluate_rules` is the judge of one report (the add-in's and the tests' reference); a run
of thousands of files judges them all at once instead: per agency, its files' element values form a
matrix, each side of each rule is a sum of columns plus a constant, and one pandera call over the
resulting frame (`schema.run_rule_checks`) tells which rows are broken. Same sides (parsed once, in
`plan.expressions`), same tolerance, same «unknown never triggers» rule, so both agree (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xltoolkit.plan.expressions import Side
from xltoolkit.plan.model import Agency, Plan, ValidationRule
from xltoolkit.validation.batch import KeyedCache
from xltoolkit.validation.extract import InputCell
from xltoolkit.validation.integrity import Shape, layout_shape
from xltoolkit.validation.schema import OPERATOR_CODES


@dataclass(frozen=True)
class _Compiled:
    """An agency's rules over the columns of its element matrix."""

    elements: tuple[str, ...]
    rules: tuple[ValidationRule, ...]
    left: tuple[tuple[tuple[int, ...], float], ...]  # per rule: (column indices, constant + figures)
    right: tuple[tuple[tuple[int, ...], float], ...]
    ops: tuple[int, ...]


_COMPILED: KeyedCache[tuple[str, Shape], _Compiled] = KeyedCache(256)


def _side(
    side: Side, column: Mapping[str, int], figures: Mapping[str, float | None]
) -> tuple[tuple[int, ...], float]:
    const = side.constant + sum(float(figures.get(r) or 0.0) for r in side.agency_refs)
    return tuple(column[e] for e in side.elements), const


def compiled(plan: Plan, agency: Agency) -> _Compiled:
    def make() -> _Compiled:
        elements = tuple(e.id for e in plan.elements_for(agency))
        column = {e: i for i, e in enumerate(elements)}
        figures = plan.agency_figures(agency)
        rules = plan.rules_for(agency)
        return _Compiled(
            elements,
            rules,
            tuple(_side(r.left_side, column, figures) for r in rules),
            tuple(_side(r.right_side, column, figures) for r in rules),
            tuple(OPERATOR_CODES[r.operator] for r in rules),
        )

    # agencies of one shape (the communes) share one compiled set: same elements, rules and figures
    return _COMPILED.get((plan.digest, layout_shape(plan, agency)), plan, make)


def known(ic: InputCell | None) -> float:
    """An element's value where it is a typed number (not marked no data, no error of kind), else NaN."""
    return ic.value if ic is not None and ic.kind == "number" else np.nan


RuleOwner = tuple[int, ValidationRule]  # (file position in the batch, rule)


def rule_frame(
    plan: Plan, files: Sequence[tuple[int, Agency, Mapping[str, InputCell]]]
) -> tuple[pd.DataFrame, list[RuleOwner]]:
    """Rows (left, right, op) for every applicable rule of every file, and who each row belongs to.

    Files are grouped by their agency's shape, not by agency: the 3,321 communes of a national run
    form one matrix, not 3,321 one-row ones.
    """
    by_agency: dict[Shape, list[tuple[int, Mapping[str, InputCell]]]] = {}
    agencies: dict[Shape, Agency] = {}
    for pos, agency, elements in files:
        shape = layout_shape(plan, agency)
        by_agency.setdefault(shape, []).append((pos, elements))
        agencies.setdefault(shape, agency)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    ops: list[np.ndarray] = []
    owners: list[RuleOwner] = []
    for aid, group in by_agency.items():
        c = compiled(plan, agencies[aid])
        if not c.rules:
            continue
        matrix = np.array([[known(els.get(e)) for e in c.elements] for _, els in group], dtype=float)
        matrix = matrix.reshape(len(group), len(c.elements))
        positions = [pos for pos, _ in group]
        for rule, (li, lc), (ri, rc), op in zip(c.rules, c.left, c.right, c.ops, strict=True):
            lefts.append(matrix[:, list(li)].sum(axis=1) + lc)
            rights.append(matrix[:, list(ri)].sum(axis=1) + rc)
            ops.append(np.full(len(group), op, dtype=np.int64))
            owners += [(pos, rule) for pos in positions]
    if not owners:
        return pd.DataFrame({"left": [], "right": [], "op": pd.Series([], dtype="int64")}), []
    frame = pd.DataFrame(
        {"left": np.concatenate(lefts), "right": np.concatenate(rights), "op": np.concatenate(ops)}
    )
    return frame, owners
