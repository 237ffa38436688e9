"""Validate returned workbooks: the public API used by the CLI, the consolidator and the Excel add-in.

Pipeline, cheapest first:
  1. per file: size/magic/zip-directory checks (read.py) -> WorkbookData (calamine + package XML);
  2. per file: metadata, fingerprint, and only on mismatch a cell diff (integrity.py);
  3. per file: inputs found by defined name (extract.py), as rows of one batch frame;
  4. once per run: the plan-generated pandera schema over all rows (schema.py), failures mapped back
     to file, sheet and cell.
The add-in path (`validate_values`) enters at step 2 with a WorkbookData built from sheet values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from xltoolkit import config
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan, ValidationRule, load_plan
from xltoolkit.validation.batch import gc_paused, map_chunks
from xltoolkit.validation.extract import (
    MAX_BUDGET_MILLION_VND,
    MAX_COUNT,
    ROW_FIELDS,
    Extracted,
    InputCell,
    MeasureCells,
    batch_rows,
    extract,
)
from xltoolkit.validation.integrity import check_meta, check_structure, expected_shape
from xltoolkit.validation.read import FileRefused, WorkbookData, from_values, is_lock_file, read_file
from xltoolkit.validation.results import FileReport, ValidationReport
from xltoolkit.validation.rules import rule_frame
from xltoolkit.validation.schema import add_rates, run_checks, run_rule_checks
from xltoolkit.vn_numbers import format_vi, format_vi_grouped
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, META_SHEET, REPORT_SHEET, TemplateLayout

History = Mapping[tuple[str, str], Mapping[int, float]]

__all__ = [
    "FileReport",
    "ValidationReport",
    "gc_paused",
    "validate_paths",
    "validate_values",
    "validate_workbook",
]

#: Files a folder is searched for (other spreadsheet formats are listed so they get a clear message).
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
MAX_ISSUES_PER_FILE = 300
#: Structure issues after which no input can be read where it belongs.
_UNREADABLE = {"sheet-missing", "sheet-renamed"}


@dataclass
class _Pending:
    """One file between the per-file stage and the batch stage."""

    report: FileReport
    wbd: WorkbookData | None = None
    layout: TemplateLayout | None = None
    extracted: Extracted | None = None
    issues: list[Issue] = field(default_factory=list)


# ----------------------------------------------------------------------------------------- public


def validate_workbook(
    path: str | Path,
    plan: Plan | None = None,
    *,
    year: int | None = None,
    agency: str | None = None,
    history: History | None = None,
    secret: bytes | None = None,
    engine: str = "calamine",
) -> ValidationReport:
    """Validate one returned workbook; `agency`/`year`, when given, are what the file must be for."""
    return _run([Path(path)], plan, year=year, agency=agency, history=history, secret=secret, engine=engine)


def validate_paths(
    paths: Iterable[str | Path],
    plan: Plan | None = None,
    *,
    year: int | None = None,
    history: History | None = None,
    secret: bytes | None = None,
    engine: str = "calamine",
    workers: int = 1,
) -> ValidationReport:
    """Validate files and folders (searched recursively for workbooks) in one batch.

    Excel's lock files (~$…) inside folders are skipped silently; named explicitly, they are reported.
    `workers` > 1 reads files in that many processes (worth it from a few hundred files); the
    pandera checks still run once, over all rows, in this process.
    """
    return _run(
        expand_paths(paths), plan, year=year, history=history, secret=secret, engine=engine, workers=workers
    )


def validate_values(
    sheets: dict[str, list[list[Any]]],
    names: dict[str, tuple[str, str]] | list[dict[str, str]],
    plan: Plan | None = None,
    *,
    year: int | None = None,
    agency: str | None = None,
    history: History | None = None,
    path: str = "",
) -> ValidationReport:
    """Validate sheet values sent by the Excel add-in (grids from A1; names as {name, sheet, address}).

    Formulas, merges and protection are not available there, so the fingerprint is not checked (no
    issue raised); metadata (agency, year) and all value checks run exactly as for files.
    """
    plan = plan or load_plan()
    pending = _Pending(FileReport(path=path))
    wbd = from_values(sheets, names)
    _check_workbook(pending, wbd, plan, year, agency, None)
    report = ValidationReport([pending.report])
    _batch([pending], _plan_of(pending, plan), history)
    return report


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = [
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES and not is_lock_file(f)
            ]
            out += sorted(found)
        else:
            out.append(p)
    return out


# ----------------------------------------------------------------------------------------- per file


def _run(
    paths: list[Path],
    plan: Plan | None,
    *,
    year: int | None,
    history: History | None,
    secret: bytes | None,
    agency: str | None = None,
    engine: str = "calamine",
    workers: int = 1,
) -> ValidationReport:
    plan = plan or load_plan()
    secret = secret if secret is not None else config.fingerprint_secret()
    job = _Job(plan, year, agency, secret, engine)
    pendings = map_chunks(_prepare_chunk, paths, job, workers)
    seen: dict[str, str] = {}
    for pending in pendings:
        sha = pending.report.sha256
        if sha is None:
            continue
        if sha in seen:
            pending.report.issues.append(issue("duplicate-file", other=Path(seen[sha]).name))
        else:
            seen[sha] = pending.report.path
    with gc_paused():
        _batch_safely(pendings, plan, history)
    return ValidationReport([p.report for p in pendings])


def _batch_safely(pendings: list[_Pending], plan: Plan, history: History | None) -> None:
    """The batch stage; should it fail on some unforeseen value, each file again on its own, and a
    file that still fails gets a report saying so: one file never costs the others theirs."""
    before = {id(p): list(p.report.issues) for p in pendings}
    try:
        for group, year_plan in _by_edition(pendings, plan):
            _batch(group, year_plan, history)
        return
    except Exception:
        pass
    for p in pendings:
        p.report.issues = list(before[id(p)])
        try:
            _batch([p], _plan_of(p, plan), history)
        except Exception:
            p.report.issues = [*before[id(p)], issue("read-failed")]
            p.report.integrity_ok, p.report.value_rows, p.report.budget = False, [], None


def _plan_of(p: _Pending, plan: Plan) -> Plan:
    """The plan a file is checked against: the edition of the year its metadata names."""
    year = p.report.year
    return plan.for_year(year) if year is not None and p.report.agency else plan


def _by_edition(pendings: list[_Pending], plan: Plan) -> list[tuple[list[_Pending], Plan]]:
    """Files grouped by their year's plan (one batch per year: 2024 district files and 2025 commune
    files of one run each meet their own edition's measures, rules and leads)."""
    groups: dict[int | None, list[_Pending]] = {}
    for p in pendings:
        key = p.report.year if p.report.agency else None
        groups.setdefault(key, []).append(p)
    return [(g, plan.for_year(y) if y is not None else plan) for y, g in groups.items()]


