"""Consolidation end to end: real templates filled by defined names, validated, recorded, aggregated."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.cli.main import main
from xltoolkit.consolidation import ledger
from xltoolkit.consolidation.intake import consolidate, parse_received_at, read_trends
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import assess
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.workbook.layout import DATA_SHEET

from .corpus import consistent
from .corpus import fill_workbook as fill

YEAR = 2024  # the district edition (from 2025 communes report)
PREV = YEAR - 1
DISTRICTS = ("tp-tan-an", "h-ben-luc", "h-duc-hoa")
#: The measure the hand-computable sums use: 2 (children under 8 supported, %, scale 100; its own
#: elements, which no other measure shares). Measure 1's denominator is now the administrative count
#: of communes, which a rule fixes, so it cannot take arbitrary test figures.
M = "2"
#: measure M per district: hand-computable sums.
RATE_1 = {"tp-tan-an": (10, 100), "h-ben-luc": (30, 200), "h-duc-hoa": (5, 50)}


def inputs(
    plan: Plan, agency_id: str, overrides: dict[str, tuple[int, int]] | None = None
) -> dict[str, object]:
    """Complete, plausible inputs for an agency: every measure 1 of 20 unless overridden, made
    consistent with the plan's rules (one value per shared element); overrides typed on top."""
    agency = plan.agency(agency_id)
    out: dict[str, object] = {}
    for m in plan.measures_for(agency):
        out[f"TU_{m.code}"], out[f"MAU_{m.code}"] = 1, 20
        out[f"NGUON_{m.code}"] = "Sổ theo dõi"
    out = consistent(plan, agency_id, out)
    for code, (num, den) in (overrides or {}).items():
        out[f"TU_{code}"], out[f"MAU_{code}"] = num, den
    if all(n <= d for n, d in (overrides or {}).values()):  # a deliberate fault stays as typed
        out = consistent(plan, agency_id, out)
    for i, _ in enumerate(plan.tasks_for(agency), start=1):
        out[f"NV_{i}"] = f"Đã thực hiện nhiệm vụ {i}."
    out["KP_NSNN"] = 120.5
    out["KP_HUYDONG"] = 30
    out["KHO_KHAN"] = "Thiếu cán bộ chuyên trách."
    return out


def stamp(path: Path, when: str) -> Path:
    t = datetime.fromisoformat(when).timestamp()
    os.utime(path, (t, t))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> dict[str, Path]:
    """Filled workbooks, built once: key -> file (copied into each test's folder)."""
    root = tmp_path_factory.mktemp("corpus")
    tdir = root / "templates"
    agencies = [*DISTRICTS, "so-ldtbxh", "cong-an"]
    generate_templates(plan, YEAR, tdir, agencies, secret=None, password=None)
    generate_templates(plan, PREV, tdir, list(DISTRICTS[:2]), secret=None, password=None)

    def t(agency: str, year: int = YEAR) -> Path:
        return tdir / template_filename(plan.agency(agency), year)

    files: dict[str, Path] = {}
    for a in DISTRICTS:
        files[a] = fill(t(a), root / f"{a}.xlsx", inputs(plan, a, {M: RATE_1[a]}))
    files["h-ben-luc-v2"] = fill(
        t("h-ben-luc"), root / "h-ben-luc-v2.xlsx", inputs(plan, "h-ben-luc", {M: (50, 200)})
    )
    files["so-ldtbxh"] = fill(
        t("so-ldtbxh"), root / "so-ldtbxh.xlsx", inputs(plan, "so-ldtbxh", {M: (12, 100)})
    )
    files["h-duc-hoa-bad"] = fill(
        t("h-duc-hoa"), root / "h-duc-hoa-bad.xlsx", inputs(plan, "h-duc-hoa", {M: (60, 50)})
    )
    files["cong-an"] = fill(t("cong-an"), root / "cong-an.xlsx", inputs(plan, "cong-an"))
    for a in DISTRICTS[:2]:
        files[f"{a}-{PREV}"] = fill(t(a, PREV), root / f"{a}-{PREV}.xlsx", inputs(plan, a, {M: (5, 100)}))
    # locked content changed (a measure's name): integrity fails
    tampered = root / "tampered.xlsx"
    shutil.copy(files["tp-tan-an"], tampered)
    wb = openpyxl.load_workbook(tampered)
    wb[DATA_SHEET]["B11"] = "Chỉ tiêu đã bị sửa"
    wb.save(tampered)
    files["tampered"] = tampered
    corrupt = root / "hong.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a workbook")
    files["corrupt"] = corrupt
    return files


