"""What the batch stage makes of each file: its issues (value, measure, rule) and its outputs.

Split from validate.py, which runs the stages; this holds the per-file state between them
(`_Pending`) and turns batch failures into the officer's issues, at the cells to fix, and a file's
checked inputs into its value rows, element rows and budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan, ValidationRule
from xltoolkit.validation.extract import (
    MAX_BUDGET_MILLION_VND,
    MAX_COUNT,
    Extracted,
    InputCell,
    MeasureCells,
)
from xltoolkit.validation.read import WorkbookData
from xltoolkit.validation.results import FileReport
from xltoolkit.vn_numbers import format_vi, format_vi_grouped
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, META_SHEET, REPORT_SHEET, TemplateLayout


@dataclass
class _Pending:
    """One file between the per-file stage and the batch stage."""

    report: FileReport
    wbd: WorkbookData | None = None
    layout: TemplateLayout | None = None
    extracted: Extracted | None = None
    issues: list[Issue] = field(default_factory=list)


_SHEET_ORDER = {s: i for i, s in enumerate((GUIDE_SHEET, DATA_SHEET, REPORT_SHEET, META_SHEET))}


def _issue_order(i: Issue) -> tuple[int, int, int, str]:
    """File-level issues first, then by sheet in template order, then row and column."""
    if not i.sheet:
        return (0, 0, 0, "")
    row, col = 0, ""
    if i.cell:
        col = i.cell.rstrip("0123456789")
        row = int(i.cell[len(col) :] or 0)
    return (1, _SHEET_ORDER.get(i.sheet, 9), row, col.rjust(3))


def _what(ic: InputCell) -> str:
    return ic.label


def _hint(ic: InputCell) -> str:
    return "một số nguyên không âm (ví dụ 1250)" if ic.rule.whole else "một số không âm (ví dụ 12,5)"


def _rule_issues(rule: ValidationRule, left: float, right: float, ex: Extracted, plan: Plan) -> list[Issue]:
    """A broken rule, at the cell of each element it names (the cells the workbook colours).

    «Numerator ≤ denominator» of a proportion keeps its own code, at the numerator's cell: it is the
    rule the officer has always been told about, and the add-in and summaries key on that code.
    """
    cells = [ex.elements[e] for e in rule.elements if e in ex.elements]
    if not cells:
        return []
    if rule.origin == "measure" and len(cells) == 2:
        num, den = cells
        code = rule.id.removeprefix("tu_mau_")
        return [
            issue(
                "numerator-exceeds-denominator",
                num.sheet,
                num.cell,
                code if code in plan.measure_by_code else None,
                numerator=format_vi(left),
                denominator=format_vi(right),
                partner_cell=den.cell,
            )
        ]
    labels = {"left": rule.left_side, "right": rule.right_side}
    words = {
        k: " + ".join(plan.element_by_id[e].name for e in side.elements) or "giá trị"
        for k, side in labels.items()
    }
    kw = {
        "rule_message": rule.message.rstrip(". "),
        "left_label": words["left"],
        "right_label": words["right"],
        "left": format_vi_grouped(left),
        "right": format_vi_grouped(right),
        "cells": ", ".join(ic.cell for ic in cells),
    }
    return [issue("rule-violated", ic.sheet, ic.cell, severity=rule.severity, **kw) for ic in cells]


def _value_issue(
    code: str, obj: InputCell | MeasureCells, p: _Pending, row: dict[str, float], plan: Plan
) -> Issue:
    if isinstance(obj, MeasureCells):
        return _measure_issue(code, obj, row, plan)
    ic = obj
    kw: dict[str, Any] = {"what": _what(ic), "hint": _hint(ic)}
    sheet, cell = ic.sheet, ic.cell
    variant = None
    if code == "missing-value" and ic.element is not None:
        variant = "element"
        kw["status_cell"], kw["reason_cell"] = ic.status_cell or "?", ic.reason_cell or "?"
    elif code == "number-as-text" and ic.parsed is not None:
        kw["raw"], kw["meant"] = str(ic.raw), format_vi(ic.parsed.value)
        kw["tail"] = " (không gõ ký hiệu %)" if ic.parsed.percent else ""
        if ic.rule.whole and not float(ic.parsed.value).is_integer():
            variant = "whole"  # a count: never suggest retyping the decimal
    elif code == "not-a-number":
        kw["raw"] = str(ic.raw)
    elif code == "value-out-of-range":
        kw["found"] = format_vi_grouped(ic.value, 0)
        kw["limit"] = format_vi_grouped(MAX_COUNT if ic.element else MAX_BUDGET_MILLION_VND, 0)
    elif code in ("negative-value", "not-whole-number"):
        kw["found"] = format_vi(ic.value)
        kw["example"] = format_vi(max(round(ic.value), 0))
        if code == "not-whole-number" and 0 < ic.value < 1:
            kw["example"] += " (nếu đã gõ dạng phần trăm như 95%, Excel lưu thành 0,95: hãy gõ số lượng)"
    elif code == "yoy-jump":
        variant = "element"
        kw |= {
            "value": format_vi_grouped(row["rate"]),
            "prev": format_vi_grouped(row["prev"]) if not math.isnan(row["prev"]) else "",
            "prev_year": int(row["prev_year"]) if not math.isnan(row["prev_year"]) else "",
        }
    return issue(code, sheet, cell, ic.code, variant=variant, **kw)


def _measure_issue(code: str, mc: MeasureCells, row: dict[str, float], plan: Plan) -> Issue:
    """An issue about a measure's rate (zero denominator, implausible, year-on-year jump)."""
    m = plan.measure_by_code[mc.code]
    num, den = mc.numerator, mc.denominator
    if code == "zero-denominator" and den is not None:
        return issue(
            code,
            den.sheet,
            den.cell,
            mc.code,
            numerator=format_vi(num.value) if num else "?",
            partner_cell=num.cell if num else "?",
        )
    sheet = num.sheet if num else (den.sheet if den else None)
    kw: dict[str, Any] = {
        "value": format_vi_grouped(row["rate"]),
        "unit": m.unit,
        "limit": format_vi_grouped(row["pmax"]) if not math.isnan(row["pmax"]) else "",
        "num_cell": num.cell if num else "",
        "den_cell": den.cell if den else "",
        "prev": format_vi_grouped(row["prev"]) if not math.isnan(row["prev"]) else "",
        "prev_year": int(row["prev_year"]) if not math.isnan(row["prev_year"]) else "",
    }
    return issue(code, sheet, mc.value_cell or (num.cell if num else None), mc.code, **kw)


