"""Issue 12 on the summary workbook: the break of the 2025 reorganisation marked on multi-year tables
and charts (from the plan's editions), new communes' own series starting in 2025 with the reason,
the former districts rebuilt from the communes wholly inside them, and the unit matrix with filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.consolidation.intake import consolidate
from xltoolkit.consolidation.ledger import Ledger
from xltoolkit.consolidation.results import DistrictResult
from xltoolkit.plan.aggregate import district_aggregates, rate
from xltoolkit.plan.history import (
    BREAK_MARK,
    ChangeBreak,
    break_in,
    former_district_table,
    registry,
    sum_by_district,
)
from xltoolkit.plan.model import Plan
from xltoolkit.plan.units import continuation, district_rollup
from xltoolkit.summary.history import FORMER_SHEET, NO_HISTORY_TEXT, UNITS_SHEET, units_sheet
from xltoolkit.summary.measures import measure_columns, trend_years
from xltoolkit.summary.sheets import FIRST_ROW, TABLE_HEADER_ROW
from xltoolkit.summary.units import SCORECARD_SHEET
from xltoolkit.summary.workbook import (
    CHARTS_SHEET,
    MEASURES_SHEET,
    OVERVIEW_SHEET,
    write_summary,
    write_workspace_summary,
)

from .test_across_change import M, _file_counts, across  # noqa: F401  (the module fixture)
from .test_summary import _rows, build_result


@pytest.fixture(scope="module")
def summary(request: pytest.FixtureRequest, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    built = request.getfixturevalue("across")  # the workspace of tests/test_across_change.py
    tmp = tmp_path_factory.mktemp("history")
    ws = tmp / "ws"
    folders = built["folders"]
    for year in (2023, 2024):
        consolidate(folders[year], year, plan=plan, workspace=ws, output=tmp / f"s{year}.xlsx")
    r25 = consolidate(folders[2025], 2025, plan=plan, workspace=ws, output=tmp / "s25.xlsx")
    with Ledger(ws, create=False) as led:
        history = led.values(upto_year=2025, plan_id=plan.id)
    p25 = plan.for_year(2025)
    path = write_workspace_summary(ws, 2025, plan, tmp / "tong-hop-2025.xlsx")
    bare = write_summary(r25, p25, tmp / "khong-kem-so-lieu.xlsx")
    counts = {y: _file_counts(folders[y], plan) for y in (2023, 2024, 2025)}
    consolidated = tmp / "s25.xlsx"  # as `consolidate` wrote it, with the ledger's counts
    return {
        "path": path,
        "bare": bare,
        "result": r25,
        "history": history,
        "counts": counts,
        "consolidated": consolidated,
    }


def _text(ws) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None)


# ------------------------------------------------------------------------------------------- break


def test_the_break_comes_from_the_edition_that_changed_the_units(plan: Plan) -> None:
    p25 = plan.for_year(2025)
    brk = break_in(p25, [2023, 2024, 2025])
    edition = p25.edition
    assert brk is not None and edition is not None and edition.valid_from is not None
    assert (brk.year, brk.on, brk.edition) == (2025, edition.valid_from, edition.id)
    assert brk.label == f"Sắp xếp đơn vị hành chính, {edition.valid_from.day}/{edition.valid_from.month}/2025"
    assert "cấp xã" in brk.legend and brk.legend.startswith(BREAK_MARK)
    # no break inside the district years, none after it, none for one year
    assert break_in(p25, [2021, 2022, 2023, 2024]) is None
    assert break_in(p25, [2025, 2026]) is None
    assert break_in(p25, [2025]) is None
    other = ChangeBreak(2027, date(2026, 10, 1), "x", "commune", "Khác")
    assert other.label.endswith("1/10/2026") and other.spans([2026, 2027]) and not other.spans([2027])


def test_measures_and_charts_mark_the_break(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    wb = openpyxl.load_workbook(summary["path"])
    ws = wb[MEASURES_SHEET]
    years = trend_years(summary["result"])
    assert years == [2023, 2024, 2025]
    cols = measure_columns(plan.for_year(2025), years)
    header = {c.value: c for c in ws[TABLE_HEADER_ROW][: len(cols)] if isinstance(c.value, int)}
    assert BREAK_MARK in header[2025].number_format and BREAK_MARK not in header[2024].number_format
    brk = break_in(plan.for_year(2025), years)
    assert brk is not None and brk.legend in _text(ws)
    charts = wb[CHARTS_SHEET]
    block = {c.value: c for c in charts[TABLE_HEADER_ROW] if isinstance(c.value, int)}
    assert BREAK_MARK in block[2025].number_format and BREAK_MARK not in block[2026].number_format
    assert f"2025 {BREAK_MARK}" in _text(charts)  # the categories' labels
    assert charts._charts[0].series[0].cat.strRef is not None
    chart = charts._charts[0]
    title = "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))
    assert brk.label in title


def test_the_adapters_measure_table_marks_the_break_as_the_summary_does(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    """The add-in renders `measure_table()`, not the workbook: the same «2025 †» header and legend."""
    from xltoolkit.summary import MeasureTable, measure_table

    table = measure_table(summary["result"], plan.for_year(2025))
    shown = table.shown_headers
    assert f"2025 {BREAK_MARK}" in shown and 2024 in shown and f"2024 {BREAK_MARK}" not in shown
    assert table.headers[shown.index(f"2025 {BREAK_MARK}")] == 2025
    ws = openpyxl.load_workbook(summary["consolidated"])[MEASURES_SHEET]
    assert table.break_legend is not None and table.break_legend in _text(ws)
    unbroken = MeasureTable(2025, table.columns, [])  # years on one side of the change only
    assert unbroken.break_legend is None and unbroken.shown_headers == unbroken.headers


# ----------------------------------------------------------------------------------- unit tables


def test_unit_matrix_one_row_per_commune_with_the_reason(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    p25 = plan.for_year(2025)
    reg = registry(p25)
    assert reg is not None
    ws = openpyxl.load_workbook(summary["path"])[UNITS_SHEET]
    rows = _rows(ws, 5 + len(p25.measures))
    assert list(rows) == [d.agency for d in summary["result"].districts]
    assert len(rows) == len(p25.districts)
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{TABLE_HEADER_ROW}:")
    assert ws.freeze_panes == "C9"
    keys = [c.value for c in ws[TABLE_HEADER_ROW]]
    m_col = keys.index(M)
    for unit in summary["counts"][2025]:
        c = continuation(reg, unit)
        assert rows[unit][4] == c.reason
        num, den = summary["counts"][2025][unit]
        assert rows[unit][m_col] == pytest.approx(
            rate(num, den, p25.measure_by_code[M].scale, has_denominator=True)
        )
    mixed = rows["27694-2025"]
    assert mixed[2] == "Nhiều huyện cũ" and "không so sánh được" in mixed[3].lower()


def test_scorecard_commune_series_start_in_2025_with_the_reason(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    reg = registry(plan)
    assert reg is not None
    ws = openpyxl.load_workbook(summary["path"])[SCORECARD_SHEET]
    header = [c.value for c in ws[TABLE_HEADER_ROW] if isinstance(c.value, int)]
    assert header == [2025]  # a commune has no own value before it existed
    text = _text(ws)
    assert f"Chuỗi số liệu: {continuation(reg, '27694-2025').reason}" in text


# ------------------------------------------------------------------------------- former districts


@pytest.mark.parametrize("which", ["path", "consolidated"])
def test_former_districts_run_on_from_their_communes(summary: dict, plan: Plan, which: str) -> None:  # type: ignore[type-arg]
    ws = openpyxl.load_workbook(summary[which])[FORMER_SHEET]
    keys = [c.value for c in ws[TABLE_HEADER_ROW]]
    years = [k for k in keys if isinstance(k, int)]
    assert years == [2023, 2024, 2025]
    rows = _rows(ws, len(keys))
    scale = plan.measure_by_code[M].scale
    counts = summary["counts"]

    def value(year: int, units: list[str]) -> float | None:
        num = sum(counts[year][u][0] for u in units)
        den = sum(counts[year][u][1] for u in units)
        return rate(num, den, scale, has_denominator=True)

    tan_an = rows[f"794|{M}"]
    got = dict(zip(keys, tan_an, strict=True))
    assert got[2023] == pytest.approx(value(2023, ["tp-tan-an"]))
    assert got[2024] == pytest.approx(value(2024, ["tp-tan-an"]))
    # 2025: the two wards wholly inside the former Tân An; Phường Long An spans several districts
    assert got[2025] == pytest.approx(value(2025, ["27712-2025", "27715-2025"]))
    ben_luc = dict(zip(keys, rows[f"{plan.agency_by_id['h-ben-luc'].unit}|{M}"], strict=True))
    assert ben_luc[2024] == pytest.approx(value(2024, ["h-ben-luc"])) and ben_luc[2025] is None
    assert BREAK_MARK in ws.cell(TABLE_HEADER_ROW, keys.index(2025) + 1).number_format
    text = _text(ws)
    assert "Thành phố Tân An: Phường Long An" in text
    assert ws.auto_filter.ref


def test_without_history_the_sheet_says_so(summary: dict) -> None:  # type: ignore[type-arg]
    ws = openpyxl.load_workbook(summary["bare"])[FORMER_SHEET]
    assert NO_HISTORY_TEXT in _text(ws)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3),
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(["d1", "d2", "d3", None])),
        max_size=30,
    )
)
def test_sum_by_district_property(data: dict[str, tuple[int, int, str | None]]) -> None:
    counts = {u: (float(n), float(d)) for u, (n, d, _) in data.items()}
    within = {u: w for u, (_, _, w) in data.items()}
    out = sum_by_district(counts, within)
    assert sum(n for n, _, _ in out.values()) <= sum(n for n, _ in counts.values())
    assert sum(d or 0 for _, d, _ in out.values()) <= sum(d for _, d in counts.values())
    for district, (num, den, members) in out.items():
        inside = sorted(u for u, w in within.items() if w == district)
        assert list(members) == inside
        assert num == sum(counts[u][0] for u in inside) and den == sum(counts[u][1] for u in inside)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_former_district_table_never_exceeds_the_province(plan: Plan, data: st.DataObject) -> None:
    """On the real units: Σ over former districts ≤ the provincial sum; a district its communes rebuild
    exactly has exactly their sum."""
    p25 = plan.for_year(2025)
    communes = [a.id for a in p25.districts]
    rows = []
    for c in communes:
        den = data.draw(st.integers(0, 5000))
        num = data.draw(st.integers(0, den))
        rows.append({"agency": c, "year": 2025, "code": M, "numerator": num, "denominator": den})
    values = pd.DataFrame(rows)
    tab = former_district_table(values, plan)
    province = district_aggregates(values, plan)[(2025, M)]
    mine = [f for (_, code, y), f in tab.figures.items() if code == M and y == 2025]
    assert sum(f.numerator or 0 for f in mine) <= (province.numerator_sum or 0)
    assert sum(f.denominator or 0 for f in mine) <= (province.denominator_sum or 0)
    reg = registry(plan)
    assert reg is not None
    counts = {r["agency"]: r for r in rows if r["denominator"] > 0 or r["numerator"] == 0}
    for district, members in district_rollup(reg, plan.deadline_for(2025)).items():
        fig = tab.figures.get((district, M, 2025))
        expect = [counts[u] for u in members if u in counts]
        if not expect:
            continue
        assert fig is not None and fig.source == "communes"
        assert fig.numerator == sum(r["numerator"] for r in expect)
        assert fig.denominator == sum(r["denominator"] for r in expect)


def test_the_overview_is_the_same_with_or_without_history(summary: dict) -> None:  # type: ignore[type-arg]
    def cells(path: Path) -> list[tuple]:  # type: ignore[type-arg]
        return list(openpyxl.load_workbook(path)[OVERVIEW_SHEET].iter_rows(values_only=True))

    assert cells(summary["path"]) == cells(summary["bare"])


def test_unit_matrix_at_the_size_of_the_merged_province(plan: Plan) -> None:
    """3,321 units (every commune and ward of the country after 2025): one row each, all under the
    filter, header and names frozen (no timing asserted)."""
    p25 = plan.for_year(2025)
    proto = build_result(p25).districts[0]
    ids = [a.id for a in p25.districts]
    result = build_result(p25)
    result.districts = [
        DistrictResult(ids[i] if i < len(ids) else f"don-vi-{i}", proto.measures) for i in range(3321)
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    units_sheet(ws, result, p25)
    rows = _rows(ws, 5)
    assert len(rows) == 3321
    last = FIRST_ROW + 3321 - 1
    assert ws.auto_filter.ref.endswith(str(last)) and ws.freeze_panes == "C9"
    assert ws.cell(FIRST_ROW + 3000, 2).value == "don-vi-3000"  # an unknown unit keeps its id, no lineage
    assert ws.cell(FIRST_ROW + 3000, 4).value is None


def test_former_district_table_ignores_what_the_province_ignores(plan: Plan) -> None:
    p25 = plan.for_year(2025)
    inside = "27712-2025"
    rows = [
        {"agency": inside, "year": 2025, "code": M, "numerator": 5, "denominator": 50},
        {"agency": "27715-2025", "year": 2025, "code": M, "numerator": 7, "denominator": float("nan")},
        {
            "agency": "27715-2025",
            "year": 2025,
            "code": "1",
            "numerator": 1,
            "denominator": 1,
            "blocked": True,
        },
        {"agency": "khong-co", "year": 2025, "code": M, "numerator": 10**6, "denominator": 10**6},
        {"agency": "tp-tan-an", "year": 2025, "code": M, "numerator": 1, "denominator": 2},  # not in force
    ]
    tab = former_district_table(pd.DataFrame(rows), p25)
    fig = tab.figures[("794", M, 2025)]
    assert (fig.numerator, fig.denominator, fig.summed) == (5.0, 50.0, (inside,))
    assert ("794", "1", 2025) not in tab.figures


@pytest.mark.libreoffice
def test_printed_break(require_libreoffice, summary: dict, plan: Plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Through LibreOffice: the year header and the chart axis print «2025 †», the legend and the
    chart titles print the change, and «Theo huyện cũ» is an appendix of its own."""
    import pdfplumber

    from .test_summary_print import _pdf

    with pdfplumber.open(_pdf(summary["path"], tmp_path)) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
    brk = break_in(plan.for_year(2025), [2023, 2024, 2025])
    assert brk is not None
    charts = [t for t in pages if "Phụ lục II\n" in t or "XU HƯỚNG" in t]
    assert charts and f"2025 {BREAK_MARK}" in charts[0] and brk.label in charts[0]
    assert any(brk.legend in t for t in pages)
    former = [t for t in pages if "Phụ lục III-b" in t]
    assert former and f"2025 {BREAK_MARK}" in former[0]