def folder(tmp_path: Path, corpus: dict[str, Path], keys: dict[str, str], name: str = "in") -> Path:
    """A returned-files folder: {file name: corpus key}, each stamped 1 December unless re-stamped."""
    d = tmp_path / name
    d.mkdir(exist_ok=True)
    for fname, key in keys.items():
        stamp(Path(shutil.copy(corpus[key], d / fname)), f"{YEAR}-12-01T09:00:00")
    return d


def run(src: Path, tmp_path: Path, plan: Plan, **kw):
    return consolidate(src, YEAR, plan=plan, workspace=tmp_path / "ws", **kw)


def measure(result, code: str):
    return next(m for m in result.measures if m.code == code)


# --------------------------------------------------------------------------------------- aggregation


def test_provincial_value_is_sum_of_counts(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {f"{a}.xlsx": a for a in DISTRICTS})
    r = run(src, tmp_path, plan)
    m1 = measure(r, M)
    num = sum(n for n, _ in RATE_1.values())
    den = sum(d for _, d in RATE_1.values())
    assert (m1.numerator_sum, m1.denominator_sum) == (num, den)
    assert m1.district_aggregate == pytest.approx(num / den * 100)
    assert m1.source == "districts" and m1.value == m1.district_aggregate
    assert sorted(m1.districts_used) == sorted(DISTRICTS)
    assert r.received == [a.id for a in plan.agencies if a.id in DISTRICTS]
    # each district's own value is recomputed from its counts
    by = {d.agency: {x.code: x for x in d.measures} for d in r.districts}
    assert by["h-ben-luc"][M].value == pytest.approx(15.0)
    assert by["h-tan-hung"][M].value is None  # did not report
    assert {d.agency for d in r.districts} == {d.id for d in plan.districts}


def test_district_with_blocking_error_is_left_out_and_listed(tmp_path: Path, corpus, plan: Plan) -> None:
    # h-duc-hoa typed a numerator larger than its denominator for measure M only
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc", "c.xlsx": "h-duc-hoa-bad"})
    r = run(src, tmp_path, plan)
    m1 = measure(r, M)
    assert m1.districts_excluded == ["h-duc-hoa"]
    assert (m1.numerator_sum, m1.denominator_sum) == (40, 300)
    assert "h-duc-hoa" in measure(r, "7").districts_used  # other measures of the file stay usable
    assert "h-duc-hoa" in r.received
    dh = next(d for d in r.districts if d.agency == "h-duc-hoa")
    assert next(x for x in dh.measures if x.code == M).value is None


def test_department_value_is_official_and_reconciled(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {**{f"{a}.xlsx": a for a in DISTRICTS}, "sldtbxh.xlsx": "so-ldtbxh"})
    m1 = measure(run(src, tmp_path, plan), M)
    assert m1.source == "department" and m1.value == pytest.approx(12.0)
    assert m1.district_aggregate == pytest.approx(45 / 350 * 100)
    # |12.857 − 12| = 0.857 > 5 % of 12
    assert m1.reconciliation_flag is True


def test_narratives_and_budget(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"ca.xlsx": "cong-an"})
    r = run(src, tmp_path, plan)
    assert r.received == ["cong-an"]
    (b,) = r.budget
    assert (b.agency, b.state, b.mobilised) == ("cong-an", 120.5, 30)
    (n,) = r.narratives
    assert len(n.tasks) == len(plan.tasks_for(plan.agency("cong-an")))
    assert n.difficulties == "Thiếu cán bộ chuyên trách."
    assert r.to_dict()["narratives"] == [n.to_dict()]


# ----------------------------------------------------------------------------------------- the ledger


def test_rerun_is_idempotent(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc", "x.xlsx": "corrupt"})
    first = run(src, tmp_path, plan).to_dict()
    second = run(src, tmp_path, plan).to_dict()
    assert first == second
    with ledger.Ledger(tmp_path / "ws") as led:
        assert led.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 3
    assert len(list((tmp_path / "ws" / "archive").rglob("*.xlsx"))) == 3


def test_identical_file_twice_is_one_submission(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "a (copy).xlsx": "tp-tan-an"})
    r = run(src, tmp_path, plan)
    assert len(r.submissions) == 1 and r.submissions[0].state == "accepted"
    assert r.submissions[0].original_name == "a (copy).xlsx"  # name order: the first one seen


