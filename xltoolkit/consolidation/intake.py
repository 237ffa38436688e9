"""Consolidation: intake of returned files into the ledger, then the provincial result for a year.

`consolidate()` is the one entry point the CLI and the add-in call. It never prints or exits; it
returns a `ConsolidationResult` and raises `XltoolkitError` for user-facing failures.

Steps: hash every spreadsheet directly in the folder -> validate the hashes the ledger has not seen
(in a process pool when there are many) while archiving them (the copies complete before any report
is used, so nothing can fail before a file is archived) -> record them in
one SQLite transaction -> recompute which submission is accepted per (agency, year) -> build the year's
result from the ledger, not from the folder, so a file removed after intake still counts -> write the
summary. A re-run validates nothing it has seen, so it is fast and returns the same result.

Supersede rule: per (agency, year) the file received last is accepted, even when it has errors (it is
the agency's latest word; its blocked measures are left out and its issues reported so it is fixed
and sent again). A file failing integrity checks is never used and supersedes nothing.

Received time (for lateness and for ordering resubmissions) is recorded when a hash is first seen:
the file's modification time, unless the officer gives `received_at`. A correction given later for a
known file updates its recorded time (and may reorder that agency's submissions: that is the point).
`received_at` keys: an agency id, an official agency code, or a file name; or one value for all.
A date without a time means midnight; lateness compares the received *date* with the deadline, so a
file received on 15 December, at any hour, is on time.

Completeness: `received` = agencies with an accepted submission for the year (an agency whose only
files failed integrity checks is `missing`: nothing usable arrived); `late` = received agencies whose
*first* usable file arrived after the deadline (a later correction does not make an agency late).

Status: computed only for a value of the year itself; a measure without a usable value this year is
``not_available`` (an old value is not presented as this year's status).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from xltoolkit import config
from xltoolkit import workspace as layout
from xltoolkit.consolidation.ledger import Ledger, Record, to_submission
from xltoolkit.consolidation.results import (
    BudgetLine,
    ConsolidationResult,
    DistrictMeasure,
    DistrictResult,
    FileOutcome,
    MeasureResult,
    Narrative,
    TaskResult,
    issue_from_dict,
    issue_to_dict,
)
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import Issue
from xltoolkit.plan.aggregate import Trends, agency_series, trends
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.plan.status import assess

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})

When = date | datetime | str
ReceivedAt = Mapping[str, When] | When | None

T = TypeVar("T")
#: Earlier values the validator compares with: (agency, code) -> {year: value}.
AgencySeries = Mapping[tuple[str, str], Mapping[int, float]]

__all__ = ["consolidate", "default_output", "parse_received_at", "read_trends", "returned_files"]


def default_output(workspace: str | Path, year: int) -> Path:
    return layout.summary_path(workspace, year)


def read_trends(plan: Plan, upto_year: int, *, workspace: str | Path = layout.DEFAULT_WORKSPACE) -> Trends:
    """The series of the ledger of `workspace` for years ``<= upto_year`` (read-only; empty if none yet).

    For the add-in (trend of a district's own value) and the summary (provincial trend).
    """
    with Ledger(workspace, create=False) as led:
        values = led.values(upto_year=upto_year, plan_id=plan.id)
    return trends(values, plan)


# ------------------------------------------------------------------------------------ received time


def _to_datetime(value: When) -> datetime:
    """Naive local time to the second: the ledger compares received times as ISO text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    try:
        if len(text) == 10 and "/" in text:  # 20/12/2026, as officers write it
            return datetime.strptime(text, "%d/%m/%Y")
        return _to_datetime(datetime.fromisoformat(text))
    except ValueError:
        raise XltoolkitError(
            "bad-received-at",
            f"Ngày nhận '{value}' không đúng dạng; dùng NNNN-TT-NN (ví dụ 2026-12-20) hoặc NN/TT/NNNN.",
        ) from None


def parse_received_at(items: Sequence[str]) -> dict[str, datetime] | datetime | None:
    """CLI form: ``KEY=DATE`` (repeatable) or a single ``DATE`` for every file."""
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        return _to_datetime(items[0])
    out: dict[str, datetime] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise XltoolkitError(
                "bad-received-at",
                f"'{item}': dùng dạng MÃ-CƠ-QUAN=NGÀY (ví dụ h-ben-luc=2026-12-20), "
                "hoặc một ngày cho tất cả.",
            )
        out[key.strip()] = _to_datetime(value)
    return out


class _Overrides:
    """Officer-given received times, looked up by file name, then agency id/code, then for all."""

    def __init__(self, received_at: ReceivedAt, plan: Plan):
        self.all: datetime | None = None
        self.by_key: dict[str, datetime] = {}
        if received_at is None:
            return
        if isinstance(received_at, Mapping):
            for key, value in received_at.items():
                when = _to_datetime(value)
                if Path(key).suffix.lower() in SPREADSHEET_SUFFIXES:
                    self.by_key[Path(key).name] = when
                else:
                    self.by_key[plan.agency(key).id] = when
        else:
            self.all = _to_datetime(received_at)

    def get(self, name: str, agency: str | None) -> datetime | None:
        if name in self.by_key:
            return self.by_key[name]
        if agency and agency in self.by_key:
            return self.by_key[agency]
        return self.all


# ------------------------------------------------------------------------------------------ intake


def returned_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Spreadsheets directly in `folder`, in name order; Office lock files and hidden files skipped."""
    skip = exclude.resolve() if exclude else None
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(("~$", ".")) or p.suffix.lower() not in SPREADSHEET_SUFFIXES:
            continue
        if skip is not None and p.name == skip.name and p.resolve() == skip:
            continue
        if p.is_file():
            out.append(p)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


CRASHED = "validator-crashed"


def _crashed(path: Path, err: BaseException) -> Any:
    """A report for a file the validator could not handle: archived and recorded, never used."""
    from xltoolkit.validation.validate import FileReport

    msg = f"Không kiểm tra được tệp {path.name}: {type(err).__name__}: {err}"
    return FileReport(path=str(path), issues=[Issue(CRASHED, "error", msg)], integrity_ok=False)


#: Below this many new files a process pool costs more than it saves.
POOL_MIN_FILES = 300
POOL_CHUNK = 150
_POOL_ARGS: tuple[Plan, AgencySeries, bytes | None] | None = None  # inherited by forked workers


def pool_size(n_files: int) -> int:
    """Worker processes for validating `n_files`: 1 (in-process) unless a pool can pay off.

    Only with the 'fork' start method (workers inherit the imported validator instead of importing
    pandas and pandera again) and only from a single-threaded process (forking a threaded server such
    as the add-in's could deadlock). XLTOOLKIT_WORKERS overrides the count (1 = never a pool).
    """
    env = os.environ.get("XLTOOLKIT_WORKERS", "").strip()
    if env.isdigit() and int(env) <= 1:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    if env.isdigit():
        return int(env)
    if n_files < POOL_MIN_FILES:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


def _validate_chunk(paths: list[Path]) -> list[Any]:
    assert _POOL_ARGS is not None
    return _validate_serial(paths, *_POOL_ARGS)


def _validate(
    paths: list[Path], plan: Plan, history: AgencySeries, secret: bytes | None, meanwhile: Callable[[], T]
) -> tuple[list[Any], T]:
    """FileReports in the order of `paths` (in a process pool when there are many), and what
    `meanwhile()` returned.

    `meanwhile` (the archive copies, mostly system calls) runs in this process while the workers
    validate and completes before any report is looked at; without a pool it runs first. So a file
    is archived before anything done with it can fail.
    """
    global _POOL_ARGS
    workers = pool_size(len(paths))
    if workers <= 1:
        done = meanwhile()
        return _validate_serial(paths, plan, history, secret), done
    import xltoolkit.validation.validate  # noqa: F401  (imported once here, inherited by the workers)

    chunks = [paths[i : i + POOL_CHUNK] for i in range(0, len(paths), POOL_CHUNK)]
    _POOL_ARGS = (plan, history, secret)
    try:
        ctx = multiprocessing.get_context("fork")
        # the workers are forked on the first submit, before this process starts any thread
        pool = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=ctx)
        futures = [pool.submit(_validate_chunk, chunk) for chunk in chunks]
    except (OSError, BrokenProcessPool):  # no processes available: same work, in-process
        _POOL_ARGS = None
        done = meanwhile()
        return _validate_serial(paths, plan, history, secret), done
    try:
        with pool:
            try:
                done = meanwhile()  # its own errors propagate (the pending chunks are cancelled)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            try:
                return [rep for f in futures for rep in f.result()], done
            except (OSError, BrokenProcessPool):  # a worker died: same work, in-process
                pass
        return _validate_serial(paths, plan, history, secret), done
    finally:
        _POOL_ARGS = None


def _validate_serial(paths: list[Path], plan: Plan, history: AgencySeries, secret: bytes | None) -> list[Any]:
    """FileReports in the order of `paths`; one broken file never stops the others."""
    if not paths:
        return []
    from xltoolkit.validation.validate import validate_paths

    try:
        files = validate_paths(paths, plan, history=history, secret=secret).files
        if len(files) == len(paths):
            return list(files)
        by_path = {f.path: f for f in files}
        return [by_path.get(str(p)) or _validate_one(p, plan, history, secret) for p in paths]
    except Exception:
        return [_validate_one(p, plan, history, secret) for p in paths]


def _validate_one(path: Path, plan: Plan, history: AgencySeries, secret: bytes | None) -> Any:
    from xltoolkit.validation.validate import validate_paths

    try:
        files = validate_paths([path], plan, history=history, secret=secret).files
        return files[0] if files else _crashed(path, RuntimeError("no report"))
    except Exception as e:
        return _crashed(path, e)


def _value_rows(rep: Any) -> Any:
    """The validator's raw value tuples when it offers them (cheap), else its `values` frame."""
    rows = getattr(rep, "value_rows", None)
    return rows if rows is not None else rep.values


def _record(
    path: Path, sha: str, rep: Any, received: tuple[datetime, bool], archived: Path, plan: Plan
) -> Record:
    """`received`: the received time and whether the officer gave it."""
    agency = rep.agency if rep.agency in plan.agency_by_id else None
    integrity = bool(rep.integrity_ok) and agency is not None and rep.year is not None
    report = {**rep.to_dict(), "issues": [issue_to_dict(i) for i in rep.issues]}
    narrative = {
        "tasks": list(rep.tasks or []),
        "budget": dict(rep.budget) if rep.budget else None,
        "difficulties": rep.difficulties,
    }
    return Record(
        sha256=sha,
        agency=agency,
        year=int(rep.year) if rep.year is not None else None,
        original_name=path.name,
        received_at=received[0],
        received_given=received[1],
        archive_path=str(archived),
        integrity_ok=integrity,
        valid=bool(rep.valid),
        errors=len(rep.errors),
        warnings=len(rep.warnings),
        report=report,
        narrative=narrative,
        values=_value_rows(rep) if integrity else None,
        plan_id=plan.id,
    )


# ------------------------------------------------------------------------------------------ result


def _measure_results(plan: Plan, year: int, hist: Trends) -> list[MeasureResult]:
    out = []
    for m in plan.measures:
        fig = hist.figures.get((year, m.code))
        trend = {y: v for y, v in hist.provincial.get(m.code, {}).items() if y <= year}
        value = fig.value if fig else None
        status = assess(m, trend if value is not None else {}, year)
        out.append(
            MeasureResult(
                code=m.code,
                value=value,
                district_aggregate=fig.district_aggregate if fig else None,
                department_value=fig.department_value if fig else None,
                source=fig.source if fig else "none",
                status=status,
                numerator_sum=fig.numerator_sum if fig else None,
                denominator_sum=fig.denominator_sum if fig else None,
                districts_used=fig.districts_used if fig else [],
                districts_excluded=fig.districts_excluded if fig else [],
                reconciliation_flag=fig.reconciliation_flag if fig else False,
                trend=trend,
            )
        )
    return out


def _district_results(plan: Plan, year: int, hist: Trends) -> list[DistrictResult]:
    """Every district of the plan, with its own value (None if missing or blocked) and status."""
    out = []
    for d in plan.districts:
        ms = []
        for m in plan.measures:
            series = {y: v for y, v in hist.by_agency.get((d.id, m.code), {}).items() if y <= year}
            value = series.get(year)
            ms.append(DistrictMeasure(m.code, value, assess(m, series if value is not None else {}, year)))
        out.append(DistrictResult(d.id, ms))
    return out


def _other_year(file_year: int, year: int) -> Issue:
    """A file of another year found in this year's folder: recorded under its own year, said so."""
    msg = (
        f"Tệp là báo cáo năm {file_year}, không thuộc kỳ tổng hợp năm {year}; "
        f"đã lưu vào sổ theo dõi năm {file_year} và được dùng khi tổng hợp năm đó."
    )
    return Issue("other-year", "warning", msg)


def _outcome(row: dict[str, Any], year: int) -> FileOutcome:
    """A ledger row's stored report as a typed outcome (plus the other-year note where it applies)."""
    d = json.loads(row["report"])
    issues = [issue_from_dict(i) for i in d.get("issues") or []]
    if row["year"] is not None and row["year"] != year:
        issues.append(_other_year(row["year"], year))
    return FileOutcome(
        path=str(d.get("path") or row["original_name"]),
        agency=d.get("agency"),
        year=d.get("year"),
        valid=bool(d.get("valid")),
        issues=issues,
        sha256=row["sha256"],
        state=row["state"],
    )


def _money(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _narrative(agency: str, stored: str | None) -> tuple[Narrative, BudgetLine]:
    n = json.loads(stored or "{}")
    tasks = [
        TaskResult(str(t.get("task") or ""), str(t.get("result") or ""))
        for t in n.get("tasks") or []
        if isinstance(t, dict)
    ]
    b = n.get("budget") or {}
    return (
        Narrative(agency, tasks, n.get("difficulties")),
        BudgetLine(agency, _money(b.get("state")), _money(b.get("mobilised"))),
    )


def build_result(
    led: Ledger, plan: Plan, year: int, folder_hashes: Sequence[str] = ()
) -> ConsolidationResult:
    """The year's result from the ledger alone (also usable without a folder, e.g. by the add-in)."""
    rows = led.submissions(year, folder_hashes)
    deadline = plan.deadline_for(year)
    subs = [to_submission(r, plan.deadline_for(r["year"]) if r["year"] else None) for r in rows]
    this_year = [r for r in rows if r["year"] == year and r["agency"] in plan.agency_by_id]
    accepted = {r["agency"]: r for r in this_year if r["state"] == "accepted"}
    first: dict[str, datetime] = {}
    for r in this_year:
        if r["state"] != "rejected":
            t = datetime.fromisoformat(r["received_at"])
            first[r["agency"]] = min(first.get(r["agency"], t), t)
    order = [a.id for a in plan.agencies]
    received = [a for a in order if a in accepted]
    late = [a for a in received if first[a].date() > deadline]
    missing = [a for a in order if a not in accepted]

    hist = trends(led.values(upto_year=year, plan_id=plan.id), plan)
    pairs = [_narrative(a, accepted[a]["narrative"]) for a in received]
    return ConsolidationResult(
        year=year,
        plan_id=plan.id,
        received=received,
        late=late,
        missing=missing,
        measures=_measure_results(plan, year, hist),
        districts=_district_results(plan, year, hist),
        submissions=subs,
        file_issues=[_outcome(r, year) for r in rows],
        narratives=[n for n, _ in pairs],
        budget=[b for _, b in pairs],
    )


# ------------------------------------------------------------------------------------------ entry


def _received(path: Path, agency: str | None, known: Any, overrides: _Overrides) -> tuple[datetime, bool]:
    """A new record's received time and whether the officer gave it: the officer's time, else the
    time first recorded (a file validated again), else the file's modification time."""
    given = overrides.get(path.name, agency)
    if given is not None:
        return given, True
    if known is not None:
        return datetime.fromisoformat(known["received_at"]), bool(known["received_given"])
    return datetime.fromtimestamp(os.stat(path).st_mtime).replace(microsecond=0), False


def consolidate(
    folder: str | Path,
    year: int,
    *,
    plan: Plan | None = None,
    workspace: str | Path = layout.DEFAULT_WORKSPACE,
    output: str | Path | None = None,
    received_at: ReceivedAt = None,
    secret: bytes | None = None,
) -> ConsolidationResult:
    """Take in the returned files of `folder`, record them in the ledger, consolidate `year`.

    Idempotent: running again on the same folder records nothing new and returns the same result.
    """
    plan = plan or load_plan()
    lo, hi = plan.period
    if not lo <= year <= hi:
        raise XltoolkitError("year-outside-plan", f"Năm {year} nằm ngoài giai đoạn của kế hoạch ({lo}-{hi}).")
    src = Path(folder)
    if not src.is_dir():
        raise XltoolkitError("folder-not-found", f"Không tìm thấy thư mục tệp báo cáo: {src}")
    secret = secret if secret is not None else config.fingerprint_secret()
    out_path = Path(output) if output else default_output(workspace, year)
    overrides = _Overrides(received_at, plan)

    from xltoolkit.validation.validate import gc_paused

    paths = returned_files(src, exclude=out_path)
    hashes = [sha256_file(p) for p in paths]
    with Ledger(workspace) as led, gc_paused():
        known = led.known(hashes)
        # a file the validator crashed on is not the file's fault: validate it again (a fixed
        # validator then records it properly), keeping the received time first recorded
        retry = {h for h, row in known.items() if row["state"] == "rejected" and CRASHED in row["report"]}
        new: dict[str, Path] = {}
        for p, h in zip(paths, hashes, strict=True):
            if (h not in known or h in retry) and h not in new:
                new[h] = p
        earlier = {} if not new else agency_series(led.values(upto_year=year - 1, plan_id=plan.id), plan)

        # archived while the workers validate, before any report is used (see `_validate`)
        def copies() -> list[Path]:
            return led.archive_many((p, s) for s, p in new.items())

        reports, archived = _validate(list(new.values()), plan, earlier, secret, copies)
        records = []
        for (sha, p), rep, copy in zip(new.items(), reports, archived, strict=True):
            agency = rep.agency if rep.agency in plan.agency_by_id else None
            records.append(_record(p, sha, rep, _received(p, agency, known.get(sha), overrides), copy, plan))
        with led.transaction() as conn:
            led.forget_rejected(conn, retry)
            led.add(conn, records, datetime.now().replace(microsecond=0))
            groups = {(r.agency, r.year) for r in records if r.integrity_ok}
            for p, h in zip(paths, hashes, strict=True):
                row = known.get(h)
                when = overrides.get(p.name, row["agency"]) if row is not None and h not in retry else None
                if row is not None and when is not None and when.isoformat() != row["received_at"]:
                    led.set_received_at(conn, h, when)
                    if row["state"] != "rejected":
                        groups.add((row["agency"], row["year"]))
            led.resolve(conn, groups)
        result = build_result(led, plan, year, hashes)
    from xltoolkit.summary.workbook import write_summary

    result.summary_path = write_summary(result, plan, out_path)
    return result