def test_a_large_collection_points_from_per_unit_sheets_to_the_unit_matrix(plan: Plan) -> None:
    """Above PER_UNIT_SHEETS_MAX units the units-across sheets say where to look instead; the unit
    matrix and the overview are still built."""
    from xltoolkit.summary.lists import units_level_sheet
    from xltoolkit.summary.workbook import (
        OVERVIEW_SHEET,
        PER_UNIT_SHEETS_MAX,
        RANKING_SHEET,
        SCORECARD_SHEET,
        build_summary,
    )

    p25 = plan.for_year(2025)
    result = build_result(p25)
    proto = result.districts[0]
    n = PER_UNIT_SHEETS_MAX + 1
    result.districts = [DistrictResult(f"don-vi-{i}", proto.measures) for i in range(n)]
    wb = build_summary(result, p25)
    assert units_level_sheet(p25) == "Cấp xã"
    for name in (units_level_sheet(p25), RANKING_SHEET, SCORECARD_SHEET):
        text = _text(wb[name])
        assert f"{n} đơn vị" in text and UNITS_SHEET in text, name
    assert len(_rows(wb[UNITS_SHEET], 3)) == n
    assert wb[OVERVIEW_SHEET].max_row > 10


def test_the_addins_summary_sheet_marks_the_break(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    """«Tổng hợp» from the ribbon writes the same table: «2025 †» over the first commune year and the
    legend above the table, within the lines the sheet keeps above it."""
    pytest.importorskip("xlwings")
    from xltoolkit.addin import bridge

    p25 = plan.for_year(2025)
    top, table, _ = bridge.summary_table(summary["result"], p25)
    assert f"2025 {BREAK_MARK}" in table[0] and 2024 in table[0]
    brk = break_in(p25, trend_years(summary["result"]))
    assert brk is not None and [brk.legend] in top and len(top) == TABLE_HEADER_ROW - 1


def test_a_commune_year_speaks_of_communes(summary: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    """From 2025 the summary's tab, headers and the report's heading name the communes that report,
    not the districts that no longer exist (only «Theo huyện cũ» speaks of former districts)."""
    from xltoolkit.report.build import tasks_section
    from xltoolkit.summary.lists import units_level_sheet
    from xltoolkit.summary.overview import OVERVIEW_SHEET

    p25 = plan.for_year(2025)
    wb = openpyxl.load_workbook(summary["consolidated"])
    assert units_level_sheet(p25) in wb.sheetnames and "Cấp huyện" not in wb.sheetnames
    for name in (MEASURES_SHEET, OVERVIEW_SHEET, units_level_sheet(p25)):
        text = _text(wb[name]).lower()
        assert "cấp xã" in text or name == OVERVIEW_SHEET, name
        assert "cấp huyện" not in text and "số huyện" not in text, name
    headings = [b.text for b in tasks_section(summary["result"], p25) if b.style == "heading2"]
    assert "Ủy ban nhân dân các xã, phường" in " ".join(headings)
    assert not any("huyện" in h for h in headings)
    p24 = plan.for_year(2024)
    assert units_level_sheet(p24) == "Cấp huyện"
    assert any("cấp huyện" in str(c.header) for c in measure_columns(p24, [2024]))
