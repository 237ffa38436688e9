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

Received time (for lateness and for ordering resubmissions): see `received.py`. Lateness compares
the received *date* with the deadline, so a file received on 15 December, at any hour, is on time.

Safety (see `guard.py`): one consolidation per workspace at a time, no output over an input, any file
name recorded (escaped), and every disk or ledger fault a coded error with the ledger as it was.

Completeness, lateness and status of the year: see `outcome.py`.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from xltoolkit import config
from xltoolkit import workspace as layout
from xltoolkit.consolidation.blank import refuse_blank_forms, report_has_figures
from xltoolkit.consolidation.coverage import build_result, earlier_series, result_and_counts
from xltoolkit.consolidation.guard import (
    check_output,
    disk_error,
    escape_strings,
    ledger_error,
    named_for_other_unit,
    safe_name,
    workspace_lock,
)
from xltoolkit.consolidation.ledger import Ledger, Record
from xltoolkit.consolidation.received import (
    SPREADSHEET_SUFFIXES,
    Overrides,
    ReceivedAt,
    future_issue,
    parse_received_at,
    received_time,
)
from xltoolkit.consolidation.results import (
    ConsolidationResult,
    SkippedFile,
    issue_to_dict,
)
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import issue
from xltoolkit.plan.aggregate import Trends, trends
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.validation.read import is_lock_file

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
#: Earlier values the validator compares with: (agency, code) -> {year: value}.
AgencySeries = Mapping[tuple[str, str], Mapping[int, float]]

__all__ = [
    "build_result",
    "consolidate",
    "default_output",
    "parse_received_at",
    "read_trends",
    "returned_files",
    "scan_folder",
]


def default_output(workspace: str | Path, year: int) -> Path:
    return layout.summary_path(workspace, year)


def read_trends(plan: Plan, upto_year: int, *, workspace: str | Path = layout.DEFAULT_WORKSPACE) -> Trends:
    """The series of the ledger of `workspace` for years ``<= upto_year`` (read-only; empty if none yet).

    For the add-in (trend of a district's own value) and the summary (provincial trend).
    """
    with Ledger(workspace, create=False) as led:
        values = led.values(upto_year=upto_year, plan_id=plan.id)
    return trends(values, plan)


# ------------------------------------------------------------------------------------------ intake


#: Files an operating system leaves in any folder: never an officer's return, never listed.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
NOT_A_SPREADSHEET = (
    "không phải sổ làm việc Excel (.xlsx) nên không được kiểm tra, tổng hợp; nếu đây là báo cáo "
    "(lưu thành .csv, .pdf, nén .zip...), hãy đề nghị đơn vị gửi lại đúng biểu mẫu .xlsx"
)


def _sent_as_other_format(p: Path) -> bool:
    """A regular file that is not a spreadsheet: a report saved as .csv or .pdf, zipped, or renamed.

    Listed so the officer sees why a unit counts as not having sent anything (a silently ignored
    `bao-cao.csv` reads as a missing unit); subfolders and the system's own files are not returns.
    """
    name = p.name.lower()
    return name not in SYSTEM_FILES and not name.startswith("._") and p.is_file()


def scan_folder(folder: Path, exclude: Path | None = None) -> tuple[list[Path], list[SkippedFile]]:
    """Spreadsheets directly in `folder`, in name order, and the ones not taken in, with why.

    The same rule as `validate` (a dot-prefixed name is read like any other); Excel's lock files
    (``~$…``) hold no data and are named as skipped, so the officer sees every file accounted for.
    `exclude`: the summary being written, when it is written into the folder itself.
    """
    out: list[Path] = []
    skipped: list[SkippedFile] = []
    skip = exclude.resolve() if exclude else None
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in SPREADSHEET_SUFFIXES:
            if _sent_as_other_format(p):
                skipped.append(SkippedFile(safe_name(p.name), "not-a-spreadsheet", NOT_A_SPREADSHEET))
            continue
        if skip is not None and p.name == skip.name and p.resolve() == skip:
            continue
        name = safe_name(p.name)
        if is_lock_file(p):
            skipped.append(
                SkippedFile(
                    name, "lock-file", "tệp khóa tạm của Excel (tạo ra khi tệp đang mở), không phải báo cáo"
                )
            )
        elif not p.is_file():
            skipped.append(
                SkippedFile(name, "not-a-file", "không phải tệp thông thường (thư mục hoặc liên kết hỏng)")
            )
        else:
            out.append(p)
    return out, skipped


