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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from xltoolkit import config
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.validation.batch import gc_paused, map_chunks
from xltoolkit.validation.extract import ROW_FIELDS, InputCell, MeasureCells, batch_rows, extract
from xltoolkit.validation.findings import _finish, _issue_order, _Pending, _rule_issues, _value_issue
from xltoolkit.validation.integrity import check_meta, check_structure, expected_shape
from xltoolkit.validation.read import FileRefused, WorkbookData, from_values, is_lock_file, read_file
from xltoolkit.validation.results import FileReport, ValidationReport
from xltoolkit.validation.rules import rule_frame
from xltoolkit.validation.schema import add_rates, run_checks, run_rule_checks

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
    issue raised); the layout is still compared with the template (names, measure rows, locked
    text), and metadata (agency, year) and all value checks run exactly as for files.
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
    # a file named twice (or inside a folder also named) is checked once, not flagged as its own copy
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.resolve() if p.exists() else p
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


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