def _finish(p: _Pending, plan: Plan, rate_of: dict[int, float]) -> None:
    """Per-file outputs: measure rows with `blocked` and `no_data`, element rows, the budget (None
    when it has an error).

    A measure is blocked by an error on itself or at the cell of one of its elements; a measure one
    of whose elements is marked «Không có số liệu» has no value (never 0) and is not blocked.
    """
    rep, ex = p.report, p.extracted
    assert ex is not None
    errors_by_code = {i.measure for i in rep.issues if i.is_error and i.measure}
    error_cells = {(i.sheet, i.cell) for i in rep.issues if i.is_error and i.cell}
    rows = []
    for mc in ex.measures:
        m = plan.measure_by_code[mc.code]
        cells = [ic for ic in (mc.numerator, mc.denominator) if ic is not None]
        blocked = (not rep.integrity_ok) or mc.code in errors_by_code or mc.numerator is None
        blocked = blocked or any((ic.sheet, ic.cell) in error_cells for ic in cells)
        if m.denominator_element and mc.denominator is None:
            blocked = True
        no_data = mc.no_data
        num = _known(mc.numerator)
        den = _known(mc.denominator)
        rate = rate_of.get(id(mc), math.nan)
        if blocked or no_data:
            rate = math.nan
        rows.append((rep.agency, rep.year, mc.code, num, den, rate, mc.source, mc.notes, blocked, no_data))
    rep.value_rows = rows
    rep.element_rows = [
        (
            e,
            _known(ic),
            ic.status,
            ic.reason,
            (not rep.integrity_ok) or (ic.sheet, ic.cell) in error_cells,
        )
        for e, ic in ex.elements.items()
    ]
    budget_cells = {ic.cell for ic in ex.budget.values()}
    budget_bad = any(i.is_error and i.cell in budget_cells and i.measure is None for i in rep.issues)
    if rep.integrity_ok and not budget_bad and len(ex.budget) == 2:
        rep.budget = {
            "state": ex.budget["budget_state"].value,
            "mobilised": ex.budget["budget_mobilised"].value,
        }
    else:
        rep.budget = None


def _known(ic: InputCell | None) -> float:
    """The element's typed value; NaN when blank, not a number, or marked «Không có số liệu»."""
    return ic.value if ic is not None and ic.kind == "number" else math.nan
