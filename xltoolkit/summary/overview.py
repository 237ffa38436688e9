"""The overview sheet ("Tổng quan"): progress status counts with a bar chart, completeness and
timeliness of the reports received, and measures whose department figure and district aggregate
disagree."""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult, MeasureResult
from xltoolkit.plan.history import local_terms
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.summary.sheets import (
    F_BOLD,
    FIRST_ROW,
    INT,
    LINE_PT,
    NUM,
    STATUS_COLOURS,
    TABLE_HEADER_ROW,
    TOTAL_FILL,
    WRAP,
    Col,
    agency_label,
    fit_header_rows,
    header_block,
    page_setup,
    print_pages,
    put,
    reporting_period,
    short_label,
    status_cell,
    table,
    text_lines,
)
from xltoolkit.workbook.styles import BOX, FONT

OVERVIEW_SHEET = "Tổng quan"

STATUS_TOTAL_ROW = FIRST_ROW + len(STATUS_LABELS)
#: The status chart sits under the status table, anchored two rows below the total, STATUS_CHART_CM
#: tall (~0.53 cm a default row); the completeness table starts below it.
STATUS_CHART_ROW = STATUS_TOTAL_ROW + 2
STATUS_CHART_CM = 8.0
COMPLETENESS_HEADER_ROW = STATUS_CHART_ROW + int(STATUS_CHART_CM / 0.53) + 4
#: Rows of the completeness table, in this fixed order (row `COMPLETENESS_HEADER_ROW + 1 + index`);
#: the sheet itself shows only the Vietnamese label (`COMPLETENESS_LABELS`) and its number.
COMPLETENESS_KEYS = ("expected", "received", "on_time", "late", "missing", "superseded", "rejected")
RECONCILIATION_HEADER_ROW = COMPLETENESS_HEADER_ROW + len(COMPLETENESS_KEYS) + 3


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


#: The "STT" column of the completeness table; the two "Trong đó" rows are parts of row 2.
COMPLETENESS_NUMBERS = {
    "expected": 1,
    "received": 2,
    "on_time": None,
    "late": None,
    "missing": 3,
    "superseded": 4,
    "rejected": 5,
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


def cutoff_text(result: ConsolidationResult, plan: Plan) -> str:
    """The reporting period (Nghị định 09/2019/NĐ-CP, Điều 12) and the cut-off of the figures."""
    start, end = reporting_period(result.year)
    used = [s.received_at for s in result.submissions if s.year == result.year and s.state == "accepted"]
    cut = f"; số liệu tổng hợp từ các báo cáo nhận đến ngày {max(used):%d/%m/%Y}" if used else ""
    return (
        f"Kỳ báo cáo: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y} (Điều 12 Nghị định số "
        f"09/2019/NĐ-CP); hạn gửi báo cáo: ngày {plan.deadline_for(result.year):%d/%m/%Y}{cut}."
    )


def overview_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, measures: list[MeasureResult]
) -> None:
    """The first sheet: the national header block (once in the workbook), then the sections."""
    header_block(
        ws,
        plan,
        result.year,
        6,
        f"BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ TRẺ EM NĂM {result.year}",
        f"({plan.name})\n{cutoff_text(result, plan)}",
    )
    for col, width in zip("ABCDEF", OVERVIEW_WIDTHS, strict=True):
        ws.column_dimensions[col].width = width
    fit_header_rows(ws, 2)
    ws.row_dimensions[6].height = LINE_PT * text_lines(str(ws["A6"].value), sum(OVERVIEW_WIDTHS)) + 6
    _status_section(ws, plan, measures)
    _completeness_section(ws, result, plan)
    last = _reconciliation_section(ws, plan, measures)
    last = _review_section(ws, result, plan, last + 2)
    last = _attention_section(ws, result, plan, last + 2)
    # Sections with their own table headers: no row repeats (the header block is printed once).
    page_setup(ws, landscape=False, freeze=None, print_cols=6, last_row=last, repeat_header=False)
    print_pages(ws, 6, landscape=False, pages=[(1, 6)])


#: Column widths of the overview: one A4 portrait page wide at a print scale of at least 80%.
OVERVIEW_WIDTHS = (6, 32, 11, 11, 11, 15)


