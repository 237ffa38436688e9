"""The provincial summary workbook, written from a hand-built ConsolidationResult and read back through
openpyxl and through LibreOffice (the numbers an officer sees must be those of the result)."""

from __future__ import annotations

import gc
import random
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from xltoolkit.consolidation.results import (
    BudgetLine,
    ConsolidationResult,
    DistrictMeasure,
    DistrictResult,
    FileOutcome,
    MeasureResult,
    Narrative,
    Submission,
    TaskResult,
)
from xltoolkit.demo import libreoffice
from xltoolkit.issues import Issue
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS, StatusResult
from xltoolkit.summary.lists import (
    BUDGET_SHEET,
    BUDGET_TOTAL_KEY,
    DISTRICT_KEY_ROW,
    DISTRICTS_SHEET,
    ISSUES_SHEET,
    NARRATIVES_SHEET,
    SUBMISSIONS_SHEET,
)
from xltoolkit.summary.sheets import FIRST_ROW, STATUS_COLOURS, TABLE_HEADER_ROW
from xltoolkit.summary.workbook import (
    CHARTS_SHEET,
    COMPLETENESS_HEADER_ROW,
    COMPLETENESS_KEYS,
    COMPLETENESS_LABELS,
    MEASURES_SHEET,
    OVERVIEW_SHEET,
    RECONCILIATION_HEADER_ROW,
    SHEETS,
    SOURCE_LABELS,
    measure_columns,
    write_summary,
)
from xltoolkit.workbook import xlio

YEAR = 2025
INJECTIONS = ('=HYPERLINK("http://x","bấm")', "+1+2", "-3*4", "@SUM(A1:A2)", "=1+1")


def _status(rng: random.Random, key: str, target: float | None, year: int | None) -> StatusResult:
    if key == "not_available":
        return StatusResult(key, year, target)
    base, latest = rng.uniform(5, 90), rng.uniform(5, 90)
    obs, req = rng.uniform(-0.1, 0.1), rng.uniform(0.001, 0.1)
    return StatusResult(key, year, target, 2021, base, YEAR, latest, obs, req, obs / req)


