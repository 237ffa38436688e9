"""The ledger: schema versioning and migration, archive by hash, supersede order, history reads."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from xltoolkit.consolidation import ledger
from xltoolkit.consolidation.intake import read_trends
from xltoolkit.consolidation.ledger import Ledger, Record, migrate
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan


def record(
    sha: str, agency: str | None, year: int | None, received: str, *, ok: bool = True, rate=(10, 100)
) -> Record:
    values = pd.DataFrame(
        [
            {
                "agency": agency,
                "year": year,
                "code": "1",
                "numerator": rate[0],
                "denominator": rate[1],
                "value": rate[0] * 100 / rate[1],
                "source": "sổ sách",
                "notes": None,
                "blocked": False,
            }
        ]
    )
    return Record(
        sha256=sha,
        agency=agency,
        year=year,
        original_name=f"{sha}.xlsx",
        received_at=datetime.fromisoformat(received),
        archive_path=f"archive/{sha}.xlsx",
        integrity_ok=ok,
        valid=ok,
        errors=0 if ok else 1,
        warnings=0,
        report={"path": f"{sha}.xlsx", "agency": agency, "year": year, "valid": ok, "issues": []},
        narrative={"tasks": [], "budget": {"state": 1.5, "mobilised": None}, "difficulties": "không"},
        values=values,
        plan_id="long-an-ctte-2021-2030",
    )


def add(led: Ledger, *records: Record) -> None:
    with led.transaction() as conn:
        led.add(conn, list(records), datetime(2026, 12, 20))
        led.resolve(conn, {(r.agency, r.year) for r in records if r.integrity_ok})


def states(led: Ledger, year: int) -> dict[str, tuple[str, str | None]]:
    return {r["sha256"]: (r["state"], r["superseded_by"]) for r in led.submissions(year)}


def test_new_database_has_current_schema(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        assert led.conn is not None
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION >= 2


def test_older_database_is_upgraded_and_rows_kept(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / ledger.DB_NAME, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO submissions (sha256, agency, year, original_name, received_at, recorded_at, seq,"
        " archive_path, integrity_ok, valid, state, report) VALUES"
        " ('aa', 'tp-tan-an', 2025, 'old.xlsx', '2025-12-01T00:00:00', '2025-12-02T00:00:00', 1, 'x', 1, 1,"
        " 'accepted', '{}')"
    )
    conn.execute("INSERT INTO observations VALUES ('aa', 'tp-tan-an', 2025, '1', 7, 100, 7.0, NULL, NULL, 0)")
    conn.close()
    with Ledger(tmp_path) as led:
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION
        rows = led.submissions(2025)
        assert [(r["sha256"], r["original_name"], r["state"]) for r in rows] == [
            ("aa", "old.xlsx", "accepted")
        ]
        assert rows[0]["narrative"] == "{}"  # the v2 column, defaulted for old rows
        v = led.values(year=2025, plan_id="long-an-ctte-2021-2030")  # old rows have no plan: kept
        assert v[["agency", "code", "numerator"]].values.tolist() == [["tp-tan-an", "1", 7.0]]


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / ledger.DB_NAME)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {ledger.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(XltoolkitError) as e:
        Ledger(tmp_path)
    assert e.value.code == "ledger-too-new"
    conn = sqlite3.connect(tmp_path / ledger.DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION + 1
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("future",)]


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / ledger.DB_NAME
    db.write_bytes(b"not a database, but an officer's notes" * 100)
    before = db.read_bytes()
    with pytest.raises(XltoolkitError) as e:
        Ledger(tmp_path)
    assert e.value.code == "ledger-unreadable"
    assert db.read_bytes() == before


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(tmp_path / ledger.DB_NAME, isolation_level=None)
    migrate(conn, target=1)
    monkeypatch.setattr(ledger, "MIGRATIONS", (ledger.MIGRATIONS[0], "ALTER TABLE nowhere ADD COLUMN x;"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, target=2)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_archive_by_content_hash(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.xlsx").write_bytes(b"same")
    (src / "b.XLSX").write_bytes(b"same")
    with Ledger(tmp_path / "ws") as led:
        p1 = led.archive(src / "a.xlsx", "ab" + "0" * 62)
        p2 = led.archive(src / "b.XLSX", "ab" + "0" * 62)
    assert p1 == p2 == tmp_path / "ws" / "archive" / "ab" / ("ab" + "0" * 62 + ".xlsx")
    assert p1.read_bytes() == b"same"
    assert [p.name for p in p1.parent.iterdir()] == [p1.name]


def test_latest_received_time_wins_and_chain_is_recorded(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        add(led, record("b", "tp-tan-an", 2026, "2026-12-10T09:00:00"))
        add(led, record("a", "tp-tan-an", 2026, "2026-12-01T09:00:00"))  # older file recorded later
        add(led, record("c", "tp-tan-an", 2026, "2026-12-14T09:00:00"))
        assert states(led, 2026) == {
            "a": ("superseded", "b"),
            "b": ("superseded", "c"),
            "c": ("accepted", None),
        }
        v = led.values(year=2026)
        assert len(v) == 1 and v["agency"].tolist() == ["tp-tan-an"]


def test_rejected_file_supersedes_nothing_and_is_never_used(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        add(led, record("good", "tp-tan-an", 2026, "2026-12-01T00:00:00", rate=(10, 100)))
        add(led, record("bad", "tp-tan-an", 2026, "2026-12-05T00:00:00", ok=False, rate=(99, 100)))
        assert states(led, 2026) == {"good": ("accepted", None), "bad": ("rejected", None)}
        assert led.values(year=2026)["numerator"].tolist() == [10.0]
        n = led.conn.execute("SELECT COUNT(*) FROM observations WHERE sha256 = 'bad'").fetchone()[0]
        assert n == 0


def test_recording_the_same_hash_twice_keeps_the_first(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        add(led, record("a", "tp-tan-an", 2026, "2026-12-01T00:00:00"))
        add(led, record("a", "tp-tan-an", 2026, "2026-12-20T00:00:00"))
        rows = led.submissions(2026)
        assert len(rows) == 1 and rows[0]["received_at"] == "2026-12-01T00:00:00"


def test_history_reads_accepted_values_up_to_a_year(tmp_path: Path, plan: Plan) -> None:
    """District years (from 2025 the provincial series sums the communes then in force)."""
    with Ledger(tmp_path) as led:
        add(led, record("y22", "tp-tan-an", 2022, "2022-12-01T00:00:00", rate=(10, 100)))
        add(led, record("y23", "tp-tan-an", 2023, "2023-12-01T00:00:00", rate=(20, 100)))
        add(led, record("y24", "tp-tan-an", 2024, "2024-12-01T00:00:00", rate=(30, 100)))
    h = read_trends(plan, 2023, workspace=tmp_path)
    assert h.provincial["1"] == {2022: 10.0, 2023: 20.0}
    assert h.by_agency[("tp-tan-an", "1")] == {2022: 10.0, 2023: 20.0}


def test_history_without_a_ledger_is_empty_and_creates_nothing(tmp_path: Path, plan: Plan) -> None:
    h = read_trends(plan, 2026, workspace=tmp_path / "none")
    assert h.provincial == {} and len(h.values) == 0
    assert not (tmp_path / "none").exists()


def test_reading_a_year_probes_each_submission_by_its_key(tmp_path: Path) -> None:
    """A national collection accepts thousands of files a year: reading a year's values must look up
    each accepted file's rows by primary key, never scan the whole year once per file (quadratic)."""
    with Ledger(tmp_path) as led:
        for i in range(3):
            add(led, record(f"h{i}", "tp-tan-an" if i == 0 else f"don-vi-{i}", 2024, "2024-12-01T00:00:00"))
        assert led.conn is not None
        seen: list[str] = []
        led.conn.set_trace_callback(seen.append)
        for kw, read in itertools.product(
            ({"year": 2024}, {"upto_year": 2024}, {"year": 2024, "plan_id": "p"}), (led.values, led.counts)
        ):
            seen.clear()
            read(**kw)  # type: ignore[arg-type]
            [sql] = [s for s in seen if "FROM submissions s" in s]
            led.conn.set_trace_callback(None)
            steps = [r[3] for r in led.conn.execute("EXPLAIN QUERY PLAN " + sql)]
            led.conn.set_trace_callback(seen.append)
            probe = next(s for s in steps if s.startswith("SEARCH o"))
            assert "(sha256=?)" in probe, (kw, steps)
        led.conn.set_trace_callback(None)


