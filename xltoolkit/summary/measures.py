"""The measures sheet ("Chỉ tiêu": one row per measure with its value, target, progress status and
yearly trend) and the trend charts drawn from it ("Xu hướng")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult, MeasureResult
from xltoolkit.plan.history import BREAK_MARK, ChangeBreak, break_in, local_terms
from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.review import (
    OUTLOOK_LABELS,
    format_target,
    format_value,
    measure_decimals,
)
from xltoolkit.summary.history import break_note, mark_break
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
    appendix_title,
    page_setup,
    print_pages,
    put,
    short_label,
    split_pages,
    status_cell,
    table,
)
from xltoolkit.workbook.layout import requirement_text
from xltoolkit.workbook.styles import CENTER

MEASURES_SHEET = "Chỉ tiêu"
CHARTS_SHEET = "Xu hướng"

SOURCE_LABELS: dict[str, str] = {
    "department": "Sở, ngành chủ trì",
    "districts": "Tổng hợp cấp huyện",  # a commune year: «Tổng hợp cấp xã» (`source_label`)
    "none": "Chưa có số liệu",
}


def source_label(plan: Plan, source: str) -> str:
    """Where the provincial value came from, naming the level that reported that year."""
    if source == "districts":
        return f"Tổng hợp {local_terms(plan).level}"
    return SOURCE_LABELS.get(source, source)


RECONCILIATION_LABEL = "Chênh lệch"


def measure_columns(plan: Plan, years: list[int]) -> list[Col]:
    """Columns of the "Chỉ tiêu" sheet, in order; trend columns have the year (int) as header.

    The first printed page ends with the outlook (`PAGE1_LAST`): what the People's Committee reads;
    the next pages hold how the status was computed and the yearly values."""
    target_years = sorted({y for m in plan.measures for y in m.targets})
    later = [y for y in target_years if years and y > max(years)]
    outlook_year = later[0] if later else (target_years[-1] if target_years else "")
    local = local_terms(plan)
    cols = [
        Col("code", "Mã", 6),
        Col("name", "Chỉ tiêu", 30, wrap=True),
        Col("unit", "Đơn vị tính", 8),
        Col("comparison", "Yêu cầu", 10, wrap=True),
    ]
    cols += [Col(f"target_{y}", f"Mục tiêu {y}", 8, NUM) for y in target_years]
    cols += [
        Col("value", "Giá trị toàn tỉnh", 9, NUM),
        Col("verdict", "Kết quả năm mốc", 9),
        Col("gap", "Chênh lệch (+ còn thiếu, − vượt)", 10, NUM),
        Col("status", "Đánh giá tiến độ", 12, wrap=True),
        Col("outlook", f"Dự báo năm {outlook_year}", 12, wrap=True),
        Col("milestone_year", "Năm mốc đánh giá", 8),
        Col("target", "Mục tiêu năm mốc", 9, NUM),
        Col("coverage", "Đơn vị có số liệu", 11, wrap=True),
        Col("source", "Nguồn giá trị toàn tỉnh", 12, wrap=True),
        Col("district_aggregate", f"Tổng hợp {local.level}", 10, NUM),
        Col("department_value", "Số liệu sở, ngành", 10, NUM),
        Col("reconciliation", "Đối chiếu", 10),
        Col("base_year", "Năm gốc", 7),
        Col("base", "Giá trị năm gốc", 9, NUM),
        Col("latest_year", "Năm gần nhất", 7),
        Col("latest", "Giá trị năm gần nhất", 9, NUM),
        Col("cagr_observed", "Tốc độ thay đổi bình quân năm thực tế", 10, PCT),
        Col("cagr_required", "Tốc độ thay đổi bình quân năm cần đạt", 10, PCT),
        Col("ratio", "Tỷ số R (thực tế / cần đạt)", 9, "0.00"),
        Col("numerator_sum", f"Tổng tử số {local.level}", 10, INT),
        Col("denominator_sum", f"Tổng mẫu số {local.level}", 10, INT),
        Col("districts_used", f"Số đơn vị {local.level} được tổng hợp", 8, INT),
        Col("districts_excluded", f"Đơn vị {local.level} bị loại (số liệu lỗi)", 14, wrap=True),
    ]
    cols += [Col(f"trend_{y}", y, 8, NUM) for y in years]
    return cols


#: Key of the last column of the first printed page of "Chỉ tiêu".
PAGE1_LAST = "outlook"
#: A verdict as printed: a symbol beside the word, readable in black and white.
VERDICT_TEXT = {"met": "✓ Đạt", "not_met": "✗ Không đạt"}
#: Columns whose numbers are values of the measure (shown with the measure's own decimals).
VALUE_KEYS = ("value", "target", "district_aggregate", "department_value", "base", "latest", "gap")


def number_format(pm: Measure | None, *, gap: bool = False) -> str:
    """The measure's decimals (plan/review.py) as a number format; a gap of % in percentage points."""
    d = measure_decimals(pm) if pm else 1
    fmt = "#,##0" + ("." + "0" * d if d else "")
    if gap:
        return f"+{fmt};−{fmt};0"
    return fmt