def build_result(plan: Plan, seed: int = 7) -> ConsolidationResult:
    """A result with every status, flags, missing and late agencies, text starting with '='."""
    rng = random.Random(seed)
    keys = list(STATUS_LABELS)
    districts = [d.id for d in plan.districts]
    measures = []
    for i, m in enumerate(plan.measures):
        key = keys[i % len(keys)]
        year, target = m.milestone(YEAR)
        trend = {y: round(rng.uniform(0, 100), 4) for y in range(2021, YEAR + 1) if (i + y) % 7}
        dept = round(rng.uniform(1, 99), 3) if i % 3 else None
        agg = round(rng.uniform(1, 99), 6)
        measures.append(
            MeasureResult(
                code=m.code,
                value=dept if dept is not None else agg,
                district_aggregate=agg,
                department_value=dept,
                source="department" if dept is not None else "districts",
                status=_status(rng, key, target, year),
                numerator_sum=float(rng.randint(10, 999)),
                denominator_sum=float(rng.randint(1000, 99999)),
                districts_used=districts[: 13 + i % 3],
                districts_excluded=districts[13 + i % 3 :],
                reconciliation_flag=i in (2, 5),
                trend=trend,
            )
        )
    dres = [
        DistrictResult(
            d,
            [
                DistrictMeasure(
                    m.code,
                    None if (j + k) % 11 == 0 else round(rng.uniform(0, 100), 3),
                    StatusResult(keys[(j + k) % len(keys)], YEAR, None),
                )
                for k, m in enumerate(plan.measures)
            ],
        )
        for j, d in enumerate(districts)
    ]
    received = [a.id for a in plan.agencies if a.id not in ("h-tan-hung", "mttq")]
    t0 = datetime(YEAR, 12, 1, 9, 30)
    subs = [
        Submission(a, YEAR, f"{n:064x}", f"bao-cao-{YEAR}-{a}.xlsx", t0.replace(day=1 + n % 14), "accepted")
        for n, a in enumerate(received)
    ]
    subs[3].late = True
    subs[3].received_at = datetime(YEAR, 12, 20, 8, 0)
    subs.append(Submission("h-duc-hue", YEAR, "f" * 64, "cu.xlsx", t0, "superseded", superseded_by="0" * 64))
    subs.append(Submission(None, None, "e" * 64, "la.xlsx", t0, "rejected", errors=1))
    files = [
        FileOutcome(
            path=f"/tmp/nhan-ve/bao-cao-{YEAR}-{a}.xlsx",
            agency=a,
            year=YEAR,
            valid=n % 4 != 0,
            issues=[
                Issue(
                    code="not-a-number",
                    severity="error" if n % 2 else "warning",
                    sheet="Số liệu",
                    cell=f"H{10 + n}",
                    message=INJECTIONS[n // 4 % len(INJECTIONS)]
                    if n < 20
                    else f"Ô H{10 + n} không phải là số.",
                )
            ]
            if n % 4 == 0
            else [],
            sha256=f"{n:064x}",
            state="accepted",
        )
        for n, a in enumerate(received)
    ]
    narratives = [
        Narrative(
            agency=a.id,
            tasks=[
                TaskResult(t, INJECTIONS[k % len(INJECTIONS)] if a.id == "so-ldtbxh" else "Đã thực hiện.")
                for k, t in enumerate(plan.tasks_for(a))
            ],
            difficulties="=cmd|' /C calc'!A0" if a.id == "so-tp" else "",
        )
        for a in plan.agencies
        if a.id in received
    ]
    budget = [
        BudgetLine(
            agency=a,
            state=round(rng.uniform(0, 900), 2),
            mobilised=None if n % 5 == 0 else rng.randint(0, 300),
        )
        for n, a in enumerate(received)
    ]
    return ConsolidationResult(
        year=YEAR,
        plan_id=plan.id,
        received=received,
        late=[received[3]],
        missing=["h-tan-hung", "mttq"],
        measures=measures,
        districts=dres,
        submissions=subs,
        file_issues=files,
        narratives=narratives,
        budget=budget,
    )


@pytest.fixture(scope="module")
def result(plan: Plan) -> ConsolidationResult:
    return build_result(plan)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, result: ConsolidationResult, plan: Plan) -> Path:
    return write_summary(result, plan, tmp_path_factory.mktemp("summary") / "tong-hop.xlsx")


def _rows(ws, ncols: int) -> dict[str, list]:
    out = {}
    for row in ws.iter_rows(min_row=FIRST_ROW, max_col=ncols, values_only=True):
        if row[0] is None:
            break
        out[str(row[0])] = list(row)
    return out


def _same(got, want) -> bool:
    if want is None:
        return got is None
    return got == pytest.approx(want, rel=1e-12)


def _check_measures(ws, result: ConsolidationResult, plan: Plan) -> None:
    data = result.to_dict()
    years = sorted({int(y) for m in data["measures"] for y in m["trend"]})
    cols = measure_columns(plan, years)
    idx = {c.key: i for i, c in enumerate(cols)}
    header = [c.value for c in ws[TABLE_HEADER_ROW]][: len(cols)]
    assert [int(h) for h in header[len(cols) - len(years) :]] == years
    rows = _rows(ws, len(cols))
    assert list(rows) == [m["code"] for m in data["measures"]]
    labels = {v: k for k, v in STATUS_LABELS.items()}
    sources = {v: k for k, v in SOURCE_LABELS.items()}
    for m in data["measures"]:
        row = rows[m["code"]]
        for key in ("value", "district_aggregate", "department_value", "target"):
            assert _same(row[idx[key]], m[key]), (m["code"], key)
        for key, want in m["status_detail"].items():
            if key in idx and key != "status":
                assert _same(row[idx[key]], want), (m["code"], key)
        assert labels[row[idx["status"]]] == m["status"]
        assert sources[row[idx["source"]]] == m["source"]
        assert (row[idx["reconciliation"]] is not None) == m["reconciliation_flag"]
        assert row[idx["districts_used"]] == len(m["districts_used"])
        got_trend = {str(y): row[idx[f"trend_{y}"]] for y in years if row[idx[f"trend_{y}"]] is not None}
        assert got_trend == pytest.approx(m["trend"], rel=1e-12)


