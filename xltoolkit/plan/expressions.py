"""The sides of a validation rule: element ids and constants joined by '+', parsed once.

A rule side is kept as text in the plan ("deaths_u1 + 2", "agency.communes", 0) so that a provincial
officer can read and edit it; everything that evaluates a rule (the pure evaluator, the workbook
formulas, later the pandera checks) works from the parsed form here, so they cannot read it differently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Administrative figures a rule may compare with; resolved per reporting agency from the plan.
AGENCY_REFS: dict[str, str] = {"agency.communes": "communes"}

ELEMENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b - _EPS,
    "<=": lambda a, b: a <= b + _EPS,
    "==": lambda a, b: abs(a - b) <= _EPS,
    ">=": lambda a, b: a >= b - _EPS,
    ">": lambda a, b: a > b + _EPS,
}
#: Counts are whole numbers; the tolerance only absorbs binary rounding of sums of decimals.
_EPS = 1e-9

#: Vietnamese reading of each operator, for messages and the instructions sheet.
OPERATOR_WORDS: dict[str, str] = {
    "<": "nhỏ hơn",
    "<=": "không lớn hơn",
    "==": "bằng",
    ">=": "không nhỏ hơn",
    ">": "lớn hơn",
}


@dataclass(frozen=True)
class Side:
    """A sum of element values, agency figures and one constant."""

    elements: tuple[str, ...] = ()
    agency_refs: tuple[str, ...] = ()
    constant: float = 0.0

    def value(
        self, values: Mapping[str, float | None], agency_values: Mapping[str, float | None]
    ) -> float | None:
        """The side's value, or None when any part of it is unknown (blank, no data, no figure)."""
        total = self.constant
        for key, source in [(e, values) for e in self.elements] + [
            (r, agency_values) for r in self.agency_refs
        ]:
            v = source.get(key)
            if v is None or not isinstance(v, int | float) or not math.isfinite(v):
                return None
            total += float(v)
        return total

    def text(self) -> str:
        parts = [*self.elements, *self.agency_refs]
        if self.constant or not parts:
            parts.append(format(self.constant, "g"))
        return " + ".join(parts)


def parse_side(raw: str | float | int) -> Side:
    """'a + b + 3' -> Side; raises ValueError with a Vietnamese message naming the bad term."""
    if isinstance(raw, bool):
        raise ValueError("vế của quy tắc phải là mã số liệu hoặc số, không phải true/false")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ValueError("hằng số của quy tắc phải là số hữu hạn")
        return Side(constant=float(raw))
    elements: list[str] = []
    refs: list[str] = []
    constant = 0.0
    terms = [t.strip() for t in str(raw).split("+")]
    if not terms or any(not t for t in terms):
        raise ValueError(f"vế '{raw}' không đúng dạng (các mã số liệu hoặc số nối bằng dấu +)")
    for term in terms:
        if term in AGENCY_REFS:
            refs.append(term)
        elif _NUMBER.match(term):
            constant += float(term)
        elif ELEMENT_ID.match(term):
            elements.append(term)
        else:
            raise ValueError(f"'{term}' không phải mã số liệu (chữ thường, số, dấu _) hoặc hằng số")
    return Side(tuple(elements), tuple(refs), constant)


def holds(left: float, operator: str, right: float) -> bool:
    return OPERATORS[operator](left, right)