def _schema(led: Ledger) -> list[tuple[str, str, str | None]]:
    assert led.conn is not None
    return led.conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def _stored(led: Ledger) -> list[list[tuple[object, ...]]]:
    assert led.conn is not None
    return [
        led.conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
        for t in ("submissions", "observations", "elements")
    ]


def test_a_bulk_recording_stores_the_same_rows_and_keeps_every_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first national run indexes its rows after inserting them: same rows, same schema after."""
    batch = [record(f"b{i}", f"don-vi-{i}", 2025, "2025-12-01T00:00:00", rate=(i, 100)) for i in range(4)]
    for r in batch:
        r.elements = [("children_total", 100.0 + len(r.sha256), None, None, False)]
    stored = {}
    for bulk_rows in (10**9, 2):  # row by row; then indexed after the batch
        monkeypatch.setattr(ledger, "BULK_ROWS", bulk_rows)
        with Ledger(tmp_path / str(bulk_rows)) as led:
            schema = _schema(led)
            add(led, *batch)
            add(led, record("late", "tp-tan-an", 2025, "2025-12-02T00:00:00"))  # fewer than stored
            assert _schema(led) == schema
            stored[bulk_rows] = _stored(led)
            assert len(led.values(year=2025)) == 5
    assert stored[2] == stored[10**9]


def test_a_failed_bulk_recording_leaves_the_ledger_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "BULK_ROWS", 1)
    bad = record("bad", "tp-tan-an", 2025, "2025-12-01T00:00:00")
    assert isinstance(bad.values, pd.DataFrame)
    bad.values["year"] = pd.Series([2**70], dtype=object)  # no SQLite integer holds it
    with Ledger(tmp_path) as led:
        schema = _schema(led)
        with pytest.raises(OverflowError):
            add(led, record("ok", "h-ben-luc", 2025, "2025-12-01T00:00:00"), bad)
        assert _schema(led) == schema
        assert _stored(led) == [[], [], []]


def test_counts_are_the_values_without_stored_value_source_and_notes(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        for i, (agency, year) in enumerate([("h-ben-luc", 2024), ("tp-tan-an", 2023), ("h-duc-hoa", 2024)]):
            add(led, record(f"c{i}", agency, year, f"{year}-12-01T00:00:00", rate=(i, 7)))
        for kw in ({"year": 2024}, {"upto_year": 2024}, {"upto_year": 2022}):
            values = led.values(**kw)  # type: ignore[arg-type]
            counts = led.counts(**kw)  # type: ignore[arg-type]
            pd.testing.assert_frame_equal(counts, values.drop(columns=["value", "source", "notes"]))
