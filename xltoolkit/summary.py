"""The provincial summary workbook: what the Department prints for the People's Committee and reads on
screen after consolidating a year.

Layout (the add-in and the tests read these tables back; keep them stable):

- every sheet: national header block rows 1-3, title rows 5-6, table header row `TABLE_HEADER_ROW` (8),
  data from row 9, the row key in column A; all text cells are stored as text (never formulas).
- "Tổng quan": status counts in rows 9-14 (order of `STATUS_LABELS`, count in column C, share in D),
  total in row 15, bar chart below it (`STATUS_CHART_ROW`); completeness table at
  `COMPLETENESS_HEADER_ROW` (keys in column A: `COMPLETENESS_KEYS`, count in C, agencies in D);
  reconciliation flags at `RECONCILIATION_HEADER_ROW` (measure code in A).
- "Chỉ tiêu": one row per measure, columns `measure_columns(...)` (a trend column per year, its header
  the year as a number); status label coloured by status.
- "Xu hướng": one native line chart per measure, drawn from the trend columns of "Chỉ tiêu".
- "Cấp huyện": measures down (code in A), one column per district (agency ids in hidden row 7).
- "Tiếp nhận", "Lỗi kiểm tra", "Nhiệm vụ", "Kinh phí": agency id in A; see summary_sheets.py
  (budget total row keyed `BUDGET_TOTAL_KEY`).

Size: tables are styled by copying one cached style array per combination and long lists are
bounded (older superseded files counted in one row, issue rows capped), so a 3,300-file year writes
in ~0.2 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.layout import requirement_text
from xltoolkit.plan import Plan
from xltoolkit.results import STATUS_LABELS, ConsolidationResult, MeasureResult
from xltoolkit.summary_sheets import (
    BUDGET_SHEET,
    DISTRICTS_SHEET,
    F_BOLD,
    FIRST_ROW,
    INT,
    ISSUES_SHEET,
    NARRATIVES_SHEET,
    NUM,
    PCT,
    STATUS_COLOURS,
    SUBMISSIONS_SHEET,
    TABLE_HEADER_ROW,
    TOTAL_FILL,
    WRAP,
    Col,
    budget_sheet,
    districts_sheet,
    header_block,
    issues_sheet,
    narratives_sheet,
    page_setup,
    put,
    short_label,
    status_cell,
    submissions_sheet,
    table,
)
from xltoolkit.template import FIXED_TIME
from xltoolkit.xlio import save_atomic

OVERVIEW_SHEET = "Tổng quan"
MEASURES_SHEET = "Chỉ tiêu"
CHARTS_SHEET = "Xu hướng"
SHEETS = (
    OVERVIEW_SHEET,
    MEASURES_SHEET,
    CHARTS_SHEET,
    DISTRICTS_SHEET,
    SUBMISSIONS_SHEET,
    ISSUES_SHEET,
    NARRATIVES_SHEET,
    BUDGET_SHEET,
)

STATUS_TOTAL_ROW = FIRST_ROW + len(STATUS_LABELS)
#: The status chart sits under the status table, anchored two rows below the total, STATUS_CHART_CM
#: tall (~0.53 cm a default row); the completeness table starts below it.
STATUS_CHART_ROW = STATUS_TOTAL_ROW + 2
STATUS_CHART_CM = 8.0
COMPLETENESS_HEADER_ROW = STATUS_CHART_ROW + int(STATUS_CHART_CM / 0.53) + 4
COMPLETENESS_KEYS = ("expected", "received", "on_time", "late", "missing", "superseded", "rejected")
RECONCILIATION_HEADER_ROW = COMPLETENESS_HEADER_ROW + len(COMPLETENESS_KEYS) + 3

SOURCE_LABELS: dict[str, str] = {
    "department": "Sở, ngành chủ trì",
    "districts": "Tổng hợp cấp huyện",
    "none": "Chưa có số liệu",
}
RECONCILIATION_LABEL = "Chênh lệch"


def write_summary(result: ConsolidationResult, plan: Plan, path: str | Path) -> Path:
    """Write the summary workbook of one consolidated year to `path`, atomically; returns the path.

    The same result and plan always give the same workbook content (fixed document properties, sorted
    rows), so a re-run does not look like a new report. `result.summary_path` is left to the caller.
    """
    wb = build_summary(result, plan)
    return save_atomic(wb, path)


def build_summary(result: ConsolidationResult, plan: Plan) -> Workbook:
    """The summary workbook in memory (for callers that want to add to it before saving)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    measures = ordered_measures(result, plan)
    _overview_sheet(sheets[OVERVIEW_SHEET], result, plan, measures)
    years = trend_years(result)
    _measures_sheet(sheets[MEASURES_SHEET], result, plan, measures, years)
    _charts_sheet(sheets[CHARTS_SHEET], sheets[MEASURES_SHEET], result, plan, measures, years)
    districts_sheet(sheets[DISTRICTS_SHEET], result, plan)
    submissions_sheet(sheets[SUBMISSIONS_SHEET], result, plan)
    issues_sheet(sheets[ISSUES_SHEET], result, plan)
    narratives_sheet(sheets[NARRATIVES_SHEET], result, plan)
    budget_sheet(sheets[BUDGET_SHEET], result, plan)
    wb.active = 0
    props = wb.properties
    props.creator = props.lastModifiedBy = "xltoolkit"
    props.title = f"Báo cáo tổng hợp năm {result.year}"
    props.subject = plan.name
    props.created = props.modified = FIXED_TIME
    return wb