def test_measure_table_reads_back(written: Path, result: ConsolidationResult, plan: Plan) -> None:
    wb = openpyxl.load_workbook(written)
    assert tuple(wb.sheetnames) == SHEETS
    _check_measures(wb[MEASURES_SHEET], result, plan)


def test_overview_counts_completeness_and_flags(
    written: Path, result: ConsolidationResult, plan: Plan
) -> None:
    ws = openpyxl.load_workbook(written)[OVERVIEW_SHEET]
    texts = [c.value for row in ws.iter_rows(max_row=2) for c in row if c.value]
    assert {"UBND TỈNH LONG AN", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"} <= set(texts)
    assert {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"} <= set(texts)
    statuses = [m.status.status for m in result.measures]
    for i, (key, label) in enumerate(STATUS_LABELS.items()):
        assert ws.cell(FIRST_ROW + i, 2).value == label
        assert ws.cell(FIRST_ROW + i, 3).value == statuses.count(key)
        assert ws.cell(FIRST_ROW + i, 2).fill.fgColor.rgb.endswith(STATUS_COLOURS[key])
    assert ws.cell(FIRST_ROW + len(STATUS_LABELS), 3).value == len(result.measures)
    assert len(ws._charts) == 1
    # Fixed row order (COMPLETENESS_KEYS); people see a number and a Vietnamese label, no machine key.
    counts = {
        key: ws.cell(COMPLETENESS_HEADER_ROW + 1 + i, 3).value for i, key in enumerate(COMPLETENESS_KEYS)
    }
    labels = [ws.cell(COMPLETENESS_HEADER_ROW + 1 + i, 2).value for i in range(len(COMPLETENESS_KEYS))]
    assert labels == [COMPLETENESS_LABELS[k] for k in COMPLETENESS_KEYS]
    assert [ws.cell(COMPLETENESS_HEADER_ROW + 1 + i, 1).value for i in range(len(COMPLETENESS_KEYS))] == [
        1,
        2,
        None,
        None,
        3,
        4,
        5,
    ]
    visible = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert not visible & set(COMPLETENESS_KEYS)
    assert counts == {
        "expected": 26,
        "received": len(result.received),
        "on_time": len(result.received) - 1,
        "late": 1,
        "missing": 2,
        "superseded": 1,
        "rejected": 1,
    }
    missing_row = COMPLETENESS_HEADER_ROW + 1 + COMPLETENESS_KEYS.index("missing")
    assert "Tân Hưng" in ws.cell(missing_row, 4).value
    flagged = [ws.cell(RECONCILIATION_HEADER_ROW + 1 + i, 1).value for i in range(3)]
    assert flagged[:2] == [m.code for m in result.measures if m.reconciliation_flag] and flagged[2] is None


def test_district_matrix_values_and_colours(written: Path, result: ConsolidationResult, plan: Plan) -> None:
    ws = openpyxl.load_workbook(written)[DISTRICTS_SHEET]
    ids = [ws.cell(DISTRICT_KEY_ROW, 4 + j).value for j in range(len(result.districts))]
    assert ids == [d.agency for d in result.districts]
    assert ws.row_dimensions[DISTRICT_KEY_ROW].hidden
    rows = _rows(ws, 3 + len(ids))
    for j, d in enumerate(result.districts):
        for dm in d.measures:
            assert rows[dm.code][3 + j] == dm.value
            r = FIRST_ROW + list(rows).index(dm.code)
            assert ws.cell(r, 4 + j).fill.fgColor.rgb.endswith(STATUS_COLOURS[dm.status.status])


def test_submissions_issues_narratives_budget(written: Path, result: ConsolidationResult, plan: Plan) -> None:
    wb = openpyxl.load_workbook(written)
    subs = list(wb[SUBMISSIONS_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True))
    states = [r[4] for r in subs]
    assert states.count("Đã tiếp nhận") == len(result.received)
    assert states.count("Chưa gửi") == 2 and states.count("Bị từ chối") == 1
    assert states.count("Đã được thay thế") == 1
    late = [r for r in subs if r[5] == "Có"]
    assert [r[0] for r in late] == result.late and late[0][3] == datetime(YEAR, 12, 20, 8, 0)
    issues = [r for r in wb[ISSUES_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True) if r[0]]
    assert len(issues) == sum(len(f.issues) for f in result.file_issues)
    assert sum(1 for r in issues if r[5] == "Lỗi") == sum(
        1 for f in result.file_issues for i in f.issues if i.severity == "error"
    )
    assert {r[8] for r in issues} == {"not-a-number"}
    nar = [r for r in wb[NARRATIVES_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True) if r[0]]
    assert len(nar) == sum(len(n.tasks) + bool(n.difficulties) for n in result.narratives)
    budget = {r[0]: r for r in wb[BUDGET_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True) if r[0]}
    total = budget.pop(BUDGET_TOTAL_KEY)
    want_state = sum(b.state or 0 for b in result.budget)
    want_mob = sum(b.mobilised or 0 for b in result.budget)
    assert total[2] == pytest.approx(want_state) and total[3] == pytest.approx(want_mob)
    assert total[4] == pytest.approx(want_state + want_mob)
    assert len(budget) == len(result.budget)


def test_agency_text_is_never_a_formula(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    seen.add(c.value)
    assert set(INJECTIONS) <= seen and "=cmd|' /C calc'!A0" in seen
    with zipfile.ZipFile(written) as z:
        sheets_xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert re.search(rb"<f[ >]", sheets_xml) is None  # no formula element anywhere
    assert b'<is><t>=HYPERLINK("http://x","b' in sheets_xml  # stored as an inline string


def test_print_and_screen_setup(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    for ws in wb.worksheets:
        assert str(ws.page_setup.paperSize) == "9", ws.title
        assert ws["A1"].font.name == "Times New Roman"
    ws = wb[MEASURES_SHEET]
    assert ws.freeze_panes == "C9" and ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["B"].width >= 30 and ws["B9"].alignment.wrap_text


def _merged_at(ws, row: int, col: int) -> tuple[int, int]:
    """First and last column of the merged range holding (row, col), or (col, col)."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng.min_col, rng.max_col
    return col, col


def test_measures_print_readable_pages(written: Path) -> None:
    """Page 1 ends with the outlook and holds the appendix title (the national header block is on the
    first sheet only); further pages repeat code and name, each with its «(tiếp theo)» title; one
    fixed scale at which 12 pt text prints at 9 pt at least."""
    ws = openpyxl.load_workbook(written)[MEASURES_SHEET]
    header = [c.value for c in ws[TABLE_HEADER_ROW]]
    outlook_col = next(j for j, v in enumerate(header, 1) if isinstance(v, str) and v.startswith("Dự báo"))
    breaks = [b.id for b in ws.col_breaks.brk]
    assert breaks[0] == outlook_col
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and 75 <= ws.page_setup.scale <= 100
    assert ws.print_title_cols == "$A:$B"
    assert ws.cell(1, 1).value == "Phụ lục I" and _merged_at(ws, 1, 1) == (1, outlook_col)
    texts = {c.value for row in ws.iter_rows(max_row=6) for c in row if c.value}
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in texts
    assert any("Kỳ báo cáo: từ ngày 15/12/2024 đến ngày 14/12/2025" in str(t) for t in texts)
    for b in breaks:
        assert "(tiếp theo)" in ws.cell(5, b + 1).value


def test_charts_print_whole_charts(written: Path, result: ConsolidationResult) -> None:
    from xltoolkit.summary.measures import CHART_ROWS, CHART_ROWS_PER_PAGE, CHARTS_PER_ROW

    ws = openpyxl.load_workbook(written)[CHARTS_SHEET]
    assert ws.print_title_rows == "$5:$6"  # the title, above the charts' rows
    rows = -(-len(result.measures) // CHARTS_PER_ROW)
    breaks = [b.id for b in ws.row_breaks.brk]
    assert len(breaks) == (rows - 1) // CHART_ROWS_PER_PAGE
    assert all((b - TABLE_HEADER_ROW + 1) % (CHART_ROWS * CHART_ROWS_PER_PAGE) == 0 for b in breaks)


def test_people_see_no_machine_codes_and_wrapped_rows_fit(written: Path) -> None:
    """Issue codes stay in a hidden column; the budget total is labelled in Vietnamese; a row whose
    text wraps is tall enough for it."""
    wb = openpyxl.load_workbook(written)
    ws = wb[ISSUES_SHEET]
    code_col = next(c.column_letter for c in ws[TABLE_HEADER_ROW] if c.value == "Mã lỗi")
    assert ws.column_dimensions[code_col].hidden
    ws = wb[BUDGET_SHEET]
    total = next(r for r in ws.iter_rows(min_row=FIRST_ROW) if r[0].value == BUDGET_TOTAL_KEY)
    assert total[1].value == "Tổng cộng toàn tỉnh" and ws.column_dimensions["A"].hidden
    for name in (SUBMISSIONS_SHEET, ISSUES_SHEET, NARRATIVES_SHEET, BUDGET_SHEET):
        assert wb[name].column_dimensions["A"].hidden, name  # agency ids kept, not printed
    ws = wb[SUBMISSIONS_SHEET]
    sha_col = next(c.column_letter for c in ws[TABLE_HEADER_ROW] if c.value == "Mã băm SHA-256")
    assert ws.column_dimensions[sha_col].hidden
    assert {
        len(r[0].value)
        for r in ws.iter_rows(min_row=FIRST_ROW, min_col=ws[sha_col + "9"].column)
        if r[0].value
    } == {64}
    ws = wb[NARRATIVES_SHEET]
    long = max(ws.iter_rows(min_row=FIRST_ROW), key=lambda r: len(str(r[3].value or "")))
    assert len(long[3].value) > 60 and (ws.row_dimensions[long[0].row].height or 0) >= 30


def test_trend_charts_are_native_line_charts(written: Path, result: ConsolidationResult) -> None:
    with zipfile.ZipFile(written) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = b"".join(z.read(n) for n in charts)
    assert len(charts) == len(result.measures) + 1
    assert xml.count(b"<lineChart>") == len(result.measures) and xml.count(b"<barChart>") == 1
    assert "'Xu hướng'!".encode() in xml
    assert xml.count(b"<ser>") == 2 * len(result.measures) + 1  # value and target; one bar series
    assert xml.count("Mục tiêu".encode()) >= len(result.measures)


def test_target_lines_follow_the_plan_milestones(
    written: Path, result: ConsolidationResult, plan: Plan
) -> None:
    """A target is a marker at its own year (a standing target: every year), never a line carried
    across the years before it; the axis runs on to the plan's last target year."""
    ws = openpyxl.load_workbook(written)[CHARTS_SHEET]
    years = list(range(min(y for m in result.measures for y in m.trend), 2031))
    col = next(c.column for c in ws[TABLE_HEADER_ROW] if c.value == "Mã")
    assert [ws.cell(TABLE_HEADER_ROW, col + 1 + k).value for k in range(len(years))] == years
    for i, m in enumerate(result.measures):
        pm = plan.measure_by_code[m.code]
        values = [ws.cell(FIRST_ROW + 2 * i, col + 1 + k).value for k in range(len(years))]
        marks = [ws.cell(FIRST_ROW + 2 * i + 1, col + 1 + k).value for k in range(len(years))]
        assert ws.cell(FIRST_ROW + 2 * i, col).value == m.code
        assert values == [({**m.trend, YEAR: m.value}).get(y) for y in years]
        if pm.standing_target is None:
            assert marks == [pm.targets.get(y) for y in years]
            assert sum(v is not None for v in marks) == len(pm.targets)
        else:
            assert marks == [pm.targets.get(y, pm.standing_target) for y in years]


def test_same_input_same_content(tmp_path: Path, result: ConsolidationResult, plan: Plan) -> None:
    def contents(p: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(p) as z:
            return {n: z.read(n) for n in z.namelist()}

    a = write_summary(result, plan, tmp_path / "a.xlsx")
    b = write_summary(build_result(plan), plan, tmp_path / "b.xlsx")
    assert contents(a) == contents(b)


def test_atomic_write(tmp_path: Path, result: ConsolidationResult, plan: Plan, monkeypatch) -> None:
    target = tmp_path / "tong-hop.xlsx"
    target.write_bytes(b"old report")

    def boom(self):  # the disk fills up half-way through writing the zip
        self._archive.writestr("xl/half.xml", b"half")
        raise OSError("disk full")

    monkeypatch.setattr(xlio.ExcelWriter, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        write_summary(result, plan, target)
    assert target.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["tong-hop.xlsx"]
    monkeypatch.undo()
    write_summary(result, plan, target)
    assert [p.name for p in tmp_path.iterdir()] == ["tong-hop.xlsx"]
    assert openpyxl.load_workbook(target)[MEASURES_SHEET]["A9"].value == result.measures[0].code


def test_garbage_collector_given_back(
    tmp_path: Path, result: ConsolidationResult, plan: Plan, monkeypatch
) -> None:
    """Writing pauses the garbage collector and leaves it as the caller had it, also on failure."""
    seen = []

    def full_disk(self):
        seen.append(gc.isenabled())
        raise OSError("disk full")

    assert gc.isenabled()
    monkeypatch.setattr(xlio.ExcelWriter, "save", full_disk)
    with pytest.raises(OSError, match="disk full"):
        write_summary(result, plan, tmp_path / "a.xlsx")
    assert seen == [False] and gc.isenabled()
    monkeypatch.undo()
    gc.disable()
    try:
        write_summary(result, plan, tmp_path / "b.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.libreoffice
def test_libreoffice_reads_the_same_numbers(
    require_libreoffice, written: Path, result: ConsolidationResult, plan: Plan, tmp_path: Path
) -> None:
    """LibreOffice opens and re-saves the summary; the tables still hold the result's numbers."""
    [saved] = libreoffice.resave([written], tmp_path)
    wb = openpyxl.load_workbook(saved)
    assert tuple(wb.sheetnames) == SHEETS
    _check_measures(wb[MEASURES_SHEET], result, plan)
    ws = wb[OVERVIEW_SHEET]
    statuses = [m.status.status for m in result.measures]
    assert [ws.cell(FIRST_ROW + i, 3).value for i in range(len(STATUS_LABELS))] == [
        statuses.count(k) for k in STATUS_LABELS
    ]
    texts = {c.value for r in wb[NARRATIVES_SHEET].iter_rows() for c in r if isinstance(c.value, str)}
    assert set(INJECTIONS) <= texts  # still text after LibreOffice, not evaluated


def test_many_resubmissions_and_issues_stay_readable(
    tmp_path: Path, result: ConsolidationResult, plan: Plan, monkeypatch
) -> None:
    """An agency resending 12 times shows its 3 latest superseded files and one row for the rest;
    issue rows are capped with a note saying how many more there are."""
    import copy

    import xltoolkit.summary.lists as sheets

    many = copy.deepcopy(result)
    t0 = datetime(YEAR, 11, 1, 8, 0)
    many.submissions += [
        Submission(
            "so-yt", YEAR, f"{k:060x}beef", f"lan-{k}.xlsx", t0.replace(day=1 + k), "superseded", errors=1
        )
        for k in range(12)
    ]
    monkeypatch.setattr(sheets, "ISSUE_ROWS_MAX", 2)
    wb = openpyxl.load_workbook(write_summary(many, plan, tmp_path / "many.xlsx"))
    rows = [
        r for r in wb[SUBMISSIONS_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True) if r[0] == "so-yt"
    ]
    assert [r[2] for r in rows[:4]] == [
        "9 tệp gửi trước đó (lưu trong sổ theo dõi)",
        "lan-9.xlsx",
        "lan-10.xlsx",
        "lan-11.xlsx",
    ]
    assert rows[0][6] == 9 and rows[-1][4] == "Đã tiếp nhận"
    issue_rows = list(wb[ISSUES_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True))
    total = sum(len(f.issues) for f in result.file_issues)
    assert sum(1 for r in issue_rows if r[0]) == 2
    assert (
        issue_rows[2][1] == f"… và {total - 2} lỗi, cảnh báo khác: xem trang «Kết quả kiểm tra» của từng tệp."
    )