def test_resubmission_supersedes_and_rerun_with_old_file_does_not_flip(
    tmp_path: Path, corpus, plan: Plan
) -> None:
    src = folder(tmp_path, corpus, {"bl.xlsx": "h-ben-luc"})
    run(src, tmp_path, plan)
    stamp(Path(shutil.copy(corpus["h-ben-luc-v2"], src / "bl-sua.xlsx")), f"{YEAR}-12-10T08:00:00")
    r = run(src, tmp_path, plan)
    subs = {s.original_name: s for s in r.submissions}
    assert subs["bl.xlsx"].state == "superseded"
    assert subs["bl.xlsx"].superseded_by == subs["bl-sua.xlsx"].sha256
    assert subs["bl-sua.xlsx"].state == "accepted"
    assert measure(r, M).numerator_sum == 50
    # the old file comes back in a new folder with a fresh modification time: still superseded
    again = folder(tmp_path, corpus, {"bl.xlsx": "h-ben-luc"}, name="again")
    stamp(again / "bl.xlsx", f"{YEAR}-12-14T08:00:00")
    r2 = run(again, tmp_path, plan)
    states = {s.sha256: s.state for s in r2.submissions}
    assert states[subs["bl-sua.xlsx"].sha256] == "accepted"
    assert states[subs["bl.xlsx"].sha256] == "superseded"
    assert measure(r2, M).numerator_sum == 50


def test_corrupt_file_does_not_stop_the_others(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "hong.xlsx": "corrupt", "c.xlsx": "h-duc-hoa"})
    r = run(src, tmp_path, plan)
    assert r.received == ["tp-tan-an", "h-duc-hoa"]
    bad = next(s for s in r.submissions if s.original_name == "hong.xlsx")
    assert bad.state == "rejected" and bad.agency is None
    assert (tmp_path / "ws" / "archive" / bad.sha256[:2] / f"{bad.sha256}.xlsx").is_file()
    report = next(f for f in r.file_issues if f.sha256 == bad.sha256)
    assert report.valid is False and report.issues