def ordered_measures(result: ConsolidationResult, plan: Plan) -> list[MeasureResult]:
    """Measures in plan order (unknown codes last, as given) so rows never depend on dict order."""
    rank = {m.code: i for i, m in enumerate(plan.measures)}
    return sorted(result.measures, key=lambda m: rank.get(m.code, len(rank)))


def trend_years(result: ConsolidationResult) -> list[int]:
    return sorted({y for m in result.measures for y in m.trend})


def completeness(result: ConsolidationResult, plan: Plan) -> dict[str, list[str]]:
    """Agencies per completeness category (keys: `COMPLETENESS_KEYS`); lists sorted by plan order."""
    rank = {a.id: i for i, a in enumerate(plan.agencies)}

    def order(ids: set[str]) -> list[str]:
        return sorted(ids, key=lambda a: (rank.get(a, len(rank)), a))

    received = set(result.received) | set(result.late)
    late = set(result.late)
    missing = set(result.missing) - received
    by_state = {
        state: {s.agency or s.original_name for s in result.submissions if s.state == state}
        for state in ("superseded", "rejected")
    }
    return {
        "expected": order(received | missing),
        "received": order(received),
        "on_time": order(received - late),
        "late": order(late),
        "missing": order(missing),
        "superseded": order(by_state["superseded"]),
        "rejected": order(by_state["rejected"]),
    }


COMPLETENESS_LABELS = {
    "expected": "Số cơ quan, đơn vị phải báo cáo",
    "received": "Đã nhận báo cáo",
    "on_time": "Trong đó: đúng hạn",
    "late": "Trong đó: nộp muộn",
    "missing": "Chưa gửi báo cáo",
    "superseded": "Có tệp gửi lại (tệp cũ được thay thế)",
    "rejected": "Có tệp bị từ chối",
}


