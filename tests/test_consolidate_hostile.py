"""Issue 9 on the consolidation side: absurd magnitudes, undecodable names, two runs at once, disk and
ledger faults, outputs aimed at inputs, future received times, hidden and lock files, moved
workspaces. Each test builds the hostile situation itself."""

from __future__ import annotations

import errno
import hashlib
import json
import math
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.cli.common import echo_json
from xltoolkit.cli.main import main
from xltoolkit.consolidation import guard, ledger
from xltoolkit.consolidation.intake import returned_files, scan_folder
from xltoolkit.consolidation.ledger import Ledger, migrate
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan import aggregate
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.validation.validate import expand_paths
from xltoolkit.workbook import xlio

from . import test_consolidate as base
from .test_consolidate import YEAR, folder, run, stamp

corpus = base.corpus  # the filled workbooks of test_consolidate, as a fixture here too
ROOT = Path(__file__).resolve().parents[1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(root: Path) -> list[Path]:
    """Temporary files a failed write might leave behind."""
    return [p for p in root.rglob("*") if p.name.startswith(".~")]


# ------------------------------------------------------------------------------------ magnitudes


def rows(values: dict[str, tuple[float, float]], year: int = YEAR) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"agency": a, "year": year, "code": "1", "numerator": n, "denominator": d, "blocked": False}
            for a, (n, d) in values.items()
        ]
    )


def test_a_huge_value_does_not_wipe_out_the_province(plan: Plan) -> None:
    good = {"tp-tan-an": (10.0, 100.0), "h-ben-luc": (30.0, 200.0)}
    for bad in [(1e308, 1e308), (1e308, 100.0), (5.0, 1e308), (math.inf, 100.0), (1.0, 1e-320)]:
        fig = aggregate.provincial_figures(rows({**good, "h-duc-hoa": bad}), plan)[(YEAR, "1")]
        assert fig.value == pytest.approx(40 / 300 * 100), bad
        assert fig.districts_used == sorted(good) and fig.districts_excluded == ["h-duc-hoa"], bad


finite_or_absurd = st.one_of(
    st.floats(min_value=0, max_value=1e6),
    st.sampled_from([1e308, -1e308, math.inf, -math.inf, math.nan, 1e-320, 0.0, 1e12, 1e13]),
)


@given(st.lists(st.tuples(finite_or_absurd, finite_or_absurd), min_size=1, max_size=6))
def test_aggregation_never_yields_nan_or_infinity(pairs: list[tuple[float, float]]) -> None:
    plan = load_plan()
    agencies = [*[d.id for d in plan.districts][: len(pairs)], "so-ldtbxh"]
    values = rows(dict(zip(agencies, [*pairs, pairs[0]], strict=False)))
    figures = aggregate.provincial_figures(values, plan)
    for fig in figures.values():
        for x in (
            fig.value,
            fig.district_aggregate,
            fig.department_value,
            fig.numerator_sum,
            fig.denominator_sum,
        ):
            assert x is None or math.isfinite(x), fig
    for series in aggregate.agency_series(values, plan).values():
        assert all(math.isfinite(v) for v in series.values())


def test_json_output_is_strict(capsys: pytest.CaptureFixture[str]) -> None:
    echo_json({"value": math.nan, "trend": {"2025": math.inf}, "list": [-math.inf, 1.5]})
    out = capsys.readouterr().out

    def refuse(token: str) -> None:
        raise AssertionError(f"not JSON: {token}")

    assert json.loads(out, parse_constant=refuse) == {
        "value": None,
        "trend": {"2025": None},
        "list": [None, 1.5],
    }


# ------------------------------------------------------------------------------------------ names


def test_an_undecodable_file_name_is_recorded_escaped(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    odd = Path(os.fsdecode(bytes(src)) + "/" + os.fsdecode(b"b\xe1o-c\xff\xfeo.xlsx"))
    try:
        shutil.copy(corpus["h-ben-luc"], odd)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    stamp(odd, f"{YEAR}-12-01T09:00:00")
    r = run(src, tmp_path, plan)
    assert r.received == ["tp-tan-an", "h-ben-luc"]
    names = {s.original_name for s in r.submissions}
    assert "b\\xe1o-c\\xff\\xfeo.xlsx" in names
    assert r.summary_path is not None and r.summary_path.is_file()
    res = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(tmp_path / "ws")]
    )
    assert res.exit_code == 0, res.output
    assert "Đã nhận: 2/" in res.output


# --------------------------------------------------------------------------------- two runs at once


def _hold_lock(
    workspace: str, ready: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event
) -> None:
    with guard.workspace_lock(workspace):
        ready.set()
        release.wait(60)