@dataclass(frozen=True)
class _Job:
    """What every file of a run is checked against (sent once per chunk to a worker process)."""

    plan: Plan
    year: int | None
    agency: str | None
    secret: bytes | None
    engine: str


def _prepare_chunk(paths: list[Path], job: _Job) -> list[_Pending]:
    return [_prepare(path, job) for path in paths]


def _prepare(path: Path, job: _Job) -> _Pending:
    """Read and check one file; whatever happens, the result is a report, never an exception."""
    pending = _Pending(FileReport(path=str(path)))
    rep = pending.report
    try:
        raw, wbd = read_file(path, engine=job.engine)
    except FileRefused as refused:
        rep.issues.append(refused.issue)
        return pending
    except Exception:  # an unforeseen file shape must not stop the other files
        rep.issues.append(issue("read-failed"))
        return pending
    rep.sha256 = raw.sha256
    rep.issues += raw.issues
    try:
        _check_workbook(pending, wbd, job.plan, job.year, job.agency, job.secret)
    except Exception:
        rep.issues.append(issue("read-failed"))
        rep.integrity_ok, pending.extracted = False, None
    pending.wbd = pending.layout = None  # not needed by the batch stage; keeps workers' results small
    return pending


def _check_workbook(
    pending: _Pending,
    wbd: WorkbookData,
    plan: Plan,
    year: int | None,
    agency: str | None,
    secret: bytes | None,
) -> None:
    """Integrity first; inputs are extracted when we know which layout the file claims to follow."""
    rep = pending.report
    meta = check_meta(wbd, plan, year, agency)
    rep.issues += meta.issues
    rep.meta = meta.meta
    if meta.agency is not None:
        rep.agency = meta.agency.id
    rep.year = meta.year
    if meta.fatal or meta.agency is None or meta.year is None or meta.plan is None:
        rep.integrity_ok = False
        return
    plan = meta.plan
    structure, ok = check_structure(wbd, plan, meta.agency, meta.year, meta.meta, secret)
    rep.issues += structure
    rep.integrity_ok = ok
    lay, _ = expected_shape(plan, meta.agency, meta.year)
    # Inputs already reported (name gone or altered, sheet gone or renamed) are not read at all:
    # one clear error each, not a «Chưa nhập» per input, and never a value read through an altered name.
    gone = {i.sheet for i in structure if i.code in _UNREADABLE}
    reported = {(i.sheet, i.cell) for i in structure if i.code in ("name-missing", "name-redirected")}
    already = {inp.name for inp in lay.inputs if (inp.sheet, inp.ref) in reported or inp.sheet in gone}
    for name in already:
        wbd.names.pop(name, None)
    pending.wbd, pending.layout = wbd, lay
    pending.extracted = extract(wbd, lay, already)
    rep.issues += pending.extracted.issues
    rep.tasks = pending.extracted.tasks
    rep.difficulties = pending.extracted.difficulties
    rep.reporter, rep.phone = pending.extracted.reporter, pending.extracted.phone


