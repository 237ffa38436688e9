"""The one evaluator of the plan's validation rules over element values, pure.

The workbook's KT_ formulas, the batch validator and the add-in all judge a report by the same rules;
this is the Python judge the latter two call, and the tests hold the workbook formulas to it. A value
that is unknown (blank, not a number, or marked «Không có số liệu») never triggers a rule: a rule
speaks only about figures the officer actually gave.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xltoolkit.plan.model import Agency, Plan, ValidationRule

#: Choice of an element's status cell meaning «we have no data» (recorded as no data, never as 0).
NO_DATA = "Không có số liệu"
#: Choice meaning the figure is an estimate (kept as a value; only recorded as a mark).
ESTIMATE = "Số ước tính"
STATUS_CHOICES: tuple[str, ...] = (NO_DATA, ESTIMATE)


@dataclass(frozen=True)
class RuleViolation:
    """A broken rule: which, how severe, the sides' values, and the elements to highlight."""

    rule: str
    severity: str
    message: str
    operator: str
    left: float
    right: float
    elements: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "operator": self.operator,
            "left": self.left,
            "right": self.right,
            "elements": list(self.elements),
        }


def known_values(
    values: Mapping[str, float | None], statuses: Mapping[str, str | None] | None = None
) -> dict[str, float | None]:
    """Element values with «Không có số liệu» and non-finite entries turned into None (unknown)."""
    out: dict[str, float | None] = {}
    for key, v in values.items():
        marked = statuses is not None and (statuses.get(key) or "").strip() == NO_DATA
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        out[key] = float(v) if ok and not marked else None  # type: ignore[arg-type]
    return out


def evaluate_rule(
    rule: ValidationRule, values: Mapping[str, float | None], figures: Mapping[str, float | None]
) -> RuleViolation | None:
    """The violation of one rule, or None when it holds or cannot be judged (a value is unknown)."""
    left = rule.left_side.value(values, figures)
    right = rule.right_side.value(values, figures)
    if left is None or right is None:
        return None
    if rule.holds(left, right):
        return None
    return RuleViolation(rule.id, rule.severity, rule.message, rule.operator, left, right, rule.elements)


def evaluate_rules(
    plan: Plan,
    values: Mapping[str, float | None],
    *,
    agency: Agency | None = None,
    statuses: Mapping[str, str | None] | None = None,
    rules: Iterable[ValidationRule] | None = None,
) -> list[RuleViolation]:
    """Every broken rule of the plan (or of `rules`) for one report's element values, in plan order.

    `values` maps element id -> number or None (blank); `statuses` maps element id -> the status
    cell's text, so a «Không có số liệu» mark makes the value unknown whatever was typed. `agency`
    supplies administrative figures ('agency.communes'); without it, rules needing them are skipped.
    """
    known = known_values(values, statuses)
    figures = plan.agency_figures(agency)
    out = []
    for rule in plan.rules if rules is None else rules:
        v = evaluate_rule(rule, known, figures)
        if v is not None:
            out.append(v)
    return out
