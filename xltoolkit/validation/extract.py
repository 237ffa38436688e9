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
from xltoolkit.plan.checks import NO_DATA
from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.rules import BUDGET_RULES, InputRule, plausible_max
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
    """Where one numeric input sits and what was found there (raw kept for the message).

    A data element's input also carries its status («Không có số liệu», …) and reason: a marked
    element is no data (`no_data`), never a 0, and is not checked as a number.
    """

    field: str
    code: str | None
    name: str
    sheet: str
    cell: str
    raw: Any
    kind: str  # number | empty | text | other | formula | nodata
    value: float
    parsed: TextNumber | None
    rule: InputRule
    label: str
    element: str | None = None
    status: str | None = None
    reason: str | None = None
    status_cell: str | None = None
    reason_cell: str | None = None

    @property
    def no_data(self) -> bool:
        return self.kind == "nodata"


@dataclass
class MeasureCells:
    """A measure's inputs are its elements' cells (shared with other measures naming the same one)."""

    code: str
    numerator: InputCell | None
    denominator: InputCell | None
    value_cell: str | None
    source: str | None
    notes: str | None

    @property
    def no_data(self) -> bool:
        return any(ic is not None and ic.no_data for ic in (self.numerator, self.denominator))


@dataclass
class Extracted:
    inputs: list[InputCell] = field(default_factory=list)
    measures: list[MeasureCells] = field(default_factory=list)
    elements: dict[str, InputCell] = field(default_factory=dict)
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


#: Per element: (id, value name, status name, reason name, rule); per measure: (measure, source name,
#: notes name, value cell); the task inputs.
ElementSteps = tuple[tuple[str, str, str, str, InputRule], ...]
MeasureSteps = tuple[tuple[Measure, str, str, str | None], ...]
Steps = tuple[ElementSteps, MeasureSteps, tuple[Input, ...]]
_STEPS: KeyedCache[int, Steps] = KeyedCache()


def _steps(lay: TemplateLayout) -> Steps:
    """The element, measure and task steps of a layout.

    Built once per layout object (integrity.expected() hands every file of an agency and year the
    same one), not rebuilt for each of thousands of files.
    """

    def make() -> Steps:
        elements = []
        for e in lay.plan.elements_for(lay.agency):
            name = names.element(e.id)
            inp = lay.input_by_name.get(name)
            rule = (
                inp.rule
                if inp is not None and inp.rule is not None
                else InputRule("element", e.name, e.integer)
            )
            elements.append((e.id, name, names.status(e.id), names.reason(e.id), rule))
        value_col = lay.columns.get("value")
        measures = tuple(
            (
                m,
                names.source(m.code),
                names.notes(m.code),
                f"{value_col}{lay.measure_rows[m.code]}"
                if value_col and m.code in lay.measure_rows
                else None,
            )
            for m in lay.measures
        )
        return tuple(elements), measures, tuple(inp for inp in lay.inputs if inp.kind == "task")

    return _STEPS.get(id(lay), lay, make)