def test_validator_crash_is_recorded_then_retried(
    tmp_path: Path, corpus, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xltoolkit.validation.validate

    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    real = xltoolkit.validation.validate.validate_paths

    def flaky(paths, *a, **kw):
        if any(Path(p).name == "b.xlsx" for p in paths):
            raise RuntimeError("boom")
        return real(paths, *a, **kw)

    monkeypatch.setattr(xltoolkit.validation.validate, "validate_paths", flaky)
    r = run(src, tmp_path, plan)
    assert r.received == ["tp-tan-an"]  # one crash does not stop the other file
    crashed = next(s for s in r.submissions if s.original_name == "b.xlsx")
    assert crashed.state == "rejected"
    assert (tmp_path / "ws" / "archive" / crashed.sha256[:2] / f"{crashed.sha256}.xlsx").is_file()
    monkeypatch.setattr(xltoolkit.validation.validate, "validate_paths", real)
    stamp(src / "b.xlsx", f"{YEAR}-12-30T00:00:00")  # touched since: the first recorded time stands
    r = run(src, tmp_path, plan)
    assert r.received == ["tp-tan-an", "h-ben-luc"] and r.late == []
    assert [s.state for s in r.submissions] == ["accepted", "accepted"]


def test_integrity_failed_file_is_archived_but_not_used(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    run(src, tmp_path, plan)
    stamp(Path(shutil.copy(corpus["tampered"], src / "a-moi.xlsx")), f"{YEAR}-12-05T00:00:00")
    r = run(src, tmp_path, plan)
    subs = {s.original_name: s for s in r.submissions}
    assert subs["a-moi.xlsx"].state == "rejected"
    assert subs["a.xlsx"].state == "accepted"  # the rejected newer file supersedes nothing
    sha = subs["a-moi.xlsx"].sha256
    assert (tmp_path / "ws" / "archive" / sha[:2] / f"{sha}.xlsx").is_file()
    assert measure(r, M).numerator_sum == RATE_1["tp-tan-an"][0]


# --------------------------------------------------------------------------------- completeness/time


def test_late_and_missing(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    stamp(src / "b.xlsx", f"{YEAR}-12-16T08:00:00")
    r = run(src, tmp_path, plan)
    assert r.late == ["h-ben-luc"]
    assert set(r.missing) == {a.id for a in plan.agencies} - {"tp-tan-an", "h-ben-luc"}
    assert len(r.missing) == len(plan.agencies) - 2
    late = {s.agency: s.late for s in r.submissions}
    assert late == {"tp-tan-an": False, "h-ben-luc": True}


def test_correction_after_the_deadline_does_not_make_an_agency_late(
    tmp_path: Path, corpus, plan: Plan
) -> None:
    src = folder(tmp_path, corpus, {"bl.xlsx": "h-ben-luc"})
    stamp(Path(shutil.copy(corpus["h-ben-luc-v2"], src / "bl-sua.xlsx")), f"{YEAR}-12-20T08:00:00")
    r = run(src, tmp_path, plan)
    assert r.late == [] and r.received == ["h-ben-luc"]
    assert {s.original_name: s.late for s in r.submissions} == {"bl.xlsx": False, "bl-sua.xlsx": True}
    assert measure(r, M).numerator_sum == 50  # the correction is the accepted file


def test_agency_with_only_a_rejected_file_is_missing(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tampered", "b.xlsx": "h-ben-luc"})
    r = run(src, tmp_path, plan)
    assert "tp-tan-an" in r.missing and r.received == ["h-ben-luc"]
    assert {s.original_name: s.state for s in r.submissions} == {"a.xlsx": "rejected", "b.xlsx": "accepted"}


def test_file_of_another_year_is_recorded_under_its_own_year(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "cu.xlsx": f"h-ben-luc-{PREV}"})
    r = run(src, tmp_path, plan)
    assert r.received == ["tp-tan-an"]
    old = next(s for s in r.submissions if s.original_name == "cu.xlsx")
    assert (old.agency, old.year, old.state) == ("h-ben-luc", PREV, "accepted")
    report = next(f for f in r.file_issues if f.sha256 == old.sha256)
    assert [i.code for i in report.issues][-1] == "other-year"
    prev = consolidate(src, PREV, plan=plan, workspace=tmp_path / "ws")
    assert prev.received == ["h-ben-luc"]


def test_deadline_day_itself_is_on_time(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an"})
    stamp(src / "a.xlsx", f"{YEAR}-12-15T23:59:00")
    assert run(src, tmp_path, plan).late == []


def test_received_at_override_per_agency_and_for_all(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    r = run(src, tmp_path, plan, received_at={"h-ben-luc": f"{YEAR}-12-20"})
    assert r.late == ["h-ben-luc"]
    got = {s.agency: s.received_at for s in r.submissions}
    assert got["h-ben-luc"] == datetime(YEAR, 12, 20)
    # a correction on a later run updates the recorded time; an official code works as a key
    r = run(src, tmp_path, plan, received_at={"803": f"{YEAR}-12-14"})
    assert r.late == []
    r = run(src, tmp_path, plan, received_at=f"{YEAR}-12-31")
    assert r.late == ["tp-tan-an", "h-ben-luc"]


def test_empty_folder_everyone_missing(tmp_path: Path, plan: Plan) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ghi-chu.txt").write_text("không phải bảng tính")
    (tmp_path / "in" / "~$bao-cao.xlsx").write_bytes(b"lock")  # Excel's lock file
    r = run(tmp_path / "in", tmp_path, plan)
    assert r.received == [] and r.submissions == []
    assert r.missing == [a.id for a in plan.agencies]
    assert all(m.value is None and m.status.status == "not_available" for m in r.measures)


def test_parse_received_at() -> None:
    assert parse_received_at(()) is None
    assert parse_received_at([f"{YEAR}-12-20"]) == datetime(YEAR, 12, 20)
    assert parse_received_at(["h-ben-luc=20/12/2026", "so-yt=2026-12-01T10:30"]) == {
        "h-ben-luc": datetime(2026, 12, 20),
        "so-yt": datetime(2026, 12, 1, 10, 30),
    }
    aware = parse_received_at(["2026-12-20T10:00+07:00"])
    assert aware.tzinfo is None and aware == datetime.fromisoformat(
        "2026-12-20T10:00+07:00"
    ).astimezone().replace(tzinfo=None)
    with pytest.raises(XltoolkitError) as e:
        parse_received_at(["h-ben-luc=hôm qua"])
    assert e.value.code == "bad-received-at"


def test_errors(tmp_path: Path, plan: Plan) -> None:
    with pytest.raises(XltoolkitError) as e:
        consolidate(tmp_path / "none", YEAR, plan=plan, workspace=tmp_path / "ws")
    assert e.value.code == "folder-not-found"
    with pytest.raises(XltoolkitError) as e:
        consolidate(tmp_path, 2040, plan=plan, workspace=tmp_path / "ws")
    assert e.value.code == "year-outside-plan"


# ------------------------------------------------------------------------------------ history/status


def test_trend_and_status_read_earlier_years_from_the_ledger(tmp_path: Path, corpus, plan: Plan) -> None:
    prev = folder(
        tmp_path, corpus, {"a.xlsx": f"tp-tan-an-{PREV}", "b.xlsx": f"h-ben-luc-{PREV}"}, name="prev"
    )
    for f in prev.iterdir():
        stamp(f, f"{PREV}-12-01T09:00:00")
    consolidate(prev, PREV, plan=plan, workspace=tmp_path / "ws")
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    r = run(src, tmp_path, plan)
    m1 = measure(r, M)
    assert m1.trend == pytest.approx({PREV: 10 / 200 * 100, YEAR: 40 / 300 * 100})
    expected = assess(plan.measure_by_code[M], m1.trend, YEAR)
    assert m1.status == expected
    assert (m1.status.base_year, m1.status.latest_year) == (PREV, YEAR)
    bl = next(d for d in r.districts if d.agency == "h-ben-luc")
    s = next(x for x in bl.measures if x.code == M).status
    assert (s.base, s.latest) == (5.0, 15.0)
    h = read_trends(plan, YEAR, workspace=tmp_path / "ws")
    assert h.provincial[M] == pytest.approx(m1.trend)


def test_process_pool_gives_the_same_result(tmp_path: Path, corpus, plan: Plan, monkeypatch) -> None:
    from xltoolkit.consolidation import intake as mod

    src = folder(tmp_path, corpus, {f"{k}.xlsx": k for k in (*DISTRICTS, "so-ldtbxh", "corrupt", "tampered")})
    monkeypatch.setattr(mod, "POOL_CHUNK", 2)  # several chunks, so order across workers matters
    monkeypatch.setattr(mod, "POOL_MIN_CHUNK", 1)
    assert len(mod.pool_chunks(list(range(8)), 2)) > 2
    monkeypatch.setenv("XLTOOLKIT_WORKERS", "2")
    assert mod.pool_size(6) == 2
    pooled = consolidate(src, YEAR, plan=plan, workspace=tmp_path / "p", output=tmp_path / "s.xlsx").to_dict()
    monkeypatch.setenv("XLTOOLKIT_WORKERS", "1")
    assert mod.pool_size(10_000) == 1
    serial = consolidate(src, YEAR, plan=plan, workspace=tmp_path / "s", output=tmp_path / "s.xlsx").to_dict()
    assert pooled == serial
    assert [f["path"] for f in pooled["files"]] == [f["path"] for f in serial["files"]]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 5000), workers=st.integers(1, 8))
def test_pool_chunks_cover_every_file_once_in_order(n: int, workers: int) -> None:
    """The chunks handed to the workers are the files in order, none lost or repeated; large while
    much is left, never above POOL_CHUNK, and shrinking (not below POOL_MIN_CHUNK but the last)."""
    from xltoolkit.consolidation.intake import POOL_CHUNK, POOL_MIN_CHUNK, pool_chunks

    chunks = pool_chunks(list(range(n)), workers)
    assert [i for c in chunks for i in c] == list(range(n))
    sizes = [len(c) for c in chunks]
    assert all(0 < s <= POOL_CHUNK for s in sizes)
    assert all(s >= POOL_MIN_CHUNK for s in sizes[:-1])
    assert sizes == sorted(sizes, reverse=True)
    if n >= 4 * workers * POOL_CHUNK:
        assert sizes[0] == POOL_CHUNK and sizes[-2] <= POOL_CHUNK // 2


# -------------------------------------------------------------------------------------------- the CLI


def test_cli_json_equals_api_result(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    stamp(src / "b.xlsx", f"{YEAR}-12-18T00:00:00")
    api = run(src, tmp_path, plan, received_at={"tp-tan-an": "2026-12-02"})
    res = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(src),
            "--year",
            str(YEAR),
            "--workspace",
            str(tmp_path / "ws"),
            "--received-at",
            "tp-tan-an=2026-12-02",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == json.loads(json.dumps(api.to_dict(), default=str))
    text = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(tmp_path / "ws")]
    )
    assert text.exit_code == 0 and "Gửi muộn" in text.output


def test_cli_bad_received_at_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main, ["consolidate", str(tmp_path), "--year", str(YEAR), "--received-at", "x=y", "--json"]
    )
    assert res.exit_code == 2
    assert json.loads(res.output)["error"]["code"] == "bad-received-at"