def outlook_text(pm: Measure | None, m: MeasureResult) -> str:
    if m.outlook is None:
        return ""
    value = format_value(pm, m.outlook.projected) if pm else f"{m.outlook.projected:g}"
    return f"{value}: {OUTLOOK_LABELS[m.outlook.on_track]}"


def coverage_text(m: MeasureResult) -> str:
    if m.coverage is None:
        return ""
    return m.coverage.label + (" (chưa đủ)" if m.coverage.partial else "")


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
        "verdict": VERDICT_TEXT.get(m.verdict or "", ""),
        "gap": m.gap,
        "outlook": outlook_text(pm, m),
        "coverage": coverage_text(m),
        "source": source_label(plan, m.source),
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
    #: The change of reporting units the trend years span (None: none): its first year's header
    #: reads «2025 †» and `break_legend` says what changed, as in the summary workbook.
    change_break: ChangeBreak | None = None

    @property
    def headers(self) -> list[str | int]:
        """Header values as the summary workbook stores them (a year as a number)."""
        return [c.header for c in self.columns]

    @property
    def shown_headers(self) -> list[str | int]:
        """Headers as a reader sees them: the first trend year after a break reads «2025 †» (the
        summary workbook shows it by a number format; an adapter writes the text)."""
        brk = self.change_break
        return [
            f"{c.header} {BREAK_MARK}" if brk is not None and c.key == f"trend_{brk.year}" else c.header
            for c in self.columns
        ]

    @property
    def break_legend(self) -> str | None:
        return self.change_break.legend if self.change_break is not None else None

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
    return MeasureTable(result.year, cols, rows, break_in(plan, years) if years else None)


def ordered_measures(result: ConsolidationResult, plan: Plan) -> list[MeasureResult]:
    """Measures in plan order (unknown codes last, as given) so rows never depend on dict order."""
    rank = {m.code: i for i, m in enumerate(plan.measures)}
    return sorted(result.measures, key=lambda m: rank.get(m.code, len(rank)))


def trend_years(result: ConsolidationResult) -> list[int]:
    return sorted({y for m in result.measures for y in m.trend})