def extract(wbd: WorkbookData, lay: TemplateLayout, reported_missing: set[str]) -> Extracted:
    """Read every input of the layout through its defined name, each element once; missing names are
    reported once."""
    reader = _Reader(wbd, lay, reported_missing)
    element_steps, measure_steps, task_inputs = _steps(lay)
    for step in element_steps:
        reader.element(*step)
    for m, src_name, notes_name, value_cell in measure_steps:
        reader.measure(m, src_name, notes_name, value_cell)
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

    def numeric(
        self, name: str, rule: InputRule, code: str | None, label: str, *, count: bool = True
    ) -> InputCell | None:
        dest = self.cell_of(name, code, label)
        if dest is None:
            return None
        if self.formula(dest, code):
            raw, kind, value, parsed = None, "formula", math.nan, None
        else:
            raw = self.wbd.value(*dest)
            kind, value, parsed = classify(raw, rule.whole)
        ic = InputCell(rule.field, code, name, dest[0], dest[1], raw, kind, value, parsed, rule, label)
        if count:
            self.out.inputs.append(ic)
        return ic

    def element(self, element_id: str, name: str, status: str, reason: str, rule: InputRule) -> None:
        """One element: its value, and its status and reason (a «Không có số liệu» mark: no data)."""
        status_dest, reason_dest = _locate(self.wbd, status), _locate(self.wbd, reason)
        mark = self.text(status_dest)
        ic = self.numeric(name, rule, None, rule.label, count=False)
        if ic is None:
            return
        ic.element, ic.status, ic.reason = element_id, mark, self.text(reason_dest)
        ic.status_cell = status_dest[1] if status_dest else None
        ic.reason_cell = reason_dest[1] if reason_dest else None
        if mark is not None and mark.strip() == NO_DATA:
            ic.kind, ic.value, ic.parsed = "nodata", math.nan, None
            if ic.reason is None and reason_dest is not None:
                self.out.issues.append(
                    issue(
                        "no-data-without-reason",
                        reason_dest[0],
                        reason_dest[1],
                        what=rule.label,
                        status_cell=ic.status_cell or "",
                    )
                )
        self.out.inputs.append(ic)
        self.out.elements[element_id] = ic

    def measure(self, m: Measure, src: str, notes: str, value_cell: str | None) -> None:
        num = self.out.elements.get(m.numerator_element or "")
        den = self.out.elements.get(m.denominator_element or "") if m.denominator_element else None
        source, note = self.text(_locate(self.wbd, src)), self.text(_locate(self.wbd, notes))
        self.out.measures.append(MeasureCells(m.code, num, den, value_cell, source, note))


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


def _usable(ic: InputCell | None) -> float:
    """An element's value where it is a typed number (not marked no data), else NaN."""
    return ic.value if ic is not None and ic.kind == "number" else math.nan


def batch_rows(
    file_index: int, ex: Extracted, plan: Plan, agency: str, year: int, history: Any
) -> list[tuple[Any, ...]]:
    """One tuple (ROW_FIELDS order) per numeric input of this file (ex.inputs order: each element
    once, then the budget), then one per measure (ex.measures order), whose rate the batch computes.

    Input rows carry the cell checks and the element's own year-on-year check; measure rows
    (kind "measure", never checked as cells) carry the numerator and denominator values, so rates,
    zero denominators, plausibility and the measure's year-on-year check need no second pass.
    Tuples, not 18 per-column appends per input: the batch transposes all files' rows once.
    """
    nan = math.nan
    rows = []
    for ic in ex.inputs:
        rule = ic.rule
        if ic.element is not None:
            prev, prev_year = previous(history, agency, ic.element, year)
            vmax = MAX_COUNT
        else:
            prev = prev_year = nan
            vmax = MAX_BUDGET_MILLION_VND
        rows.append(
            (
                file_index,
                ic.field,
                ic.element or "",
                ic.sheet,
                ic.cell,
                ic.kind,
                ic.value,
                rule.whole,
                float(rule.minimum),
                rule.required,
                False,
                nan,
                nan,
                False,
                nan,
                prev,
                prev_year,
                vmax,
            )
        )
    for mc in ex.measures:
        m = plan.measure_by_code[mc.code]
        prev, prev_year = previous(history, agency, mc.code, year)
        pmax = _pmax(plan, m.code)
        num = mc.numerator
        rows.append(
            (
                file_index,
                "measure",
                mc.code,
                num.sheet if num else "",
                mc.value_cell or (num.cell if num else ""),
                "measure",
                _usable(num),
                False,
                0.0,
                False,
                bool(m.proportion and m.denominator_element),
                _usable(mc.denominator),
                m.scale,
                bool(m.denominator_element),
                pmax if pmax is not None else nan,
                prev,
                prev_year,
                MAX_COUNT,
            )
        )
    return rows