def test_a_second_consolidation_of_a_locked_workspace_is_refused(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    ws = tmp_path / "ws"
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(ws), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        cmd = [sys.executable, "-m", "xltoolkit", "consolidate", str(src), "--year", str(YEAR)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        res = subprocess.run(
            [*cmd, "--workspace", str(ws)], capture_output=True, text=True, env=env, timeout=300
        )
        assert res.returncode == 2, res.stderr
        assert "[workspace-locked]" in res.stderr and "Traceback" not in res.stderr
        assert not (ws / ledger.DB_NAME).exists()
    finally:
        release.set()
        holder.join(60)
    # once the first run is over, the workspace is free again
    assert run(src, tmp_path, plan).received == ["tp-tan-an"]


def _open_ledger(workspace: str, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait(60)
    with Ledger(workspace) as led:
        assert led.conn is not None


def _archive_many(workspace: str, source: str, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait(60)
    with Ledger(workspace, create=False) as led:
        for k in range(40):
            led.archive(Path(source), f"{k:02x}" + "0" * 62)


def test_concurrent_creation_and_archiving_are_safe(tmp_path: Path, corpus) -> None:
    ctx = multiprocessing.get_context("spawn")
    for attempt in range(3):
        ws = tmp_path / f"ws{attempt}"
        start = ctx.Barrier(3)
        procs = [ctx.Process(target=_open_ledger, args=(str(ws), start)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0]
        with Ledger(ws) as led:
            assert led.conn is not None
            assert led.conn.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION
    start = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_archive_many, args=(str(ws), str(corpus["tp-tan-an"]), start)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    copies = list((ws / "archive").rglob("*.xlsx"))
    assert len(copies) == 40 and all(c.read_bytes() == corpus["tp-tan-an"].read_bytes() for c in copies)
    assert leftovers(ws) == []


# -------------------------------------------------------------------------------------- disk faults


@pytest.fixture
def recorded(tmp_path: Path, corpus, plan: Plan) -> tuple[Path, Path]:
    """A workspace with one file recorded, and a folder holding that file and a new one."""
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    run(src, tmp_path, plan)
    folder(tmp_path, corpus, {"b.xlsx": "h-ben-luc"})
    return src, tmp_path / "ws"


def full(*args: object, **kw: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["archive", "ledger", "summary", "read-only ledger", "read-only summary"])
def test_disk_faults_are_coded_and_leave_the_ledger_as_it_was(
    where: str, recorded: tuple[Path, Path], tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, ws = recorded
    db = ws / ledger.DB_NAME
    before = digest(db)
    summary = ws / str(YEAR) / f"tong-hop-{YEAR}.xlsx"
    summary_before = digest(summary)
    if where == "archive":
        monkeypatch.setattr(ledger.shutil, "copyfile", full)
    elif where == "ledger":

        def add(*a: object, **kw: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(Ledger, "add", add)
    elif where == "read-only ledger":

        def add(*a: object, **kw: object) -> None:
            raise sqlite3.OperationalError("attempt to write a readonly database")

        monkeypatch.setattr(Ledger, "add", add)
    elif where == "summary":
        monkeypatch.setattr(xlio, "_save_as_set", full)
    else:

        def denied(*a: object, **kw: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(xlio, "_save_as_set", denied)
    with pytest.raises(XltoolkitError) as e:
        run(src, tmp_path, plan)
    expected = "workspace-read-only" if where.startswith("read-only") else "disk-full"
    assert e.value.code == expected
    if not where.endswith("summary"):  # a summary fault comes after the intake was recorded
        assert digest(db) == before
    assert leftovers(ws) == []
    assert digest(summary) == summary_before  # the earlier summary is still whole


def test_disk_full_in_the_cli_exits_2(recorded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    src, ws = recorded
    monkeypatch.setattr(ledger.shutil, "copyfile", full)
    res = CliRunner().invoke(main, ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(ws)])
    assert res.exit_code == 2 and "[disk-full]" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def _malformed(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page + 8 : 3 * page] = b"\xa5" * (2 * page - 8)  # second and third pages: garbage
    db.write_bytes(bytes(data))


def _drop_table(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TABLE observations")
    conn.close()


def _folder(db: Path) -> None:
    db.unlink()
    db.mkdir()


@pytest.mark.parametrize("damage", [_malformed, _drop_table, _folder])
def test_a_corrupt_ledger_is_a_coded_error_and_left_alone(
    damage, recorded: tuple[Path, Path], tmp_path: Path, plan: Plan
) -> None:
    src, ws = recorded
    db = ws / ledger.DB_NAME
    damage(db)
    before = digest(db) if db.is_file() else None
    res = CliRunner().invoke(main, ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(ws)])
    assert res.exit_code == 2, res.output
    assert "[ledger-unreadable]" in res.output and "Traceback" not in res.output
    assert (digest(db) if db.is_file() else None) == before
    assert leftovers(ws) == []


# ------------------------------------------------------------------------------- outputs over inputs


def test_output_over_an_input_is_refused(recorded: tuple[Path, Path], tmp_path: Path, plan: Plan) -> None:
    src, ws = recorded
    archived = next((ws / "archive").rglob("*.xlsx"))
    targets = [src / "a.xlsx", ws / ledger.DB_NAME, archived, ws / "archive" / "x.xlsx", ws / guard.LOCK_NAME]
    before = {p: digest(p) for p in targets if p.exists()}
    for target in targets:
        with pytest.raises(XltoolkitError) as e:
            run(src, tmp_path, plan, output=target)
        assert e.value.code == "output-overwrites-input", target
    assert {p: digest(p) for p in before} == before
    assert not (ws / "archive" / "x.xlsx").exists()
    # a summary written into the returned folder is not taken for a returned file, and may be rewritten
    for _ in range(2):
        r = run(src, tmp_path, plan, output=src / "tong-hop.xlsx")
        assert r.summary_path == src / "tong-hop.xlsx"
        assert "tong-hop.xlsx" not in {s.original_name for s in r.submissions}
    res = CliRunner().invoke(
        main,
        ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(ws), "-o", str(src / "a.xlsx")],
    )
    assert res.exit_code == 2 and "[output-overwrites-input]" in res.output


# ------------------------------------------------------------------------------------ weak spots


def test_a_file_dated_in_the_future_is_flagged_and_not_trusted(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "h-ben-luc"})
    stamp(src / "a.xlsx", "2099-01-01T00:00:00")
    r = run(src, tmp_path, plan)
    (sub,) = r.submissions
    assert sub.received_at < datetime(2099, 1, 1)
    assert abs(sub.received_at - datetime.now()) < timedelta(minutes=5)
    outcome = r.file_issues[0]
    assert "received-in-future" in [i.code for i in outcome.issues]
    time.sleep(1.1)  # the correction is received after the first file was first seen
    fixed = Path(shutil.copy(corpus["h-ben-luc-v2"], src / "a-sua.xlsx"))
    now = time.time()
    os.utime(fixed, (now, now))
    r = run(src, tmp_path, plan)
    states = {s.original_name: s.state for s in r.submissions}
    assert states == {"a.xlsx": "superseded", "a-sua.xlsx": "accepted"}


def test_hidden_and_lock_files_one_rule_for_validate_and_consolidate(
    tmp_path: Path, corpus, plan: Plan
) -> None:
    src = folder(tmp_path, corpus, {".an.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    (src / "~$b.xlsx").write_bytes(b"lock")
    assert returned_files(src) == [p for p in expand_paths([src])]
    taken, skipped = scan_folder(src)
    assert [p.name for p in taken] == [".an.xlsx", "b.xlsx"]
    assert [(s.name, s.reason) for s in skipped] == [("~$b.xlsx", "lock-file")]
    res = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(tmp_path / "ws")]
    )
    assert res.exit_code == 0, res.output
    assert "Đã nhận: 2/" in res.output and "  ~$b.xlsx: " in res.output


def test_archive_paths_are_relative_and_old_absolute_ones_migrate(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    run(src, tmp_path, plan)
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "ws", moved)
    with Ledger(moved) as led:
        assert led.conn is not None
        (stored,) = [r[0] for r in led.conn.execute("SELECT archive_path FROM submissions")]
        assert not Path(stored).is_absolute()
        assert led.archived_file(stored).is_file()
    # a ledger of schema v3 holding absolute paths (of a workspace since moved) is migrated
    old = tmp_path / "old"
    old.mkdir()
    conn = sqlite3.connect(old / ledger.DB_NAME, isolation_level=None)
    migrate(conn, target=3)
    sha = "ab" + "0" * 62
    conn.execute(
        "INSERT INTO submissions (sha256, original_name, received_at, recorded_at, seq, archive_path,"
        " integrity_ok, valid, state, report) VALUES (?, 'a.xlsx', '2026-12-01T00:00:00',"
        " '2026-12-01T00:00:00', 1, ?, 0, 0, 'rejected', '{}')",
        (sha, f"/srv/cu/workbooks/archive/ab/{sha}.xlsx"),
    )
    conn.close()
    with Ledger(old) as led:
        assert led.conn is not None
        (stored,) = [r[0] for r in led.conn.execute("SELECT archive_path FROM submissions")]
        assert stored == f"archive/ab/{sha}.xlsx"


def test_an_absurd_budget_is_left_out_of_the_totals() -> None:
    from xltoolkit.consolidation.outcome import _narrative

    stored = json.dumps({"budget": {"state": 1e308, "mobilised": math.inf}, "tasks": "not a list"})
    narrative, budget = _narrative("so-tc", stored)
    assert (budget.state, budget.mobilised) == (None, None)
    assert narrative.tasks == []
    _, fine = _narrative("so-tc", json.dumps({"budget": {"state": 120.5, "mobilised": 3}}))
    assert (fine.state, fine.mobilised) == (120.5, 3.0)


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_file_name_becomes_storable_text(raw: bytes) -> None:
    name = guard.safe_name(os.fsdecode(raw))
    name.encode("utf-8")  # storable in SQLite and in a workbook: no lone surrogates left
    assert guard.escape_strings({"path": os.fsdecode(raw), "n": [os.fsdecode(raw), 1]}) == {
        "path": name,
        "n": [name, 1],
    }
    if raw.decode("utf-8", "ignore").encode() == raw:  # a valid UTF-8 name is kept as it is
        assert name == raw.decode()