def measures_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, measures: list[MeasureResult], years: list[int]
) -> None:
    """The measure table: page 1 ends with the outlook (what the People's Committee reads); the
    next pages repeat code and name and hold how the status was computed and the yearly values."""
    cols = measure_columns(plan, years)
    keys = [c.key for c in cols]
    status_col = keys.index("status") + 1
    page1 = keys.index(PAGE1_LAST) + 1
    value_keys = [k for k in keys if k in VALUE_KEYS or k.startswith(("trend_", "target_"))]
    formats = []
    for m in measures:
        pm = plan.measure_by_code.get(m.code)
        fmt = dict.fromkeys(value_keys, number_format(pm))
        fmt["gap"] = number_format(pm, gap=True)
        formats.append(fmt)
    last = table(ws, cols, [measure_row(plan, m, cols) for m in measures], formats=formats)
    for i, m in enumerate(measures):
        r = FIRST_ROW + i
        status_cell(ws.cell(row=r, column=status_col), m.status.status)
        dim = ws.row_dimensions[r]
        dim.height = max(dim.height or 0, 48)
    brk = break_in(plan, years)
    if years:
        first_trend = len(cols) - len(years) + 1
        mark_break(ws, TABLE_HEADER_ROW, {y: first_trend + i for i, y in enumerate(years)}, brk)
        last = max(last, break_note(ws, last + 2, 2, brk, wrap=True))
        c = put(ws, TABLE_HEADER_ROW - 1, first_trend, "Giá trị toàn tỉnh qua các năm")
        c.font, c.alignment = F_BOLD, CENTER
        ws.merge_cells(
            start_row=TABLE_HEADER_ROW - 1,
            start_column=first_trend,
            end_row=TABLE_HEADER_ROW - 1,
            end_column=len(cols),
        )
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(cols), last_row=last)
    pages = [(1, page1)]
    if page1 < len(cols):
        pages += split_pages(ws, len(cols), landscape=True, repeat_cols=REPEATED_COLS, first=page1 + 1)
    appendix_title(
        ws,
        plan,
        result.year,
        pages,
        "Phụ lục I",
        f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ TRẺ EM NĂM {result.year} SO VỚI MỤC TIÊU",
        "(Toàn tỉnh. Kết quả năm mốc: so với mục tiêu của năm; chênh lệch tính theo đơn vị của chỉ "
        "tiêu, chỉ tiêu tỷ lệ tính bằng điểm phần trăm; đánh giá tiến độ theo phương pháp SDG)",
    )
    print_pages(ws, len(cols), landscape=True, repeat_cols=REPEATED_COLS, pages=pages)


#: Columns (code, name) repeated on the left of the second printed page of "Chỉ tiêu".
REPEATED_COLS = 2


#: The chart grid: CHARTS_PER_ROW charts across, each filling CHART_COLS columns (the last one, narrow,
#: is the gap) and CHART_ROWS rows (the last one the gap), CHART_ROWS_PER_PAGE rows of charts on a
#: printed page: four charts an A4 landscape page, every text of them 12 pt before the print scale.
#: Charts are anchored to their cells, so they stretch with the columns and never overlap.
CHARTS_PER_ROW = 2
CHART_ROWS = 16
CHART_COLS = 8
CHART_COL_WIDTH = 8.2
CHART_GAP_WIDTH = 3
CHART_ROWS_PER_PAGE = 2
CHART_TEXT_PT = 12
CHART_NAME_MAX = 75
#: The row of years heading the chart data block (right of the printed charts).
CHART_DATA_ROW = TABLE_HEADER_ROW


def chart_years(plan: Plan, years: list[int]) -> list[int]:
    """The x axis: from the first year with data to the last target year of the plan."""
    if not years:
        return []
    last = max([*years, *(y for m in plan.measures for y in m.targets)])
    return list(range(min(years), min(last, plan.period[1]) + 1))


def target_marks(pm: Measure | None, years: list[int]) -> list[float | None]:
    """The target drawn as a marker at its own year (a standing target: every year), not a line."""
    if pm is None:
        return [None] * len(years)
    return [pm.targets.get(y, pm.standing_target) for y in years]


