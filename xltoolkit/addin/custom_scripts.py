"""The three buttons of the «Trẻ em» ribbon tab, as xlwings Server scripts.

xlwings-server imports this file as the top-level module `custom_scripts` (this folder is its project
directory) and runs a script when Office.js posts the open workbook to
``/xlwings/custom-scripts-call/<name>``. Each script is a thin adapter: read the workbook
(`bridge`), call the core function the CLI calls, render the result back as xlwings actions.

A request not shaped like what Office.js sends never gets here: the server's guard refuses it with a
coded 4xx answer (`payload.read_payload`). Every failure of a script reaches the officer as a
Vietnamese alert: a user-facing `XltoolkitError` with its own message, anything else with a generic
message (the traceback goes to the server log only). Actions queued before a failure are dropped, so
a half-written result never reaches the workbook.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import xlwings as xw
from xlwings.server import script

from xltoolkit.addin import bridge
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.checks import NO_DATA
from xltoolkit.plan.model import Plan
from xltoolkit.workbook.layout import DATA_SHEET, FIRST_DATA_ROW, META_SHEET, RESULT_SHEET

logger = logging.getLogger("xltoolkit.addin")

ALERT_TITLE = "Trẻ em"
_CONSOLIDATING = threading.Lock()
UNEXPECTED = (
    "Máy chủ add-in gặp lỗi ngoài dự kiến nên chưa thực hiện được. Hãy lưu tệp và thử lại; "
    "nếu vẫn lỗi, báo cho bộ phận tổng hợp của Sở kèm thời điểm bấm nút."
)


def _name(body: Callable[..., Any]) -> str:
    return str(getattr(body, "__name__", None) or getattr(getattr(body, "func", None), "__name__", "script"))


async def _run(book: xw.Book, body: Callable[[xw.Book], None]) -> None:
    """Run a script body off the event loop; turn any failure into an alert, never a traceback."""
    try:
        # Bounds first: nothing the client claims is allocated before it is checked.
        bridge.check_request(book, bridge.current_plan())
        await asyncio.to_thread(body, book)
    except XltoolkitError as e:
        logger.info("script %s refused: %s", _name(body), e.code)
        book.json()["actions"].clear()
        book.app.alert(e.message, title=ALERT_TITLE, mode="critical")
    except Exception:
        logger.exception("script %s failed", _name(body))
        book.json()["actions"].clear()
        book.app.alert(UNEXPECTED, title=ALERT_TITLE, mode="critical")


# ------------------------------------------------------------------------------------------ Kiểm tra


@script
async def validate_workbook(book: xw.Book) -> None:
    """«Kiểm tra»: validate the open workbook like `xltoolkit validate`, show the issues in it."""
    await _run(book, _validate)


def _validate_values(book: xw.Book, plan: Plan) -> tuple[Any, dict[str, list[list[Any]]], Any]:
    """The validator's report for the open workbook, the sheet values read, and the template layout."""
    from xltoolkit.validation.validate import validate_values

    sheets = bridge.sheet_values(book)
    meta = bridge.meta_values(sheets)
    layout = bridge.template_layout(plan, meta)
    names = bridge.names_or_layout(book, layout)
    report = validate_values(
        sheets,
        names,
        plan,
        history=bridge.history(plan, meta),
        path=book.name,
    )
    return report.files[0], sheets, layout


def _validate(book: xw.Book) -> None:
    plan = bridge.current_plan()
    file_report, sheets, layout = _validate_values(book, plan)
    issues = list(file_report.issues)
    sheet_names = {sh.name for sh in book.sheets}
    now_colours = bridge.issue_highlights(issues, sheet_names)
    # Undo the previous run's highlights that are not highlighted again now.
    fills = bridge.original_fills(layout)
    for sheet, cell in dict.fromkeys(bridge.previous_highlights(sheets)):
        if (sheet, cell) not in now_colours and sheet in sheet_names and sheet != META_SHEET:
            book.sheets[sheet][cell].color = fills.get((sheet, cell))
    for (sheet, cell), colour in now_colours.items():
        book.sheets[sheet][cell].color = colour
    rows = bridge.result_table(issues, book.name, datetime.now())
    errors = sum(i.is_error for i in issues)
    if RESULT_SHEET in sheet_names:
        result = book.sheets[RESULT_SHEET]
        result.clear_contents()
        bridge.write_block(result, "A1", rows)
        where = f"Chi tiết ở trang «{RESULT_SHEET}»."
    else:
        where = "Sổ tính này không có trang «Kết quả kiểm tra»: có thể không phải biểu mẫu của kế hoạch."
    if not issues:
        message = "Không có lỗi. Số liệu đã đạt yêu cầu kiểm tra, có thể gửi tệp."
    elif not errors:
        message = f"Không có lỗi; có {len(issues)} cảnh báo (ô tô vàng). {where}"
    else:
        message = f"Có {errors} lỗi (ô tô đỏ) và {len(issues) - errors} cảnh báo. {where}"
    book.app.alert(message, title="Kết quả kiểm tra", mode="info" if not errors else "critical")