# ----------------------------------------------------------------------------------------- batch


def _batch(pendings: list[_Pending], plan: Plan, history: History | None) -> None:
    """One pandera call over the inputs and measures of every file, one over the plan's rules, then
    per-file values, budget and blocking."""
    rows: list[tuple[Any, ...]] = []
    owners: list[tuple[_Pending, InputCell | MeasureCells]] = []
    rule_files = []
    for idx, p in enumerate(pendings):
        ex = p.extracted
        if ex is None:
            continue
        rows += batch_rows(idx, ex, plan, p.report.agency or "", p.report.year or 0, history)
        owners += [(p, ic) for ic in ex.inputs]
        owners += [(p, mc) for mc in ex.measures]
        agency = plan.agency_by_id.get(p.report.agency or "")
        if agency is not None:
            rule_files.append((idx, agency, ex.elements))
    columns = zip(*rows, strict=True) if rows else ([] for _ in ROW_FIELDS)
    df = pd.DataFrame({k: list(col) for k, col in zip(ROW_FIELDS, columns, strict=True)})
    if not df.empty:
        df = add_rates(
            df.astype({"value": float, "partner": float, "scale": float, "pmax": float, "vmax": float})
        )
        failures = run_checks(df, plan.checks)
    else:
        failures = []
    rates = df["rate"].tolist() if not df.empty else []
    rate_of = {id(obj): rates[i] for i, (_, obj) in enumerate(owners) if isinstance(obj, MeasureCells)}
    count: dict[int, int] = {}

    def add(p: _Pending, found: Issue) -> None:
        n = count[id(p)] = count.get(id(p), 0) + 1
        if n <= MAX_ISSUES_PER_FILE:
            p.report.issues.append(found)

    if failures:
        # Plain lists, not df.iloc per failure: an all-empty run can fail 100,000 rows at once.
        numbers = {k: df[k].tolist() for k in ("rate", "pmax", "prev", "prev_year")}
        for row, code in failures:
            p, obj = owners[row]
            add(p, _value_issue(code, obj, p, {k: v[row] for k, v in numbers.items()}, plan))
    rule_df, rule_owners = rule_frame(plan, rule_files)
    lefts, rights = rule_df["left"].tolist(), rule_df["right"].tolist()
    for row in run_rule_checks(rule_df):
        idx, rule = rule_owners[row]
        p = pendings[idx]
        assert p.extracted is not None
        left, right = float(lefts[row]), float(rights[row])
        for found in _rule_issues(rule, left, right, p.extracted, plan):
            add(p, found)
    for p in pendings:
        if p.extracted is not None:
            _finish(p, plan, rate_of)
        p.report.issues.sort(key=_issue_order)
        if len(p.report.issues) > MAX_ISSUES_PER_FILE:
            p.report.issues = p.report.issues[:MAX_ISSUES_PER_FILE]


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
