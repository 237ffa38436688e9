"""Input rules derived from the plan: the one definition behind Excel data validation and pandera.

Each input cell a reporting officer fills has a rule here. The template turns a rule into an Excel
data-validation entry (with Vietnamese prompt and error text); the validator turns the same rule into
pandera checks. Changing a rule changes both, so the workbook and the checker cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xltoolkit.plan.model import Measure, Plan

Field = Literal["numerator", "denominator", "budget_state", "budget_mobilised"]


@dataclass(frozen=True)
class InputRule:
    """What one input accepts. `le_field` names another input this one may not exceed."""

    field: str
    label: str
    whole: bool
    minimum: float = 0
    le_field: str | None = None
    required: bool = True

    def excel_error(self) -> str:
        kind = "số nguyên không âm (ví dụ: 1250)" if self.whole else "số không âm (ví dụ: 12,5)"
        extra = " và không lớn hơn mẫu số" if self.le_field else ""
        return f"Chỉ được nhập {kind}{extra}. Không gõ chữ, dấu cách hay ký hiệu %."

    def excel_prompt(self) -> str:
        return self.label[:250]


def measure_rules(measure: Measure) -> tuple[InputRule, ...]:
    """Rules for a measure's numerator and denominator (counts: whole numbers ≥ 0)."""
    rules = [
        InputRule(
            field="numerator",
            label=measure.numerator,
            whole=True,
            le_field="denominator" if measure.proportion and measure.denominator else None,
        )
    ]
    if measure.denominator:
        rules.append(InputRule(field="denominator", label=measure.denominator, whole=True))
    return tuple(rules)


BUDGET_RULES: tuple[InputRule, ...] = (
    InputRule(field="budget_state", label="Kinh phí từ ngân sách nhà nước (triệu đồng)", whole=False),
    InputRule(field="budget_mobilised", label="Kinh phí huy động (triệu đồng)", whole=False),
)


def plausible_max(plan: Plan, code: str) -> float | None:
    """Upper plausibility bound on a computed rate; proportions can never exceed the scale."""
    m = plan.measure_by_code[code]
    bounds = [b for b in (m.plausible_max, m.scale if m.proportion else None) if b is not None]
    return min(bounds) if bounds else None
