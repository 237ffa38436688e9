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
from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.rules import BUDGET_RULES, InputRule, measure_rules, plausible_max
from xltoolkit.validation.batch import KeyedCache
from xltoolkit.validation.read import WorkbookData, split_ref
from xltoolkit.vn_numbers import TextNumber, parse_number_text
from xltoolkit.workbook import names
from xltoolkit.workbook.layout import Input, TemplateLayout

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
    "vmax",
)

#: Plausible maxima of any input (the plan gives none per input): far above any real district or
#: province, far below what would overflow a sum. Counts of people or cases; budgets in million VND.
MAX_COUNT = 1e9
MAX_BUDGET_MILLION_VND = 1e9


@dataclass
class InputCell:
    """Where one numeric input sits and what was found there (raw kept for the message)."""

    field: str
    code: str | None
    name: str
    sheet: str
    cell: str
    raw: Any
    kind: str  # number | empty | text | other | formula
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


#: Per measure: the measure, ((rule, input name), ...), its source name and its notes name.
MeasureSteps = tuple[tuple[Measure, tuple[tuple[InputRule, str], ...], str, str], ...]
_STEPS: KeyedCache[int, tuple[MeasureSteps, tuple[Input, ...]]] = KeyedCache()


def _steps(lay: TemplateLayout) -> tuple[MeasureSteps, tuple[Input, ...]]:
    """The measure steps and the task inputs of a layout.

    Built once per layout object (integrity.expected() hands every file of an agency and year the
    same one), not rebuilt for each of thousands of files.
    """

    def make() -> tuple[MeasureSteps, tuple[Input, ...]]:
        measures = tuple(
            (
                m,
                tuple((rule, names.measure_field(rule.field, m.code)) for rule in measure_rules(m)),
                names.source(m.code),
                names.notes(m.code),
            )
            for m in lay.measures
        )
        return measures, tuple(inp for inp in lay.inputs if inp.kind == "task")

    return _STEPS.get(id(lay), lay, make)


def extract(wbd: WorkbookData, lay: TemplateLayout, reported_missing: set[str]) -> Extracted:
    """Read every input of the layout through its defined name. Missing names are reported once."""
    reader = _Reader(wbd, lay, reported_missing)
    measure_steps, task_inputs = _steps(lay)
    for m, rules, src_name, notes_name in measure_steps:
        reader.measure(m.code, rules, src_name, notes_name)
    out = reader.out
    for rule in BUDGET_RULES:
        ic = reader.numeric(names.BUDGET_NAMES[rule.field], rule, None, rule.label)
        if ic is not None:
            out.budget[rule.field] = ic
    for inp in task_inputs:
        dest = reader.cell_of(inp.name, None, inp.label)
        result = reader.text(dest)
        out.tasks.append({"no": int(inp.code or 0), "task": inp.label, "result": result})
        if dest and result is None and not reader.formula(dest):
            out.issues.append(issue("missing-task-result", dest[0], dest[1], no=inp.code))
    for name, attr in names.TEXT_NAMES:
        setattr(out, attr, reader.text(_locate(wbd, name)))
    return out


class _Reader:
    """Reads inputs by name into `out`; a formula in an input cell is reported, its cached value unused."""

    def __init__(self, wbd: WorkbookData, lay: TemplateLayout, reported_missing: set[str]) -> None:
        self.wbd, self.lay, self.reported = wbd, lay, reported_missing
        self.out = Extracted()

    def cell_of(self, name: str, code: str | None, label: str) -> tuple[str, str] | None:
        dest = _locate(self.wbd, name)
        if dest is None and name not in self.reported:
            inp = self.lay.input_by_name.get(name)
            sheet, ref = (inp.sheet, inp.ref) if inp else (None, None)
            self.out.issues.append(issue("name-missing", sheet, ref, code, name=name, label=label or name))
            self.reported.add(name)
        return dest

    def formula(self, dest: tuple[str, str], code: str | None = None) -> bool:
        """True (and reported) when the input cell holds a formula: its cached value could be forged."""
        sd = self.wbd.sheets.get(dest[0])
        found = sd.formulas.get(dest[1]) if sd is not None and sd.formulas else None
        if found is None:
            return False
        self.out.issues.append(issue("formula-in-input", dest[0], dest[1], code, formula=found[:200]))
        return True

    def text(self, dest: tuple[str, str] | None) -> str | None:
        if dest is None or self.formula(dest):
            return None
        return text_of(self.wbd.value(*dest))

    def numeric(self, name: str, rule: InputRule, code: str | None, label: str) -> InputCell | None:
        dest = self.cell_of(name, code, label)
        if dest is None:
            return None
        if self.formula(dest, code):
            raw, kind, value, parsed = None, "formula", math.nan, None
        else:
            raw = self.wbd.value(*dest)
            kind, value, parsed = classify(raw, rule.whole)
        ic = InputCell(rule.field, code, name, dest[0], dest[1], raw, kind, value, parsed, rule, label)
        self.out.inputs.append(ic)
        return ic

    def measure(self, code: str, rules: tuple[tuple[InputRule, str], ...], src: str, notes: str) -> None:
        num = den = None
        for rule, name in rules:
            ic = self.numeric(name, rule, code, rule.label)
            if rule.field == "numerator":
                num = ic
            else:
                den = ic
        value_cell = None
        if num is not None and self.lay.columns:
            value_cell = f"{self.lay.columns['value']}{split_ref(num.cell)[0]}"
        source, note = self.text(_locate(self.wbd, src)), self.text(_locate(self.wbd, notes))
        self.out.measures.append(MeasureCells(code, num, den, value_cell, source, note))


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


_PMAX: KeyedCache[tuple[str, str], float | None] = KeyedCache(4096)


def _pmax(plan: Plan, code: str) -> float | None:
    return _PMAX.get((plan.digest, code), plan, lambda: plausible_max(plan, code))


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
                MAX_COUNT if m else MAX_BUDGET_MILLION_VND,
            )
        )
    return rows