def charts_sheet(
    ws: Worksheet,
    data: Worksheet,
    result: ConsolidationResult,
    plan: Plan,
    measures: list[MeasureResult],
    years: list[int],
) -> None:
    """One line chart per measure, from a data block right of the printed area (native charts, so
    Excel and LibreOffice redraw them)."""
    del data  # the charts draw from their own block (the years run on to the last target year)
    last_col = CHARTS_PER_ROW * CHART_COLS
    for j in range(1, last_col + 1):
        gap = j % CHART_COLS == 0
        ws.column_dimensions[get_column_letter(j)].width = CHART_GAP_WIDTH if gap else CHART_COL_WIDTH
    appendix_title(
        ws,
        plan,
        result.year,
        [(1, last_col)],
        "Phụ lục II",
        "XU HƯỚNG CÁC CHỈ TIÊU TOÀN TỈNH QUA CÁC NĂM",
        "(Đường: giá trị toàn tỉnh; ◆: mục tiêu tại năm mốc của kế hoạch; trục tỷ lệ % từ 0 đến 100)",
    )
    axis = chart_years(plan, years)
    if not axis:
        put(ws, TABLE_HEADER_ROW, 1, "Chưa có số liệu qua các năm.")
        page_setup(ws, landscape=True, freeze=None, print_cols=last_col, last_row=TABLE_HEADER_ROW)
        print_pages(ws, last_col, landscape=True, pages=[(1, last_col)])
        return
    brk = break_in(plan, years)
    block = _chart_block(ws, plan, measures, axis, last_col + 2, result.year, brk)
    cats = Reference(ws, min_col=block, max_col=block + len(axis) - 1, min_row=CHART_DATA_ROW)
    if brk is not None:
        # the categories as text, «2025 †» after the break: a row of labels under the data block
        label_row = CHART_DATA_ROW + 1 + 2 * len(measures)
        put(ws, label_row, block - 1, "Nhãn trục")
        for k, y in enumerate(axis):
            put(ws, label_row, block + k, f"{y} {BREAK_MARK}" if y == brk.year else str(y))
        cats = Reference(ws, min_col=block, max_col=block + len(axis) - 1, min_row=label_row)
    for i, m in enumerate(measures):
        row = CHART_DATA_ROW + 1 + 2 * i
        chart = _trend_chart(plan, m, result.year, brk)
        for r in (row, row + 1):
            chart.add_data(
                Reference(ws, min_col=block, max_col=block + len(axis) - 1, min_row=r), from_rows=True
            )
        chart.set_categories(cats)
        if brk is not None:
            for ser in chart.series:
                ser.cat = AxDataSource(strRef=StrRef(f=cats))
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
    page_setup(ws, landscape=True, freeze=None, print_cols=last_col, last_row=last_row, repeat_rows="5:6")
    for r in range(TABLE_HEADER_ROW, last_row + 1):
        ws.row_dimensions[r].height = ROW_PT  # the charts' size: fixed rows, whatever the default
    header_pt = sum(ws.row_dimensions[r].height or ROW_PT for r in range(1, TABLE_HEADER_ROW))
    page_pt = max(HEADER_PT, header_pt) + CHART_ROWS * CHART_ROWS_PER_PAGE * ROW_PT
    print_pages(ws, last_col, landscape=True, pages=[(1, last_col)], tallest_pt=page_pt)
    for k in range(CHART_ROWS_PER_PAGE, rows_of_charts, CHART_ROWS_PER_PAGE):
        ws.row_breaks.append(Break(id=TABLE_HEADER_ROW - 1 + k * CHART_ROWS))  # never cut a chart


def _chart_block(
    ws: Worksheet,
    plan: Plan,
    measures: list[MeasureResult],
    axis: list[int],
    col: int,
    year: int,
    brk: ChangeBreak | None = None,
) -> int:
    """Two rows per measure (values, targets at their years) under a row of years, outside the print
    area; the first year after a break is written «2025 †» (the category the chart shows). Returns the
    first year column."""
    c = put(ws, CHART_DATA_ROW - 1, col, "Số liệu của biểu đồ (giá trị toàn tỉnh; mục tiêu tại năm mốc)")
    c.font = F_BOLD
    cols = [Col("code", "Mã", 6)] + [Col(f"y_{y}", y, 8, NUM) for y in axis]
    rows: list[list[Any]] = []
    for m in measures:
        pm = plan.measure_by_code.get(m.code)
        series = {**m.trend, **({year: m.value} if m.value is not None else {})}
        rows.append([m.code] + [series.get(y) for y in axis])
        rows.append([f"{m.code} mục tiêu", *target_marks(pm, axis)])
    table(ws, cols, rows, header_row=CHART_DATA_ROW, first_col=col)
    mark_break(ws, CHART_DATA_ROW, {y: col + 1 + i for i, y in enumerate(axis)}, brk)
    return col + 1


