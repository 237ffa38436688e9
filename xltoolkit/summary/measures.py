"""The measures sheet ("Chỉ tiêu": one row per measure with its value, target, progress status and
yearly trend) and the trend charts drawn from it ("Xu hướng")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult, MeasureResult
from xltoolkit.plan.model import Plan
from xltoolkit.summary.sheets import (
    F_BOLD,
    FIRST_ROW,
    HEADER_PT,
    INT,
    NUM,
    PCT,
    ROW_PT,
    STATUS_COLOURS,
    TABLE_HEADER_ROW,
    Col,
    fit_header_rows,
    fixed_scale,
    header_block,
    page_setup,
    put,
    short_label,
    status_cell,
    table,
)
from xltoolkit.workbook.layout import requirement_text
from xltoolkit.workbook.styles import CENTER, FONT

MEASURES_SHEET = "Chỉ tiêu"
CHARTS_SHEET = "Xu hướng"

SOURCE_LABELS: dict[str, str] = {
    "department": "Sở, ngành chủ trì",
    "districts": "Tổng hợp cấp huyện",
    "none": "Chưa có số liệu",
}
RECONCILIATION_LABEL = "Chênh lệch"


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
        Col("cagr_observed", "Tốc độ thay đổi bình quân năm thực tế", 10, PCT),
        Col("cagr_required", "Tốc độ thay đổi bình quân năm cần đạt", 10, PCT),
        Col("ratio", "Tỷ số R (thực tế / cần đạt)", 9, "0.00"),
        Col("numerator_sum", "Tổng tử số cấp huyện", 12, INT),
        Col("denominator_sum", "Tổng mẫu số cấp huyện", 12, INT),
        Col("districts_used", "Số huyện được tổng hợp", 9, INT),
        Col("districts_excluded", "Huyện bị loại (số liệu lỗi)", 15, wrap=True),
    ]
    cols += [Col(f"trend_{y}", y, 8, NUM) for y in years]
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


@dataclass(frozen=True)
class MeasureTableRow:
    """One measure's row of the measure table: its cells in column order and its status colour."""

    code: str
    cells: list[Any]
    status: str  # a `STATUS_LABELS` key
    colour: str  # RGB hex without '#', as `STATUS_COLOURS`


@dataclass(frozen=True)
class MeasureTable:
    """The "Chỉ tiêu" table of a consolidated year, as the summary workbook writes it: for an
    adapter (the add-in) that renders the same table without reading a workbook back."""

    year: int
    columns: list[Col]  # `.key` stable English key, `.header` as shown (a trend year is an int)
    rows: list[MeasureTableRow]

    @property
    def headers(self) -> list[str | int]:
        return [c.header for c in self.columns]

    def column(self, key: str) -> int:
        """0-based index of the column `key` (e.g. "status", "value", "trend_2025")."""
        return next(j for j, c in enumerate(self.columns) if c.key == key)


def measure_table(result: ConsolidationResult, plan: Plan) -> MeasureTable:
    """The measure table of `result`: plan order, one trend column per year with a value."""
    years = trend_years(result)
    cols = measure_columns(plan, years)
    rows = [
        MeasureTableRow(
            m.code,
            measure_row(plan, m, cols),
            m.status.status,
            STATUS_COLOURS.get(m.status.status, STATUS_COLOURS["not_available"]),
        )
        for m in ordered_measures(result, plan)
    ]
    return MeasureTable(result.year, cols, rows)


def ordered_measures(result: ConsolidationResult, plan: Plan) -> list[MeasureResult]:
    """Measures in plan order (unknown codes last, as given) so rows never depend on dict order."""
    rank = {m.code: i for i, m in enumerate(plan.measures)}
    return sorted(result.measures, key=lambda m: rank.get(m.code, len(rank)))


def trend_years(result: ConsolidationResult) -> list[int]:
    return sorted({y for m in result.measures for y in m.trend})


def measures_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, measures: list[MeasureResult], years: list[int]
) -> None:
    """The measure table, printed two pages across: page 1 ends with the progress status (what the
    People's Committee reads), page 2 repeats code and name and holds how the status was computed and
    the yearly values. The national header block and the title sit within page 1's columns."""
    cols = measure_columns(plan, years)
    status_col = next(j for j, c in enumerate(cols, start=1) if c.key == "status")
    header_block(
        ws,
        plan,
        result.year,
        status_col,
        f"KẾT QUẢ VÀ ĐÁNH GIÁ TIẾN ĐỘ CÁC CHỈ TIÊU NĂM {result.year}",
        "(Toàn tỉnh; đánh giá theo phương pháp đo tiến độ SDG, R = tốc độ thực tế / tốc độ cần đạt)",
        left_cols=REPEATED_COLS,
    )
    last = table(ws, cols, [measure_row(plan, m, cols) for m in measures])
    for i, m in enumerate(measures):
        status_cell(ws.cell(row=FIRST_ROW + i, column=status_col), m.status.status)
        dim = ws.row_dimensions[FIRST_ROW + i]
        dim.height = max(dim.height or 0, 48)
    if status_col < len(cols):
        c = put(
            ws,
            5,
            status_col + 1,
            f"KẾT QUẢ VÀ ĐÁNH GIÁ TIẾN ĐỘ CÁC CHỈ TIÊU NĂM {result.year} (tiếp theo): CƠ SỞ ĐÁNH GIÁ"
            " VÀ GIÁ TRỊ TOÀN TỈNH QUA CÁC NĂM",
        )
        c.font, c.alignment = Font(name=FONT, size=13, bold=True), CENTER
        ws.merge_cells(start_row=5, start_column=status_col + 1, end_row=5, end_column=len(cols))
    if years:
        first_trend = len(cols) - len(years) + 1
        c = put(ws, TABLE_HEADER_ROW - 1, first_trend, "Giá trị toàn tỉnh qua các năm")
        c.font, c.alignment = F_BOLD, CENTER
        ws.merge_cells(
            start_row=TABLE_HEADER_ROW - 1,
            start_column=first_trend,
            end_row=TABLE_HEADER_ROW - 1,
            end_column=len(cols),
        )
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(cols), last_row=last)
    pages = [(1, status_col)] + ([(status_col + 1, len(cols))] if status_col < len(cols) else [])
    fixed_scale(ws, pages, landscape=True, repeat_cols=REPEATED_COLS)
    ws.print_title_cols = f"A:{get_column_letter(REPEATED_COLS)}"
    fit_header_rows(ws, REPEATED_COLS)