def _review_section(ws: Worksheet, result: ConsolidationResult, plan: Plan, row: int) -> int:
    """IV. Met or not at this year's milestones: indicators (24) and their parts (35)."""
    year = result.year
    kind = f" ({result.review.kind_label.upper()})" if result.review else ""
    put(ws, row, 1, f"IV. KẾT QUẢ SO VỚI MỤC TIÊU NĂM {year}{kind}").font = F_BOLD
    ind_met = sum(i.verdict == "met" for i in result.indicators)
    ind_target = sum(bool(i.measures) for i in result.indicators)
    judged = [m for m in measures_with_milestone(result)]
    met = sum(m.verdict == "met" for m in judged)
    cols = [Col("no", "STT", 6, INT), Col("label", "Nội dung", 32, wrap=True)]
    cols += [Col("count", "Đạt", 11, INT), Col("of", "Có mục tiêu năm mốc", 11, INT)]
    cols += [Col("total", "Tổng số trong kế hoạch", 11, INT)]
    rows: list[list[Any]] = [
        [1, "Chỉ tiêu của kế hoạch", ind_met, ind_target, len(plan.indicators)],
        [2, "Nội dung chỉ tiêu (các phần của chỉ tiêu)", met, len(judged), len(plan.measures)],
    ]
    last = table(ws, cols, rows, header_row=row + 1)
    missed = [i for i in result.indicators if i.verdict == "not_met"]
    text = (
        "Chỉ tiêu không đạt: " + ", ".join(f"chỉ tiêu {i.number}" for i in missed) + "."
        if missed
        else "Không có chỉ tiêu nào không đạt mục tiêu năm mốc."
    )
    c = put(ws, last + 1, 1, text)
    c.alignment = WRAP
    ws.merge_cells(start_row=last + 1, start_column=1, end_row=last + 1, end_column=6)
    ws.row_dimensions[last + 1].height = LINE_PT * text_lines(text, sum(OVERVIEW_WIDTHS)) + 4
    return last + 1


def measures_with_milestone(result: ConsolidationResult) -> list[MeasureResult]:
    """Measures judged this year (a milestone and a value)."""
    return [m for m in result.measures if m.verdict is not None]


def _attention_section(ws: Worksheet, result: ConsolidationResult, plan: Plan, row: int) -> int:
    """V. Đơn vị cần quan tâm, with the rule that selects them, in words."""
    from xltoolkit.summary.units import attention, attention_rule

    put(ws, row, 1, "V. ĐƠN VỊ CẦN QUAN TÂM").font = F_BOLD
    rule = attention_rule(result.year)
    c = put(ws, row + 1, 1, f"(Cách chọn: {rule[0].lower()}{rule[1:]})")
    c.alignment = WRAP
    c.font = Font(name=FONT, size=12, italic=True)
    ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=6)
    ws.row_dimensions[row + 1].height = LINE_PT * text_lines(str(c.value), sum(OVERVIEW_WIDTHS)) + 4
    cols = [Col("no", "STT", 6, INT), Col("name", "Đơn vị", 32, wrap=True)]
    cols += [
        Col("last", "Ở nhóm cuối / được xếp hạng", 11),
        Col("not_met", "Số chỉ tiêu không đạt", 11, INT),
    ]
    cols += [Col("codes", "Chỉ tiêu ở nhóm cuối (mã)", 26, wrap=True)]
    found = attention(plan, result)
    rows: list[list[Any]] = [
        [k, agency_label(plan, a.agency), f"{len(a.last)}/{a.ranked}", len(a.not_met), ", ".join(a.last)]
        for k, a in enumerate(found, start=1)
    ]
    if not rows:
        rows = [["", "Không có đơn vị nào theo tiêu chí trên.", "", None, ""]]
    header = row + 2
    last = table(ws, cols, rows, header_row=header)
    for r in range(header, last + 1):
        ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=6)
        ws.cell(row=r, column=6).border = BOX
        lines = text_lines(str(ws.cell(row=r, column=5).value or ""), 26)
        if r > header:
            ws.row_dimensions[r].height = max(18, LINE_PT * lines + 2)
    for col, width in zip("ABCDEF", OVERVIEW_WIDTHS, strict=True):
        ws.column_dimensions[col].width = width  # the tables above set their own; keep one page wide
    return last


def _status_section(ws: Worksheet, plan: Plan, measures: list[MeasureResult]) -> None:
    """I. Status counts (of the measures: the parts of the plan's indicators) with a bar chart."""
    put(ws, TABLE_HEADER_ROW - 1, 1, "I. ĐÁNH GIÁ TIẾN ĐỘ SO VỚI MỤC TIÊU").font = F_BOLD
    total = len(measures)
    counts = {k: sum(1 for m in measures if m.status.status == k) for k in STATUS_LABELS}
    rows = [
        [i, label, counts[key], (counts[key] / total) if total else None]
        for i, (key, label) in enumerate(STATUS_LABELS.items(), start=1)
    ]
    rows.append(
        ["", f"Tổng số ({len(plan.indicators)} chỉ tiêu gồm {total} nội dung)", total, 1.0 if total else None]
    )
    cols = [
        Col("no", "STT", 6, INT),
        Col("label", "Mức đánh giá", 32),
        Col("count", "Số nội dung chỉ tiêu", 11, INT),
    ]
    cols.append(Col("share", "Tỷ lệ", 11, "0.0%"))
    table(ws, cols, rows)
    for i, key in enumerate(STATUS_LABELS):
        status_cell(ws.cell(row=FIRST_ROW + i, column=2), key)
    for j in range(1, 5):
        ws.cell(row=STATUS_TOTAL_ROW, column=j).font = F_BOLD
        ws.cell(row=STATUS_TOTAL_ROW, column=j).fill = TOTAL_FILL
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
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
    chart.y_axis.scaling.min = 0
    chart.x_axis.scaling.orientation = "maxMin"  # same top-to-bottom order as the table
    chart.height, chart.width = STATUS_CHART_CM, 15
    chart.title = _chart_title("Số nội dung chỉ tiêu theo mức đánh giá tiến độ")
    chart.x_axis.txPr = chart.y_axis.txPr = _chart_text()
    ws.add_chart(chart, f"A{STATUS_CHART_ROW}")