def chart_subtitle(pm: Measure | None, m: MeasureResult, year: int) -> str:
    """The target with the verdict (the progress status where the year is no milestone), the
    outlook: short, under the name."""
    parts = []
    if pm is not None and m.status.target is not None:
        when = f" {m.status.milestone_year}" if m.status.milestone_year else " hằng năm"
        target = format_target(pm, m.status.target).lower() + ("%" if pm.unit == "%" else "")
        verdict = f": {VERDICT_TEXT[m.verdict]}" if m.verdict else ""
        parts.append(f"Mục tiêu{when} {target}{verdict}")
    if not m.verdict:
        parts.append(f"tiến độ: {m.status.label.lower()}")
    if m.outlook:
        parts.append(f"{m.outlook.year}: {OUTLOOK_LABELS[m.outlook.on_track]}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _trend_chart(plan: Plan, m: MeasureResult, year: int, brk: ChangeBreak | None = None) -> LineChart:
    """An empty line chart for one measure: name, target and verdict/status in the title, the break of
    the reporting units (if the years span one) on the title's last line; axes from 0 (a percentage
    of a whole from 0 to 100)."""
    chart = LineChart()
    pm = plan.measure_by_code.get(m.code)
    name = pm.name if pm else m.code
    note = f"{BREAK_MARK} {brk.year}: {brk.label}" if brk is not None else ""
    chart.title = _title(f"{m.code}. {_shorten(name, CHART_NAME_MAX)}", chart_subtitle(pm, m, year), note)
    chart.legend.position = "b"
    chart.legend.txPr = _text_props()
    chart.visible_cells_only = False
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.number_format = "0"
    chart.y_axis.number_format = "General"
    chart.y_axis.scaling.min = 0
    if pm is not None and pm.proportion and pm.unit == "%" and _peak(pm, m) > 10:
        chart.y_axis.scaling.max = 100
        chart.y_axis.majorUnit = 20
    chart.x_axis.txPr = chart.y_axis.txPr = _text_props()
    return chart


def _peak(pm: Measure, m: MeasureResult) -> float:
    values = [*m.trend.values(), *pm.targets.values()]
    if pm.standing_target is not None:
        values.append(pm.standing_target)
    return max(values, default=0.0)


def _style_series(chart: LineChart) -> None:
    """The value as a line with markers; the target as a red diamond at its year, no line."""
    value, goal = chart.series
    value.tx = SeriesLabel(v="Giá trị toàn tỉnh")
    value.marker.symbol = "circle"
    value.marker.size = 7
    value.smooth = False
    value.graphicalProperties.line.solidFill = "1F4E79"
    value.graphicalProperties.line.width = 28575
    goal.tx = SeriesLabel(v="Mục tiêu")
    goal.marker.symbol = "diamond"
    goal.marker.size = 11
    goal.marker.graphicalProperties = GraphicalProperties(solidFill="C00000")
    goal.marker.graphicalProperties.line.solidFill = "C00000"
    goal.smooth = False
    goal.graphicalProperties.line.noFill = True


def _text_props(pt: int = CHART_TEXT_PT) -> RichText:
    font = CharacterProperties(sz=pt * 100)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=font), endParaRPr=font)])


def _title(text: str, subtitle: str = "", note: str = "", *, bold: bool = True) -> Title:
    """A chart title at CHART_TEXT_PT (the name bold, then the subtitle and note lines in italics)."""
    font = CharacterProperties(sz=CHART_TEXT_PT * 100, b=bold)
    paras = [Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])]
    sub = CharacterProperties(sz=CHART_TEXT_PT * 100, b=False, i=True)
    for line in (subtitle, note):
        if line:
            paras.append(Paragraph(pPr=ParagraphProperties(defRPr=sub), r=[RegularTextRun(rPr=sub, t=line)]))
    return Title(tx=Text(rich=RichText(p=paras)), overlay=False)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