# ---------------------------------------------------------------------------------- Tính trạng thái


@script
async def target_status(book: xw.Book) -> None:
    """«Tính trạng thái»: each measure's value and its status against the year's milestone."""
    await _run(book, _status)


def _status(book: xw.Book) -> None:
    from xltoolkit.summary.workbook import MEASURES_SHEET

    plan = bridge.current_plan()
    sheet_names = [sh.name for sh in book.sheets]
    if META_SHEET in sheet_names:
        _status_template(book, plan)
    elif MEASURES_SHEET in sheet_names:
        _status_summary(book, plan)
    else:
        raise XltoolkitError(
            "addin-not-a-template",
            "Sổ tính đang mở không phải biểu mẫu báo cáo hay báo cáo tổng hợp của kế hoạch, "
            "nên không tính được trạng thái chỉ tiêu.",
        )


def _finite(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _status_template(book: xw.Book, plan: Plan) -> None:
    from xltoolkit.plan.status import assess

    file_report, _sheets, layout = _validate_values(book, plan)
    if not file_report.integrity_ok or layout is None:
        blocking = [i.message for i in file_report.issues if i.is_error][:3]
        raise XltoolkitError(
            "addin-integrity",
            "Không tính được trạng thái vì tệp không dùng được:\n- "
            + "\n- ".join(blocking or ["(không rõ)"]),
        )
    if not layout.has_data_sheet:
        raise XltoolkitError(
            "addin-no-measures", "Biểu mẫu của đơn vị này không có chỉ tiêu nào để đánh giá."
        )
    year, agency = layout.year, layout.agency.id
    values = {str(r.code): r for r in file_report.values.itertuples(index=False)}
    own_history = bridge.history(plan, {"agency_id": agency, "year": str(year)})
    # below the measure table's header: the base figures above it are not measures
    top = max(FIRST_DATA_ROW, layout.header_row + 1)
    rows: list[list[Any]] = [[None, None] for _ in range(top, layout.last_data_row + 1)]
    colours: list[list[Any]] = [[..., ...] for _ in rows]
    for m in layout.measures:
        i = layout.measure_rows[m.code] - top
        rec = values.get(m.code)
        value = _finite(rec.value) if rec is not None else None
        if rec is not None and bool(rec.blocked):
            rows[i] = [None, "Số liệu có lỗi: bấm «Kiểm tra» để xem"]
            colours[i] = [None, bridge.ERROR_FILL]
            continue
        if rec is not None and bool(getattr(rec, "no_data", False)):
            rows[i] = [None, NO_DATA]
            colours[i] = [None, None]
            continue
        if value is None:
            rows[i] = [None, f"Chưa có số liệu năm {year}"]
            colours[i] = [None, None]
            continue
        series = {y: v for y, v in own_history.get((agency, m.code), {}).items() if y < year}
        series[year] = value
        st = assess(m, series, year)
        rows[i] = [value, st.label]
        colours[i] = [None, bridge.status_fill(st.status)]
    data = book.sheets[DATA_SHEET]
    first = f"{layout.columns['addin_value']}{top}"
    last = f"{layout.columns['addin_status']}{layout.last_data_row}"
    bridge.write_block(data, first, rows)
    data[f"{first}:{last}"].set_colors(colours)
    data[f"{first}:{layout.columns['addin_value']}{layout.last_data_row}"].number_format = "#,##0.00"


#: Status columns «Tính trạng thái» refreshes on the summary's measure table.
_STATUS_KEYS = (
    "status",
    "milestone_year",
    "target",
    "base_year",
    "base",
    "latest_year",
    "latest",
    "cagr_observed",
    "cagr_required",
    "ratio",
)


def _status_summary(book: xw.Book, plan: Plan) -> None:
    """Refresh the status columns of the summary's measure table from its own values and trend.

    The table's columns are where `measure_columns` puts them (by position, for the trend years the
    header row lists as numbers); the report year is the last trend year, the year the summary's
    values are for. A table not laid out that way is refused, never guessed at.
    """
    from xltoolkit.plan.status import assess
    from xltoolkit.summary.sheets import FIRST_ROW, TABLE_HEADER_ROW
    from xltoolkit.summary.workbook import MEASURES_SHEET, measure_columns

    ws = book.sheets[MEASURES_SHEET]
    table = bridge.sheet_values(book).get(MEASURES_SHEET) or []
    header = table[TABLE_HEADER_ROW - 1] if len(table) >= TABLE_HEADER_ROW else []
    years = [int(h) for h in header if isinstance(h, int | float) and not isinstance(h, bool)]
    layout = [c.key for c in measure_columns(plan, years)]
    if not years or len(header) < len(layout) or header[0] != "Mã":
        raise XltoolkitError(
            "addin-summary-layout", f"Bảng ở trang «{MEASURES_SHEET}» không đúng mẫu báo cáo tổng hợp."
        )
    year = max(years)
    cols = {key: j for j, key in enumerate(layout)}
    out: dict[str, list[list[Any]]] = {k: [] for k in _STATUS_KEYS}
    colours: list[list[Any]] = []
    for row in table[FIRST_ROW - 1 :]:
        row = list(row) + [None] * (len(layout) - len(row))
        m = plan.measure_by_code.get(str(row[cols["code"]] or ""))
        if m is None:
            for k in _STATUS_KEYS:
                out[k].append([row[cols[k]]])
            colours.append([...])
            continue
        series = {y: _finite(row[cols[f"trend_{y}"]]) for y in years}
        value = _finite(row[cols["value"]])
        if value is not None:
            series[year] = value
        st = assess(m, series, year)
        fields = {**st.to_dict(), "status": st.label}
        for k in _STATUS_KEYS:
            out[k].append([fields.get(k)])
        colours.append([bridge.status_fill(st.status)])
    if not colours:
        return
    for k in _STATUS_KEYS:
        ws.range((FIRST_ROW, cols[k] + 1)).value = out[k]
    ws.range((FIRST_ROW, cols["status"] + 1), (FIRST_ROW + len(colours) - 1, cols["status"] + 1)).set_colors(
        colours
    )


# ------------------------------------------------------------------------------ Lập báo cáo tổng hợp


@script
async def build_summary(book: xw.Book, year: int | None = None) -> None:
    """«Lập báo cáo tổng hợp»: consolidate the server's returned files like `xltoolkit consolidate`.

    The ribbon sends no argument (the year comes from the workbook or the date); a task pane or a
    test may pass the year.
    """
    await _run(book, functools.partial(_summary, year=year))


def _summary(book: xw.Book, year: int | None = None) -> None:
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.summary.sheets import FIRST_ROW, TABLE_HEADER_ROW
    from xltoolkit.summary.workbook import MEASURES_SHEET

    plan = bridge.current_plan()
    sheets = bridge.sheet_values(book)
    year = int(year) if year is not None else bridge.summary_year(plan, sheets)
    plan = plan.for_year(year)  # the units expected that year, its consolidator
    sheet_names = [sh.name for sh in book.sheets]
    if MEASURES_SHEET not in sheet_names and META_SHEET in sheet_names:
        raise XltoolkitError(
            "addin-template-locked",
            "Sổ tính đang mở là biểu mẫu báo cáo (đã khóa cấu trúc), không ghi bảng tổng hợp vào được. "
            "Hãy mở một sổ tính mới (trống) rồi bấm lại «Lập báo cáo tổng hợp».",
        )
    folder = bridge.returned_folder(year)
    if not folder.is_dir():
        raise XltoolkitError(
            "addin-no-returned-folder",
            f"Máy chủ chưa có thư mục tệp báo cáo năm {year} ({folder}). "
            "Hãy chép các tệp các đơn vị gửi về vào thư mục đó rồi bấm lại.",
        )
    with _CONSOLIDATING:  # two officers clicking at once must not intake the same files twice
        result = consolidate(folder, year, plan=plan, workspace=bridge.workspace())
        report = bridge.write_report_beside(result, plan)
    top, table, colours = bridge.summary_table(result, plan)
    if MEASURES_SHEET in sheet_names:
        # The summary workbook: keep its header block (merged cells), replace the table only.
        ws = book.sheets[MEASURES_SHEET]
        used = ws.used_range
        last_row = max(used.last_cell.row, TABLE_HEADER_ROW)
        last_col = max(used.last_cell.column, len(table[0]))
        ws.range((TABLE_HEADER_ROW, 1), (last_row, last_col)).clear_contents()
    else:
        ws = book.sheets.add(MEASURES_SHEET, after=book.sheets[len(book.sheets) - 1])
        bridge.write_block(ws, "A1", top)
    bridge.write_block(ws, f"A{TABLE_HEADER_ROW}", table)
    if colours:
        col = bridge.summary_status_column(plan, result)
        ws.range((FIRST_ROW, col), (FIRST_ROW + len(colours) - 1, col)).set_colors(colours)
    book.app.alert(bridge.summary_message(result, plan, report), title="Lập báo cáo tổng hợp", mode="info")