def _completeness_section(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """II. Completeness and timeliness; the agency list merged over D:F."""
    groups = completeness(result, plan)
    deadline = plan.deadline_for(result.year)
    put(
        ws, COMPLETENESS_HEADER_ROW - 1, 1, f"II. TÌNH HÌNH GỬI BÁO CÁO (hạn: ngày {deadline:%d/%m/%Y})"
    ).font = F_BOLD
    cols = [Col("no", "STT", 6, INT), Col("label", "Nội dung", 32, wrap=True)]
    cols += [Col("count", "Số đơn vị", 11, INT), Col("list", "Danh sách", 11, wrap=True)]
    rows = [
        [
            COMPLETENESS_NUMBERS[key],
            COMPLETENESS_LABELS[key],
            len(groups[key]),
            ", ".join(short_label(plan, a) for a in groups[key]),
        ]
        for key in COMPLETENESS_KEYS
    ]
    last = table(ws, cols, rows, header_row=COMPLETENESS_HEADER_ROW)
    list_width = sum(ws.column_dimensions[c].width for c in "DEF")
    for r in range(COMPLETENESS_HEADER_ROW, last + 1):
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=6)
        for c in "EF":
            ws[f"{c}{r}"].border = BOX  # the merged list cell is boxed on every side
        lines = text_lines(str(ws.cell(row=r, column=4).value or ""), list_width)
        ws.row_dimensions[r].height = max(18, LINE_PT * lines + 2) if r > COMPLETENESS_HEADER_ROW else 30


def _reconciliation_section(ws: Worksheet, plan: Plan, measures: list[MeasureResult]) -> int:
    """III. Department figure vs district aggregate, where they differ. Returns the last row."""
    local = local_terms(plan)
    put(
        ws,
        RECONCILIATION_HEADER_ROW - 1,
        1,
        f"III. CHỈ TIÊU CÓ CHÊNH LỆCH GIỮA SỐ LIỆU SỞ, NGÀNH VÀ TỔNG HỢP {local.level.upper()}",
    ).font = F_BOLD
    cols = [
        Col("code", "Mã", 6),
        Col("name", "Chỉ tiêu", 32, wrap=True),
        Col("dept", "Số liệu sở, ngành", 11, NUM),
    ]
    cols += [
        Col("agg", f"Tổng hợp {local.level}", 11, NUM),
        Col("diff", f"Chênh lệch ({local.unit} − sở, ngành)", 11, NUM),
    ]
    rows: list[list[Any]] = []
    flagged = [m for m in measures if m.reconciliation_flag]
    for m in flagged:
        diff = None
        if m.department_value is not None and m.district_aggregate is not None:
            diff = m.district_aggregate - m.department_value  # in the unit: percentage points for %
        rows.append([m.code, measure_name(plan, m.code), m.department_value, m.district_aggregate, diff])
    if not rows:
        rows.append(["", "Không có chỉ tiêu nào chênh lệch vượt ngưỡng.", None, None, None])
    last = table(ws, cols, rows, header_row=RECONCILIATION_HEADER_ROW)
    for i, m in enumerate(flagged):
        pm = plan.measure_by_code.get(m.code)
        for j, fmt in ((3, number_format(pm)), (4, number_format(pm)), (5, number_format(pm, gap=True))):
            ws.cell(row=RECONCILIATION_HEADER_ROW + 1 + i, column=j).number_format = fmt
    tol = plan.checks.reconciliation_tolerance
    note = (
        f"(Ngưỡng cảnh báo: chênh lệch trên {tol:.0%} so với số liệu của sở, ngành chủ trì; chênh lệch "
        "tính theo đơn vị của chỉ tiêu, chỉ tiêu tỷ lệ tính bằng điểm phần trăm.)"
    )
    c = put(ws, last + 1, 2, note)  # column A stays the (empty) row key
    c.alignment = WRAP
    ws.merge_cells(start_row=last + 1, start_column=2, end_row=last + 1, end_column=6)
    ws.row_dimensions[last + 1].height = LINE_PT * text_lines(note, sum(OVERVIEW_WIDTHS[1:])) + 4
    return last + 1


def measure_name(plan: Plan, code: str) -> str:
    m = plan.measure_by_code.get(code)
    return m.name if m else code


def number_format(pm: Any, *, gap: bool = False) -> str:
    from xltoolkit.summary.measures import number_format as fmt

    return fmt(pm, gap=gap)


def _chart_text() -> Any:
    from xltoolkit.summary.measures import _text_props

    return _text_props()


def _chart_title(text: str) -> Any:
    from xltoolkit.summary.measures import _title

    return _title(text)