def _overview_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, measures: list[MeasureResult]
) -> None:
    header_block(
        ws,
        plan,
        result.year,
        6,
        f"BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ TRẺ EM NĂM {result.year}",
        f"({plan.name})",
    )
    for col, width in zip("ABCDEF", (7, 44, 14, 14, 14, 40), strict=True):
        ws.column_dimensions[col].width = width
    # I. Status counts with a bar chart.
    put(ws, TABLE_HEADER_ROW - 1, 1, "I. ĐÁNH GIÁ TIẾN ĐỘ SO VỚI MỤC TIÊU").font = F_BOLD
    total = len(measures)
    counts = {k: sum(1 for m in measures if m.status.status == k) for k in STATUS_LABELS}
    rows = [
        [i, label, counts[key], (counts[key] / total) if total else None]
        for i, (key, label) in enumerate(STATUS_LABELS.items(), start=1)
    ]
    rows.append(["", "Tổng số chỉ tiêu", total, 1.0 if total else None])
    cols = [Col("no", "STT", 7, INT), Col("label", "Mức đánh giá", 44), Col("count", "Số chỉ tiêu", 14, INT)]
    cols.append(Col("share", "Tỷ lệ", 14, "0.0%"))
    table(ws, cols, rows)
    for i, key in enumerate(STATUS_LABELS):
        status_cell(ws.cell(row=FIRST_ROW + i, column=2), key)
    for j in range(1, 5):
        ws.cell(row=STATUS_TOTAL_ROW, column=j).font = F_BOLD
        ws.cell(row=STATUS_TOTAL_ROW, column=j).fill = TOTAL_FILL
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "Số chỉ tiêu theo mức đánh giá"
    chart.legend = None
    chart.add_data(
        Reference(ws, min_col=3, min_row=FIRST_ROW, max_row=STATUS_TOTAL_ROW - 1), titles_from_data=False
    )
    chart.set_categories(Reference(ws, min_col=2, min_row=FIRST_ROW, max_row=STATUS_TOTAL_ROW - 1))
    series = chart.series[0]
    for idx, key in enumerate(STATUS_LABELS):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = STATUS_COLOURS[key]
        series.dPt.append(point)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None
    chart.x_axis.scaling.orientation = "maxMin"  # same top-to-bottom order as the table
    chart.height, chart.width = STATUS_CHART_CM, 16
    ws.add_chart(chart, f"A{STATUS_CHART_ROW}")
    # II. Completeness and timeliness.
    groups = completeness(result, plan)
    deadline = plan.deadline_for(result.year)
    put(
        ws, COMPLETENESS_HEADER_ROW - 1, 1, f"II. TÌNH HÌNH GỬI BÁO CÁO (hạn: ngày {deadline:%d/%m/%Y})"
    ).font = F_BOLD
    cols = [Col("no", "STT", 7), Col("label", "Nội dung", 44), Col("count", "Số đơn vị", 14, INT)]
    cols.append(Col("list", "Danh sách", 14, wrap=True))
    rows = [
        [
            key,
            COMPLETENESS_LABELS[key],
            len(groups[key]),
            ", ".join(short_label(plan, a) for a in groups[key]),
        ]
        for key in COMPLETENESS_KEYS
    ]
    last = table(ws, cols, rows, header_row=COMPLETENESS_HEADER_ROW)
    for r in range(COMPLETENESS_HEADER_ROW, last + 1):
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=6)
        lines = len(str(ws.cell(row=r, column=4).value or "")) // 60 + 1
        ws.row_dimensions[r].height = max(18, 16 * lines) if r > COMPLETENESS_HEADER_ROW else 30
    ws.column_dimensions["A"].width = 11
    # III. Reconciliation: department figure vs district aggregate.
    put(
        ws,
        RECONCILIATION_HEADER_ROW - 1,
        1,
        "III. CHỈ TIÊU CÓ CHÊNH LỆCH GIỮA SỐ LIỆU SỞ, NGÀNH VÀ TỔNG HỢP CẤP HUYỆN",
    ).font = F_BOLD
    cols = [
        Col("code", "Mã", 11),
        Col("name", "Chỉ tiêu", 44, wrap=True),
        Col("dept", "Số liệu sở, ngành", 14, NUM),
    ]
    cols += [
        Col("agg", "Tổng hợp cấp huyện", 14, NUM),
        Col("diff", "Chênh lệch so với số liệu sở, ngành", 14, "0.0%"),
    ]
    rows = []
    for m in measures:
        if m.reconciliation_flag:
            diff = None
            if m.department_value and m.district_aggregate is not None:
                diff = (m.district_aggregate - m.department_value) / m.department_value
            rows.append([m.code, _measure_name(plan, m.code), m.department_value, m.district_aggregate, diff])
    if not rows:
        rows.append(["", "Không có chỉ tiêu nào chênh lệch vượt ngưỡng.", None, None, None])
    last = table(ws, cols, rows, header_row=RECONCILIATION_HEADER_ROW)
    tol = plan.checks.reconciliation_tolerance
    put(
        ws, last + 1, 2, f"(Ngưỡng cảnh báo: chênh lệch trên {tol:.0%} so với số liệu của sở, ngành chủ trì.)"
    )
    page_setup(ws, landscape=False, freeze=None, print_cols=6, last_row=last + 1)


def _measure_name(plan: Plan, code: str) -> str:
    m = plan.measure_by_code.get(code)
    return m.name if m else code


