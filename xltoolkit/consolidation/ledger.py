"""The ledger: every returned file archived under its content hash and recorded in SQLite.

Nothing is ever lost: a file is copied into ``<workspace>/archive/<hh>/<sha256><suffix>`` before
anything else happens to it, and its submission row (agency, year, hash, original name, received
time, validation outcome, accepted values) stays in ``<workspace>/ledger.sqlite`` for good. Later
years read their trends and statuses from here, so the schema is versioned (``PRAGMA user_version``)
and migrated forward step by step; a database newer than this code is refused, never rewritten.

Supersede rule: per (agency, year), among files whose integrity holds, the one with the latest
received time is ``accepted``; each earlier one is ``superseded`` by the next newer one (equal times:
the one recorded later wins). The received
time is recorded once, when a hash is first seen (only an explicit correction changes it), so running
again with an old file that was copied anew cannot flip the order back. Files that fail integrity
checks are ``rejected``: archived and reported, never used, and they supersede nothing.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd

from xltoolkit import workspace as layout
from xltoolkit.consolidation.results import Submission
from xltoolkit.consolidation.stored import Record as Record  # defined beside the rows made of it
from xltoolkit.consolidation.stored import element_rows, observation_rows, state, submission_row
from xltoolkit.errors import XltoolkitError
from xltoolkit.validation.results import VALUE_COLUMNS

#: The ledger's file name (the layout itself is `xltoolkit.workspace`'s).
DB_NAME = layout.LEDGER_NAME

_V1 = """
CREATE TABLE submissions (
    sha256        TEXT PRIMARY KEY,
    agency        TEXT,
    year          INTEGER,
    original_name TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    archive_path  TEXT NOT NULL,
    integrity_ok  INTEGER NOT NULL,
    valid         INTEGER NOT NULL,
    errors        INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    superseded_by TEXT,
    report        TEXT NOT NULL
);
CREATE TABLE observations (
    sha256      TEXT NOT NULL REFERENCES submissions(sha256),
    agency      TEXT NOT NULL,
    year        INTEGER NOT NULL,
    code        TEXT NOT NULL,
    numerator   REAL,
    denominator REAL,
    value       REAL,
    source      TEXT,
    notes       TEXT,
    blocked     INTEGER NOT NULL,
    PRIMARY KEY (sha256, code)
);
"""

# v2: the narrative part of a report (tasks, budget, difficulties) and the plan a file belongs to,
# so a later year's summary can show them without the original file; an index for per-year reads.
_V2 = """
ALTER TABLE submissions ADD COLUMN narrative TEXT NOT NULL DEFAULT '{}';
ALTER TABLE submissions ADD COLUMN plan_id TEXT;
CREATE INDEX submissions_agency_year ON submissions(agency, year, state);
CREATE INDEX observations_year ON observations(year, code);
"""

# v3: whether the received time was given by the officer (a correction later runs keep and report).
_V3 = """
ALTER TABLE submissions ADD COLUMN received_given INTEGER NOT NULL DEFAULT 0;
"""


def _v4_relative_archive_paths(conn: sqlite3.Connection) -> None:
    """v4: archive paths relative to the workspace (absolute ones went stale when it moved). The
    archive's layout is fixed (``archive/<hh>/<file>``), so the last three parts are the path."""
    rows = conn.execute("SELECT sha256, archive_path FROM submissions").fetchall()
    updates = []
    for sha, stored in rows:
        if PurePosixPath(stored).is_absolute() or PureWindowsPath(stored).is_absolute():
            parts = PureWindowsPath(stored).parts  # splits on "/" and "\\" alike
            updates.append(("/".join(parts[-3:]), sha))
    conn.executemany("UPDATE submissions SET archive_path = ? WHERE sha256 = ?", updates)