def returned_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Spreadsheets of `folder` taken in by `consolidate` (see `scan_folder`)."""
    return scan_folder(folder, exclude)[0]


def _hashes(paths: list[Path], skipped: list[SkippedFile]) -> tuple[list[Path], list[str]]:
    """Content hashes of the files that can be read; a file that cannot is skipped, not fatal."""
    kept: list[Path] = []
    hashes: list[str] = []
    for p in paths:
        try:
            hashes.append(sha256_file(p))
        except OSError as e:
            skipped.append(
                SkippedFile(safe_name(p.name), "unreadable", f"không đọc được tệp ({e.strerror or e})")
            )
            continue
        kept.append(p)
    return kept, hashes


def _duplicates(paths: list[Path], hashes: list[str]) -> list[SkippedFile]:
    """Copies of a file already in the folder (the same report sent twice, under two names).

    The content is taken in once, under the first name; each copy is named with the file it
    repeats, as `validate` does (`duplicate-file`), so no file of the folder goes unmentioned.
    """
    first: dict[str, str] = {}
    out: list[SkippedFile] = []
    for p, h in zip(paths, hashes, strict=True):
        if h in first:
            text = f"trùng nội dung với tệp «{first[h]}» trong thư mục (cùng một báo cáo, chỉ tính một lần)"
            out.append(SkippedFile(safe_name(p.name), "duplicate-file", text))
        else:
            first[h] = safe_name(p.name)
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

    found = issue(CRASHED, name=safe_name(path.name), reason=f"{type(err).__name__}: {err}")
    return FileReport(path=str(path), issues=[found], integrity_ok=False)


#: Below this many new files a process pool costs more than it saves.
POOL_MIN_FILES = 300
POOL_CHUNK = 150
POOL_MIN_CHUNK = 25
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


def pool_chunks(paths: list[T], workers: int) -> list[list[T]]:
    """`paths` cut into consecutive chunks of at most POOL_CHUNK, shrinking towards the end.

    Each chunk carries a fixed cost (its own batch of checks), so chunks are large while much work
    remains; the last ones are small so that no worker is left alone on a long chunk while the
    others idle. A chunk is never smaller than POOL_MIN_CHUNK files."""
    chunks: list[list[T]] = []
    at = 0
    while at < len(paths):
        left = len(paths) - at
        size = max(POOL_MIN_CHUNK, min(POOL_CHUNK, left // (2 * max(workers, 1))))
        chunks.append(paths[at : at + size])
        at += size
    return chunks


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

    chunks = pool_chunks(paths, workers)
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


def _known_agency(rep: Any, plan: Plan) -> str | None:
    """The file's agency when it reports in the file's own year (a 2024 district file stays a
    district's, whichever year is being consolidated)."""
    year_plan = plan.for_year(int(rep.year)) if rep.year is not None else plan
    return rep.agency if rep.agency in year_plan.agency_by_id else None


def _record(
    path: Path, sha: str, rep: Any, received: tuple[datetime, bool, bool], archived: str, plan: Plan
) -> Record:
    """`received`: the received time, whether the officer gave it, whether the file's own time was
    in the future (then flagged); `archived`: the archive copy, relative to the workspace."""
    agency = _known_agency(rep, plan)
    integrity = bool(rep.integrity_ok) and agency is not None and rep.year is not None
    year = int(rep.year) if rep.year is not None else None
    misnamed = named_for_other_unit(path.name, agency, year, plan)
    extra = [future_issue(path)] if received[2] else []
    extra += [misnamed] if misnamed is not None else []
    issues = [*rep.issues, *extra]
    report = escape_strings({**rep.to_dict(), "issues": [issue_to_dict(i) for i in issues]})
    narrative = {
        "tasks": list(rep.tasks or []),
        "budget": dict(rep.budget) if rep.budget else None,
        "difficulties": rep.difficulties,
    }
    return Record(
        sha256=sha,
        agency=agency,
        year=int(rep.year) if rep.year is not None else None,
        original_name=safe_name(path.name),
        received_at=received[0],
        received_given=received[1],
        archive_path=archived,
        integrity_ok=integrity,
        valid=bool(rep.valid),
        errors=len(rep.errors),
        warnings=len(rep.warnings) + len(extra),
        report=report,
        narrative=escape_strings(narrative),
        values=_value_rows(rep) if integrity else None,
        plan_id=plan.id,
        elements=list(getattr(rep, "element_rows", None) or []) if integrity else [],
    )


# ------------------------------------------------------------------------------------------ entry


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
    Raises `XltoolkitError` (`workspace-locked`, `output-overwrites-input`, `disk-full`,
    `workspace-read-only`, `ledger-unreadable`...) with the ledger left as it was.
    """
    plan = plan or load_plan()
    lo, hi = plan.period
    if not lo <= year <= hi:
        raise XltoolkitError("year-outside-plan", f"Năm {year} nằm ngoài giai đoạn của kế hoạch ({lo}-{hi}).")
    # the edition in force that year: its units are the expected ones, its consolidator signs
    plan = plan.for_year(year)
    src = Path(folder)
    if not src.is_dir():
        raise XltoolkitError("folder-not-found", f"Không tìm thấy thư mục tệp báo cáo: {src}")
    ws = Path(workspace)
    secret = secret if secret is not None else config.fingerprint_secret()
    out_path = Path(output) if output else default_output(ws, year)
    check_output(out_path, ws, src)
    overrides = Overrides(received_at, plan)
    paths, skipped = scan_folder(src, exclude=out_path)
    paths, hashes = _hashes(paths, skipped)
    skipped += _duplicates(paths, hashes)
    with workspace_lock(ws):
        stage = "khi lưu trữ tệp nhận về và ghi sổ theo dõi"
        try:
            # the result, and the years' counts it was built from (the summary's history tables)
            result, history = _intake(ws, plan, year, paths, hashes, overrides, secret)
            stage = "khi ghi tệp tổng hợp"
            from xltoolkit.summary.workbook import write_summary

            result.summary_path = write_summary(result, plan, out_path, history=history)
        except sqlite3.Error as e:
            raise ledger_error(e, layout.ledger_path(ws)) from None
        except OSError as e:
            raise disk_error(e, Path(e.filename) if e.filename else ws, stage) from None
    result.skipped = skipped
    return result


def _intake(
    ws: Path,
    plan: Plan,
    year: int,
    paths: list[Path],
    hashes: list[str],
    overrides: Overrides,
    secret: bytes | None,
) -> tuple[ConsolidationResult, pd.DataFrame]:
    """Archive, validate and record the new files in one transaction; the year's result."""
    from xltoolkit.validation.validate import gc_paused

    with Ledger(ws) as led, gc_paused():
        known = led.known(hashes)
        # a file the validator crashed on is not the file's fault: validate it again (a fixed
        # validator then records it properly), keeping the received time first recorded
        retry = {h for h, row in known.items() if row["state"] == "rejected" and CRASHED in row["report"]}
        new: dict[str, Path] = {}
        for p, h in zip(paths, hashes, strict=True):
            if (h not in known or h in retry) and h not in new:
                new[h] = p
        earlier = {} if not new else earlier_series(led, plan, year)

        # archived while the workers validate, before any report is used (see `_validate`)
        def copies() -> list[Path]:
            return led.archive_many((p, s) for s, p in new.items())

        reports, archived = _validate(list(new.values()), plan, earlier, secret, copies)
        now = datetime.now().replace(microsecond=0)
        records = []
        for (sha, p), rep, copy in zip(new.items(), reports, archived, strict=True):
            agency = _known_agency(rep, plan)
            received = received_time(p, agency, known.get(sha), overrides, now)
            records.append(_record(p, sha, rep, received, led.stored_path(copy), plan))
        refuse_blank_forms(led, records, [report_has_figures(rep) for rep in reports])
        with led.transaction() as conn:
            led.forget_rejected(conn, retry)
            led.add(conn, records, now)
            groups = {(r.agency, r.year) for r in records if r.integrity_ok}
            for p, h in zip(paths, hashes, strict=True):
                row = known.get(h)
                when = overrides.get(p.name, row["agency"]) if row is not None and h not in retry else None
                if row is not None and when is not None and when.isoformat() != row["received_at"]:
                    led.set_received_at(conn, h, when)
                    if row["state"] != "rejected":
                        groups.add((row["agency"], row["year"]))
            led.resolve(conn, groups)
        return result_and_counts(led, plan, year, hashes)