def measure_columns(plan: Plan, years: list[int]) -> list[Col]:
    """Columns of the "Chỉ tiêu" sheet, in order; trend columns have the year (int) as header."""
    target_years = sorted({y for m in plan.measures for y in m.targets})
    cols = [
        Col("code", "Mã", 6),
        Col("name", "Chỉ tiêu", 42, wrap=True),
        Col("unit", "Đơn vị tính", 12),
        Col("comparison", "Yêu cầu", 12),
    ]
    cols += [Col(f"target_{y}", f"Mục tiêu {y}", 9, NUM) for y in target_years]
    cols += [
        Col("milestone_year", "Năm mốc đánh giá", 9),
        Col("target", "Mục tiêu năm mốc", 9, NUM),
        Col("value", "Giá trị toàn tỉnh", 11, NUM),
        Col("source", "Nguồn giá trị toàn tỉnh", 14),
        Col("district_aggregate", "Tổng hợp cấp huyện", 11, NUM),
        Col("department_value", "Số liệu sở, ngành", 11, NUM),
        Col("reconciliation", "Đối chiếu", 11),
        Col("status", "Đánh giá tiến độ", 16),
        Col("base_year", "Năm gốc", 8),
        Col("base", "Giá trị năm gốc", 10, NUM),
        Col("latest_year", "Năm gần nhất", 8),
        Col("latest", "Giá trị năm gần nhất", 10, NUM),
        Col("cagr_observed", "Tốc độ thay đổi bình quân năm thực tế", 11, PCT),
        Col("cagr_required", "Tốc độ thay đổi bình quân năm cần đạt", 11, PCT),
        Col("ratio", "Tỷ số R (thực tế / cần đạt)", 9, "0.00"),
        Col("numerator_sum", "Tổng tử số cấp huyện", 12, INT),
        Col("denominator_sum", "Tổng mẫu số cấp huyện", 12, INT),
        Col("districts_used", "Số huyện được tổng hợp", 9, INT),
        Col("districts_excluded", "Huyện bị loại (số liệu lỗi)", 18, wrap=True),
    ]
    cols += [Col(f"trend_{y}", y, 9, NUM) for y in years]
    return cols


def measure_row(plan: Plan, m: MeasureResult, cols: list[Col]) -> list[Any]:
    pm = plan.measure_by_code.get(m.code)
    st = m.status
    values: dict[str, Any] = {
        "code": m.code,
        "name": pm.name if pm else m.code,
        "unit": pm.unit if pm else "",
        "comparison": requirement_text(pm) if pm else "",
        "milestone_year": st.milestone_year,
        "target": st.target,
        "value": m.value,
        "source": SOURCE_LABELS.get(m.source, m.source),
        "district_aggregate": m.district_aggregate,
        "department_value": m.department_value,
        "reconciliation": RECONCILIATION_LABEL if m.reconciliation_flag else "",
        "status": st.label,
        "base_year": st.base_year,
        "base": st.base,
        "latest_year": st.latest_year,
        "latest": st.latest,
        "cagr_observed": st.cagr_observed,
        "cagr_required": st.cagr_required,
        "ratio": st.ratio,
        "numerator_sum": m.numerator_sum,
        "denominator_sum": m.denominator_sum,
        "districts_used": len(m.districts_used),
        "districts_excluded": ", ".join(short_label(plan, d) for d in m.districts_excluded),
    }
    for y, v in m.trend.items():
        values[f"trend_{y}"] = v
    if pm:
        for y, t in pm.targets.items():
            values[f"target_{y}"] = t
    return [values.get(c.key) for c in cols]


def _measures_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, measures: list[MeasureResult], years: list[int]
) -> None:
    cols = measure_columns(plan, years)
    header_block(
        ws,
        plan,
        result.year,
        len(cols),
        f"KẾT QUẢ VÀ ĐÁNH GIÁ TIẾN ĐỘ CÁC CHỈ TIÊU NĂM {result.year} (TOÀN TỈNH)",
        "(Đánh giá theo phương pháp đo tiến độ SDG: so sánh tốc độ thay đổi thực tế với tốc độ cần đạt"
        " để đạt mục tiêu năm mốc; R = thực tế / cần đạt)",
    )
    last = table(ws, cols, [measure_row(plan, m, cols) for m in measures])
    status_col = next(j for j, c in enumerate(cols, start=1) if c.key == "status")
    for i, m in enumerate(measures):
        status_cell(ws.cell(row=FIRST_ROW + i, column=status_col), m.status.status)
        ws.row_dimensions[FIRST_ROW + i].height = 48
    if years:
        first_trend = len(cols) - len(years) + 1
        c = put(ws, TABLE_HEADER_ROW - 1, first_trend, "Giá trị toàn tỉnh qua các năm")
        c.font, c.alignment = F_BOLD, WRAP
        ws.merge_cells(
            start_row=TABLE_HEADER_ROW - 1,
            start_column=first_trend,
            end_row=TABLE_HEADER_ROW - 1,
            end_column=len(cols),
        )
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(cols), last_row=last)
    ws.page_setup.fitToWidth = 2  # one page wide would print at an unreadable scale
    ws.print_title_cols = "A:B"