#: Columns (code, name) repeated on the left of the second printed page of "Chỉ tiêu".
REPEATED_COLS = 2


#: The chart grid: CHARTS_PER_ROW charts across, each filling CHART_COLS columns (the last one, narrow,
#: is the gap) and CHART_ROWS rows (the last one the gap). Charts are anchored to their cells, so they
#: stretch with the columns and never overlap whatever the application's column width in pixels.
CHARTS_PER_ROW = 3
CHART_ROWS = 22
CHART_COLS = 8
CHART_COL_WIDTH = 10.5
CHART_GAP_WIDTH = 3
#: Rows of charts on one printed page (the page breaks fall between them).
CHART_ROWS_PER_PAGE = 3
#: Chart title size, points, and the longest measure name shown whole in it (the title holds the name
#: and the target; the plan's names are up to ~130 characters, three lines at this size).
CHART_TITLE_PT = 11
CHART_NAME_MAX = 160


def charts_sheet(
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
        gap = j % CHART_COLS == 0
        ws.column_dimensions[get_column_letter(j)].width = CHART_GAP_WIDTH if gap else CHART_COL_WIDTH
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
        chart = _trend_chart(plan, m)
        chart.add_data(Reference(data, min_col=first_trend, max_col=total_cols, min_row=row), from_rows=True)
        chart.add_data(
            Reference(ws, min_col=block, max_col=block + len(years) - 1, min_row=row), from_rows=True
        )
        chart.set_categories(cats)
        _style_series(chart)
        col0 = (i % CHARTS_PER_ROW) * CHART_COLS  # 0-based, as drawing anchors count
        row0 = TABLE_HEADER_ROW - 1 + (i // CHARTS_PER_ROW) * CHART_ROWS
        chart.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=col0, row=row0),
            to=AnchorMarker(col=col0 + CHART_COLS - 1, row=row0 + CHART_ROWS - 1),
        )
        ws.add_chart(chart)
    rows_of_charts = (len(measures) + CHARTS_PER_ROW - 1) // CHARTS_PER_ROW
    last_row = TABLE_HEADER_ROW + rows_of_charts * CHART_ROWS
    page_setup(ws, landscape=True, freeze=None, print_cols=last_col, last_row=last_row, repeat_header=False)
    page_pt = HEADER_PT + CHART_ROWS * CHART_ROWS_PER_PAGE * ROW_PT
    fixed_scale(ws, [(1, last_col)], landscape=True, tallest_pt=page_pt)
    for k in range(CHART_ROWS_PER_PAGE, rows_of_charts, CHART_ROWS_PER_PAGE):
        ws.row_breaks.append(Break(id=TABLE_HEADER_ROW - 1 + k * CHART_ROWS))  # never cut a chart


def _trend_chart(plan: Plan, m: MeasureResult) -> LineChart:
    """An empty line chart for one measure: its title (name and milestone target) and axes."""
    chart = LineChart()
    pm = plan.measure_by_code.get(m.code)
    name = pm.name if pm else m.code
    target = ""
    if m.status.target is not None:
        label = requirement_text(pm) if pm else ""
        year = f" năm {m.status.milestone_year}" if m.status.milestone_year else ""
        target = f" — mục tiêu{year}: {label} {format(m.status.target, 'g').replace('.', ',')}"
    chart.title = _title(f"{m.code}. {_shorten(name, CHART_NAME_MAX)}{target}")
    chart.legend.position = "b"
    chart.visible_cells_only = False
    chart.y_axis.title = pm.unit if pm else ""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.number_format = "0"
    return chart


def _style_series(chart: LineChart) -> None:
    """The value as a line with markers, the target as a red dashed line."""
    value, goal = chart.series
    value.tx = SeriesLabel(v="Giá trị toàn tỉnh")
    value.marker.symbol = "circle"
    value.smooth = False
    goal.tx = SeriesLabel(v="Mục tiêu")
    goal.marker.symbol = "none"
    goal.smooth = False
    goal.graphicalProperties.line.solidFill = "C00000"
    goal.graphicalProperties.line.dashStyle = "dash"


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


def _title(text: str) -> Title:
    """A chart title in CHART_TITLE_PT bold (the default 14 pt would leave little room to the plot)."""
    font = CharacterProperties(sz=CHART_TITLE_PT * 100, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