# v5: data elements. Each base figure of a submission once (value, status such as «Không có số
# liệu», the reason given); measure rows say whether they have no value because an element is marked
# no data (never a 0). Rows recorded before keep their measure values (no_data 0): they still count.
_V5 = """
ALTER TABLE observations ADD COLUMN no_data INTEGER NOT NULL DEFAULT 0;
CREATE TABLE elements (
    sha256   TEXT NOT NULL REFERENCES submissions(sha256),
    agency   TEXT NOT NULL,
    year     INTEGER NOT NULL,
    element  TEXT NOT NULL,
    value    REAL,
    status   TEXT,
    reason   TEXT,
    blocked  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sha256, element)
);
CREATE INDEX elements_year ON elements(year, element);
"""

#: Each step: SQL statements (no ';' inside one) or a function of the connection.
MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    _V1,
    _V2,
    _V3,
    _v4_relative_archive_paths,
    _V5,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database to schema version `target`, one step at a time, each in a transaction."""
    current = _version(conn)
    if current > SCHEMA_VERSION:
        raise XltoolkitError(
            "ledger-too-new",
            f"Sổ theo dõi (ledger) có phiên bản cấu trúc {current}, mới hơn phiên bản {SCHEMA_VERSION} mà "
            "chương trình này hỗ trợ. Hãy cập nhật xltoolkit; sổ không bị thay đổi.",
        )
    for version in range(current + 1, target + 1):
        # BEGIN IMMEDIATE takes the write lock before the version is read again: a concurrent
        # creator either finished this step (then it is skipped) or waits for this one.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _version(conn) < version:
                step = MIGRATIONS[version - 1]
                if callable(step):
                    step(conn)
                else:
                    for statement in filter(None, (x.strip() for x in step.split(";"))):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return _version(conn)


def _floats(column: np.ndarray) -> np.ndarray:
    """A REAL column as floats: NULL, or anything there that is not a number, as NaN."""
    try:
        return column.astype(np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=np.float64)


#: Fewer new rows than this are indexed as they are inserted (see `_indexed_after`).
BULK_ROWS = 10_000


@contextmanager
def _indexed_after(conn: sqlite3.Connection, table: str, adding: int) -> Iterator[None]:
    """Build `table`'s own indexes after `adding` rows rather than keep them up to date at each
    insert, when the new rows outnumber those already there: one sorted build then costs less (the
    first run of a national collection adds some 300,000 rows to empty tables). The indexes are
    made again from their own SQL, in the caller's transaction, so a failure rolls the drop back
    too; outside a transaction nothing is dropped. The primary keys are kept (they are constraints)."""
    existing = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
    indexes: list[tuple[str, str]] = []
    if conn.in_transaction and adding >= BULK_ROWS and adding > existing:
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        conn.execute(sql)


def _pk2(row: tuple[Any, ...]) -> tuple[Any, Any]:
    """(sha256, code) of an observations row, (sha256, element) of an elements row: their keys."""
    return row[0], row[3]


class Ledger:
    """The workspace's archive folder and SQLite database. Use as a context manager."""

    def __init__(self, workspace: str | Path, *, create: bool = True):
        self.workspace = Path(workspace)
        self.path = layout.ledger_path(self.workspace)
        self.archive_dir = layout.archive_dir(self.workspace)
        if not create and not self.path.exists():
            self.conn: sqlite3.Connection | None = None
            return
        self.workspace.mkdir(parents=True, exist_ok=True)
        try:
            # Default rollback journal, not WAL: the workspace may sit on a shared network drive,
            # where WAL does not work; one transaction per run makes the journal mode irrelevant.
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as e:  # e.g. the ledger path is a folder
            self.conn = None
            raise XltoolkitError(
                "ledger-unreadable", f"Không mở được sổ theo dõi {self.path}: {e}. Sổ không bị thay đổi."
            ) from None
        try:
            migrate(self.conn)
        except sqlite3.DatabaseError as e:
            self.close()
            raise XltoolkitError(
                "ledger-unreadable", f"Không mở được sổ theo dõi {self.path}: {e}. Sổ không bị thay đổi."
            ) from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction for a whole batch: 3,000 files are one commit, not 3,000."""
        assert self.conn is not None
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ archive

    def archive(self, source: Path, sha256: str, made: set[Path] | None = None) -> Path:
        """Copy `source` into the archive under its hash (once; identical content is one file).

        Written to a temporary name and renamed, so a crash never leaves a truncated file that a
        later run would take for the archived copy. `made`: folders already known to exist (a
        batch skips one mkdir system call per file).
        """
        dest = self.archive_dir / sha256[:2] / f"{sha256}{source.suffix.lower()}"
        if not dest.exists():
            if made is None or dest.parent not in made:
                dest.parent.mkdir(parents=True, exist_ok=True)
                if made is not None:
                    made.add(dest.parent)
            # a unique temporary name: another process may be archiving the same file right now
            fd, name = tempfile.mkstemp(prefix=f".~{dest.name}.", suffix=".part", dir=dest.parent)
            os.close(fd)
            tmp = Path(name)
            try:
                shutil.copyfile(source, tmp)
                tmp.replace(dest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return dest

    def stored_path(self, archived: Path) -> str:
        """How an archive copy's path is stored: relative to the workspace, so the workspace can be
        moved or mounted elsewhere."""
        return archived.relative_to(self.workspace).as_posix()

    def archived_file(self, stored: str) -> Path:
        """The archive copy of a stored path (absolute paths of ledgers before v4 kept as they are)."""
        return self.workspace / stored

    def archive_many(self, items: Iterable[tuple[Path, str]]) -> list[Path]:
        """`archive` for many files, in order. Sequential on purpose: creating small files is bound by
        the file system's journal, where threads only add contention."""
        made: set[Path] = set()
        return [self.archive(p, h, made) for p, h in items]

    # ------------------------------------------------------------------ writes

    def known(self, hashes: Iterable[str]) -> dict[str, sqlite3.Row]:
        """Rows of hashes already recorded."""
        if self.conn is None:
            return {}
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        out: dict[str, sqlite3.Row] = {}
        hs = list(hashes)
        for i in range(0, len(hs), 500):
            chunk = hs[i : i + 500]
            q = f"SELECT * FROM submissions WHERE sha256 IN ({','.join('?' * len(chunk))})"
            out.update({r["sha256"]: r for r in cur.execute(q, chunk)})
        return out

    def add(self, conn: sqlite3.Connection, records: list[Record], recorded_at: datetime) -> None:
        """Insert new submissions and their values (inside the caller's transaction)."""
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM submissions").fetchone()[0]
        recorded = recorded_at.isoformat()
        rows, obs, els = [], [], []
        for n, r in enumerate(records, start=seq + 1):
            rows.append(submission_row(r, n, recorded))
            if state(r) == "pending":
                els += element_rows(r)
                obs += observation_rows(r)
        conn.executemany(
            "INSERT OR IGNORE INTO submissions (sha256, agency, year, original_name, received_at,"
            " recorded_at, seq, archive_path, integrity_ok, valid, errors, warnings, state, report,"
            " narrative, plan_id, received_given)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        # In primary-key order, the key index grows at its end instead of splitting pages all over;
        # the sort is stable, so of two rows with one key the same one is kept as before.
        obs.sort(key=_pk2)
        els.sort(key=_pk2)
        with _indexed_after(conn, "observations", len(obs)):
            conn.executemany(
                "INSERT OR IGNORE INTO observations (sha256, agency, year, code, numerator, denominator,"
                " value, source, notes, blocked, no_data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                obs,
            )
        with _indexed_after(conn, "elements", len(els)):
            conn.executemany("INSERT OR IGNORE INTO elements VALUES (?,?,?,?,?,?,?,?)", els)

    def forget_rejected(self, conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
        """Drop rejected rows about to be recorded again (the archived file itself stays)."""
        conn.executemany(
            "DELETE FROM submissions WHERE sha256 = ? AND state = 'rejected'", [(h,) for h in hashes]
        )

    def set_received_at(self, conn: sqlite3.Connection, sha256: str, when: datetime) -> None:
        """An officer's correction of a recorded file's received time (kept by later runs)."""
        conn.execute(
            "UPDATE submissions SET received_at = ?, received_given = 1 WHERE sha256 = ?",
            (when.isoformat(), sha256),
        )

    def resolve(self, conn: sqlite3.Connection, groups: Iterable[tuple[str | None, int | None]]) -> None:
        """Recompute accepted/superseded for each (agency, year): latest received time wins."""
        for agency, year in sorted({(a, y) for a, y in groups if a is not None and y is not None}):
            rows = conn.execute(
                "SELECT sha256 FROM submissions WHERE agency = ? AND year = ? AND state != 'rejected'"
                " ORDER BY received_at, seq",
                (agency, year),
            ).fetchall()
            shas = [r[0] for r in rows]
            updates = [("superseded", newer, sha) for sha, newer in itertools.pairwise(shas)]
            if shas:
                updates.append(("accepted", None, shas[-1]))
            conn.executemany("UPDATE submissions SET state = ?, superseded_by = ? WHERE sha256 = ?", updates)

    # ------------------------------------------------------------------ reads

    def accepted_reports(self, agency: str, year: int) -> list[tuple[str, str, bool, str]]:
        """(sha256, received_at, has stored counts or element values/marks, narrative) of the unit's
        accepted submissions of `year`: what a newly received blank file would replace."""
        if self.conn is None:
            return []
        return [
            (sha, when, bool(counts), narrative)
            for sha, when, counts, narrative in self.conn.execute(
                "SELECT s.sha256, s.received_at,"
                " EXISTS(SELECT 1 FROM elements e WHERE e.sha256 = s.sha256"
                "        AND (e.value IS NOT NULL OR e.status IS NOT NULL))"
                " OR EXISTS(SELECT 1 FROM observations o WHERE o.sha256 = s.sha256"
                "        AND (o.numerator IS NOT NULL OR o.denominator IS NOT NULL)),"
                " s.narrative FROM submissions s WHERE s.agency = ? AND s.year = ? AND s.state = 'accepted'",
                (agency, year),
            )
        ]

    def submissions(self, year: int | None = None, hashes: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Submission rows of `year` plus any rows named in `hashes`, oldest first."""
        if self.conn is None:
            return []
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        rows = list(cur.execute("SELECT * FROM submissions WHERE year = ?", (year,)))
        seen = {r["sha256"] for r in rows}
        # only the hashes of other years are read again (a folder of the year names its every row)
        rows += self.known(h for h in hashes if h not in seen).values()
        out = [dict(r) for r in rows]
        out.sort(key=lambda r: (r["received_at"], r["seq"]))
        return out

    def values(
        self, *, year: int | None = None, upto_year: int | None = None, plan_id: str | None = None
    ) -> pd.DataFrame:
        """Values of accepted submissions (one year, or all years up to one)."""
        if self.conn is None:
            return empty_values()
        rows = self._accepted(", ".join(f"o.{c}" for c in aggregate_cols()), year, upto_year, plan_id)
        if not rows:
            return empty_values()
        df = pd.DataFrame(rows, columns=list(aggregate_cols()))
        df["blocked"] = df["blocked"].astype(bool)
        df["no_data"] = df["no_data"].astype(bool)
        return df

    def counts(
        self, *, year: int | None = None, upto_year: int | None = None, plan_id: str | None = None
    ) -> pd.DataFrame:
        """The rows of `values` without the stored value, source and notes, which the aggregation
        never reads (it computes each value again from the counts): a national year reads a
        hundred thousand rows, and each column read is a Python object per row."""
        cols = ["agency", "year", "code", "numerator", "denominator", "blocked", "no_data"]
        # sorted here rather than by SQLite: the same order (text compares by code point in
        # both), without a temporary B-tree of every row
        rows = self._accepted(", ".join(f"o.{c}" for c in cols), year, upto_year, plan_id, order=False)
        if not rows:
            return empty_values()[cols]
        table = np.array(rows, dtype=object)
        df = pd.DataFrame(
            {
                "agency": table[:, 0],
                "year": table[:, 1].astype(np.int64),
                "code": table[:, 2],
                "numerator": _floats(table[:, 3]),
                "denominator": _floats(table[:, 4]),
                "blocked": table[:, 5].astype(bool),
                "no_data": table[:, 6].astype(bool),
            }
        )
        return df.sort_values(["year", "agency", "code"], kind="stable", ignore_index=True)

    def _accepted(
        self,
        columns: str,
        year: int | None,
        upto_year: int | None,
        plan_id: str | None,
        *,
        order: bool = True,
    ) -> list[tuple[Any, ...]]:
        """`columns` of the observations of accepted submissions; by year, agency and code if `order`."""
        assert self.conn is not None
        # CROSS JOIN fixes the join order: the accepted submissions first, then their rows by
        # primary key. Left to itself SQLite walks every observation of the years asked for
        # (superseded files included) and probes each one's submission. The unary + on the year
        # keeps SQLite from probing each submission through the (year, code) index instead, which
        # reads every row of the year once per submission: quadratic in a national collection.
        # Same rows; the ORDER BY below (or the caller) fixes their order.
        q = (
            f"SELECT {columns}"
            " FROM submissions s CROSS JOIN observations o ON o.sha256 = s.sha256"
            " WHERE s.state = 'accepted'"
        )
        args: list[Any] = []
        if year is not None:
            q += " AND +o.year = ?"
            args.append(year)
        if upto_year is not None:
            q += " AND +o.year <= ?"
            args.append(upto_year)
        if plan_id is not None:
            q += " AND (s.plan_id IS NULL OR s.plan_id = ?)"
            args.append(plan_id)
        return self.conn.execute(q + " ORDER BY o.year, o.agency, o.code" if order else q, args).fetchall()

    def element_values(self, *, upto_year: int | None = None, plan_id: str | None = None) -> pd.DataFrame:
        """Data elements of accepted submissions (all years up to one): each unit's own history."""
        cols = ["agency", "year", "element", "value", "status", "reason", "blocked"]
        if self.conn is None:
            return pd.DataFrame({c: [] for c in cols})
        q = (
            "SELECT e.agency, e.year, e.element, e.value, e.status, e.reason, e.blocked"
            " FROM submissions s CROSS JOIN elements e ON e.sha256 = s.sha256"
            " WHERE s.state = 'accepted'"
        )
        args: list[Any] = []
        if upto_year is not None:
            q += " AND +e.year <= ?"  # the primary key per submission, not the year index (above)
            args.append(upto_year)
        if plan_id is not None:
            q += " AND (s.plan_id IS NULL OR s.plan_id = ?)"
            args.append(plan_id)
        rows = self.conn.execute(q + " ORDER BY e.year, e.agency, e.element", args).fetchall()
        df = pd.DataFrame(rows, columns=cols)
        df["blocked"] = df["blocked"].astype(bool)
        return df


def empty_values() -> pd.DataFrame:
    """No values: the frame `Ledger.values` returns when there is nothing to read."""
    df = pd.DataFrame({c: pd.Series([], dtype=object) for c in aggregate_cols()})
    df["year"] = df["year"].astype("int64")
    for c in ("numerator", "denominator", "value"):
        df[c] = df[c].astype("float64")
    df["blocked"] = df["blocked"].astype(bool)
    df["no_data"] = df["no_data"].astype(bool)
    return df


def aggregate_cols() -> tuple[str, ...]:
    """The columns of the value rows the aggregation reads: the validation's value columns."""
    return tuple(VALUE_COLUMNS)


def to_submission(row: dict[str, Any], deadline: Any | None) -> Submission:
    """A ledger row as the shared `Submission` result object."""
    received = datetime.fromisoformat(row["received_at"])
    return Submission(
        agency=row["agency"],
        year=row["year"],
        sha256=row["sha256"],
        original_name=row["original_name"],
        received_at=received,
        state=row["state"],
        late=bool(deadline is not None and received.date() > deadline),
        superseded_by=row["superseded_by"],
        errors=row["errors"],
        warnings=row["warnings"],
        received_given=bool(row.get("received_given")),
    )