CHARTS_PER_ROW = 3
CHART_ROWS = 16
CHART_COLS = 8


def _charts_sheet(
    ws: Worksheet,
    data: Worksheet,
    result: ConsolidationResult,
    plan: Plan,
    measures: list[MeasureResult],
    years: list[int],
) -> None:
    """One line chart per measure from the trend columns of "Chỉ tiêu" (native, so Excel redraws it)."""
    last_col = CHARTS_PER_ROW * CHART_COLS
    header_block(
        ws,
        plan,
        result.year,
        last_col,
        "XU HƯỚNG CÁC CHỈ TIÊU TOÀN TỈNH QUA CÁC NĂM",
        "(Số liệu: trang «Chỉ tiêu»; đường nét đứt: mục tiêu áp dụng cho từng năm)",
    )
    for j in range(1, last_col + 1):
        ws.column_dimensions[get_column_letter(j)].width = 9.5
    if not years:
        put(ws, TABLE_HEADER_ROW, 1, "Chưa có số liệu qua các năm.")
        page_setup(ws, landscape=True, freeze=None, print_cols=last_col, last_row=TABLE_HEADER_ROW)
        return
    total_cols = len(measure_columns(plan, years))
    first_trend = total_cols - len(years) + 1
    cats = Reference(data, min_col=first_trend, max_col=total_cols, min_row=TABLE_HEADER_ROW)
    block = _target_block(ws, plan, measures, years, last_col + 2)
    for i, m in enumerate(measures):
        row = FIRST_ROW + i
        chart = LineChart()
        pm = plan.measure_by_code.get(m.code)
        name = pm.name if pm else m.code
        target = ""
        if m.status.target is not None:
            label = requirement_text(pm) if pm else ""
            year = f" năm {m.status.milestone_year}" if m.status.milestone_year else ""
            target = f" — mục tiêu{year}: {label} {format(m.status.target, 'g').replace('.', ',')}"
        chart.title = f"{m.code}. {_shorten(name, 70)}{target}"
        chart.add_data(Reference(data, min_col=first_trend, max_col=total_cols, min_row=row), from_rows=True)
        chart.add_data(
            Reference(ws, min_col=block, max_col=block + len(years) - 1, min_row=row), from_rows=True
        )
        chart.set_categories(cats)
        value, goal = chart.series
        value.tx = SeriesLabel(v="Giá trị toàn tỉnh")
        value.marker.symbol = "circle"
        value.smooth = False
        goal.tx = SeriesLabel(v="Mục tiêu")
        goal.marker.symbol = "none"
        goal.smooth = False
        goal.graphicalProperties.line.solidFill = "C00000"
        goal.graphicalProperties.line.dashStyle = "dash"
        chart.legend.position = "b"
        chart.visible_cells_only = False
        chart.y_axis.title = pm.unit if pm else ""
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.x_axis.number_format = "0"
        chart.height, chart.width = 7.5, 14.5
        anchor_col = 1 + (i % CHARTS_PER_ROW) * CHART_COLS
        anchor_row = TABLE_HEADER_ROW + (i // CHARTS_PER_ROW) * CHART_ROWS
        ws.add_chart(chart, f"{get_column_letter(anchor_col)}{anchor_row}")
    last_row = TABLE_HEADER_ROW + ((len(measures) + CHARTS_PER_ROW - 1) // CHARTS_PER_ROW) * CHART_ROWS
    page_setup(ws, landscape=True, freeze=None, print_cols=last_col, last_row=last_row)
    ws.print_title_rows = None


def _target_block(
    ws: Worksheet, plan: Plan, measures: list[MeasureResult], years: list[int], col: int
) -> int:
    """The milestone target of each measure for each trend year, right of the printed charts, so a
    chart can draw the target as a dashed line. Returns the first year column."""
    c = put(ws, TABLE_HEADER_ROW - 1, col, "Mục tiêu áp dụng cho từng năm (dùng để vẽ đường mục tiêu)")
    c.font = F_BOLD
    cols = [Col("code", "Mã", 6)] + [Col(f"target_{y}", y, 8, NUM) for y in years]
    rows = []
    for m in measures:
        pm = plan.measure_by_code.get(m.code)
        rows.append([m.code] + [pm.milestone(y)[1] if pm else None for y in years])
    table(ws, cols, rows, first_col=col)
    return col + 1


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
