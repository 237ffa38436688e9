"""Pull the officer's inputs out of a WorkbookData, by defined name, into rows for the batch checks.

Inputs are found through their defined names (TU_3a, MAU_3a, KP_NSNN, ...), never by fixed rows, so a
file whose rows moved is still read correctly (and reported by the integrity check). Each numeric input
becomes one row of the batch frame that the pandera schema checks; text inputs (source, notes, task
results, difficulties) are collected as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan
from xltoolkit.plan.rules import BUDGET_RULES, InputRule, measure_rules, plausible_max
from xltoolkit.validation.read import WorkbookData, split_ref
from xltoolkit.vn_numbers import TextNumber, parse_number_text
from xltoolkit.workbook.layout import TemplateLayout

#: Columns of the batch frame (one row per numeric input of every file in the run).
ROW_FIELDS = (
    "file",
    "field",
    "code",
    "sheet",
    "cell",
    "kind",
    "value",
    "whole",
    "minimum",
    "required",
    "le",
    "partner",
    "scale",
    "has_den",
    "pmax",
    "prev",
    "prev_year",
)

BUDGET_NAMES = {"budget_state": "KP_NSNN", "budget_mobilised": "KP_HUYDONG"}
BUDGET_KEYS = {"budget_state": "state", "budget_mobilised": "mobilised"}


@dataclass
class InputCell:
    """Where one numeric input sits and what was found there (raw kept for the message)."""

    field: str
    code: str | None
    name: str
    sheet: str
    cell: str
    raw: Any
    kind: str  # number | empty | text | other
    value: float
    parsed: TextNumber | None
    rule: InputRule
    label: str


@dataclass
class MeasureCells:
    code: str
    numerator: InputCell | None
    denominator: InputCell | None
    value_cell: str | None
    source: str | None
    notes: str | None


@dataclass
class Extracted:
    inputs: list[InputCell] = field(default_factory=list)
    measures: list[MeasureCells] = field(default_factory=list)
    budget: dict[str, InputCell] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    difficulties: str | None = None
    reporter: str | None = None
    phone: str | None = None
    issues: list[Issue] = field(default_factory=list)


def classify(value: Any, whole: bool) -> tuple[str, float, TextNumber | None]:
    """What kind of content an input cell holds: a number, nothing, number-like text, or other."""
    if value is None:
        return "empty", math.nan, None
    if isinstance(value, bool):
        return "other", math.nan, None
    if isinstance(value, int | float):
        v = float(value)
        return ("number", v, None) if math.isfinite(v) else ("other", math.nan, None)
    if isinstance(value, str):
        if not value.strip():
            return "empty", math.nan, None
        parsed = parse_number_text(value, whole=whole)
        return ("text", math.nan, parsed) if parsed else ("other", math.nan, None)
    return "other", math.nan, None  # dates, times, errors


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def _locate(wbd: WorkbookData, name: str) -> tuple[str, str] | None:
    dest = wbd.names.get(name)
    if not dest or not dest[0]:
        return None
    try:
        split_ref(dest[1])
    except ValueError:
        return None
    return dest


_STEPS: dict[int, tuple[TemplateLayout, tuple, tuple]] = {}


def _steps(lay: TemplateLayout) -> tuple[tuple, tuple]:
    """Per measure (measure, ((rule, name), ...), source name, notes name), and the task inputs.

    Built once per layout object (integrity.expected() hands every file of an agency and year the
    same one), not rebuilt for each of thousands of files. The layout is kept in the value, so its
    id cannot be reused by another object while the entry exists.
    """
    hit = _STEPS.get(id(lay))
    if hit is None or hit[0] is not lay:
        measures = tuple(
            (
                m,
                tuple(
                    (rule, f"{'TU' if rule.field == 'numerator' else 'MAU'}_{m.code}")
                    for rule in measure_rules(m)
                ),
                f"NGUON_{m.code}",
                f"GHICHU_{m.code}",
            )
            for m in lay.measures
        )
        tasks = tuple(inp for inp in lay.inputs if inp.kind == "task")
        if len(_STEPS) > 512:
            _STEPS.clear()
        hit = _STEPS[id(lay)] = (lay, measures, tasks)
    return hit[1], hit[2]


def extract(wbd: WorkbookData, lay: TemplateLayout, reported_missing: set[str]) -> Extracted:
    """Read every input of the layout through its defined name. Missing names are reported once."""
    out = Extracted()

    def cell_of(name: str, code: str | None, label: str) -> tuple[str, str] | None:
        dest = _locate(wbd, name)
        if dest is None and name not in reported_missing:
            inp = lay.input_by_name.get(name)
            sheet, ref = (inp.sheet, inp.ref) if inp else (None, None)
            out.issues.append(issue("name-missing", sheet, ref, code, name=name, label=label or name))
            reported_missing.add(name)
        return dest

    def numeric(name: str, rule: InputRule, code: str | None, label: str) -> InputCell | None:
        dest = cell_of(name, code, label)
        if dest is None:
            return None
        raw = wbd.value(*dest)
        kind, value, parsed = classify(raw, rule.whole)
        ic = InputCell(rule.field, code, name, dest[0], dest[1], raw, kind, value, parsed, rule, label)
        out.inputs.append(ic)
        return ic

    measure_steps, task_inputs = _steps(lay)
    for m, rules, src_name, notes_name in measure_steps:
        num = den = None
        for rule, name in rules:
            ic = numeric(name, rule, m.code, rule.label)
            if rule.field == "numerator":
                num = ic
            else:
                den = ic
        value_cell = None
        if num is not None and lay.columns:
            value_cell = f"{lay.columns['value']}{split_ref(num.cell)[0]}"
        src = _locate(wbd, src_name)
        notes = _locate(wbd, notes_name)
        out.measures.append(
            MeasureCells(
                m.code,
                num,
                den,
                value_cell,
                text_of(wbd.value(*src)) if src else None,
                text_of(wbd.value(*notes)) if notes else None,
            )
        )
    for rule in BUDGET_RULES:
        ic = numeric(BUDGET_NAMES[rule.field], rule, None, rule.label)
        if ic is not None:
            out.budget[rule.field] = ic
    for inp in task_inputs:
        dest = cell_of(inp.name, None, inp.label)
        result = text_of(wbd.value(*dest)) if dest else None
        out.tasks.append({"no": int(inp.code or 0), "task": inp.label, "result": result})
        if dest and result is None:
            out.issues.append(issue("missing-task-result", dest[0], dest[1], no=inp.code))
    for name, attr in (("KHO_KHAN", "difficulties"), ("NGUOI_LAP", "reporter"), ("DIEN_THOAI", "phone")):
        dest = _locate(wbd, name)
        setattr(out, attr, text_of(wbd.value(*dest)) if dest else None)
    return out


def previous(history: Any, agency: str, code: str, year: int) -> tuple[float, float]:
    """The latest known value before `year` for (agency, code): (value, year) or (nan, nan)."""
    if not history:
        return math.nan, math.nan
    years = history.get((agency, code))
    if not years:
        return math.nan, math.nan
    earlier = [(y, v) for y, v in years.items() if int(y) < year and v is not None and not math.isnan(v)]
    if not earlier:
        return math.nan, math.nan
    y, v = max(earlier, key=lambda t: int(t[0]))
    return float(v), float(y)


_PMAX: dict[tuple[str, str], float | None] = {}


def _pmax(plan: Plan, code: str) -> float | None:
    key = (plan.digest, code)
    if key not in _PMAX:
        _PMAX[key] = plausible_max(plan, code)
    return _PMAX[key]


def batch_rows(
    file_index: int, ex: Extracted, plan: Plan, agency: str, year: int, history: Any
) -> list[tuple[Any, ...]]:
    """One tuple (ROW_FIELDS order) per numeric input of this file, in ex.inputs order.

    Tuples, not 17 per-column appends per input: the batch transposes all files' rows once.
    """
    partner_of: dict[int, InputCell | None] = {}
    for mc in ex.measures:
        if mc.numerator is not None:
            partner_of[id(mc.numerator)] = mc.denominator
        if mc.denominator is not None:
            partner_of[id(mc.denominator)] = mc.numerator
    nan = math.nan
    rows = []
    for ic in ex.inputs:
        partner = partner_of.get(id(ic))
        m = plan.measure_by_code.get(ic.code or "")
        rule = ic.rule
        if m and ic.field == "numerator":
            prev, prev_year = previous(history, agency, ic.code or "", year)
            pmax = _pmax(plan, m.code)
            scale, has_den = m.scale, bool(m.denominator)
        else:
            prev = prev_year = pmax = scale = nan
            has_den = False
        rows.append(
            (
                file_index,
                ic.field,
                ic.code or "",
                ic.sheet,
                ic.cell,
                ic.kind,
                ic.value,
                rule.whole,
                float(rule.minimum),
                rule.required,
                bool(rule.le_field) and partner is not None,
                partner.value if partner is not None else nan,
                scale,
                has_den,
                pmax if pmax is not None else nan,
                prev,
                prev_year,
            )
        )
    return rows
