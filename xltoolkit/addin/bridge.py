"""Between the workbook Office.js sent and the core: read it as plain data, write results back.

The three ribbon scripts (`custom_scripts.py`) are thin: they read the open workbook through the
functions here, call the same core functions the CLI calls (`validate_values`, `status.assess`,
`consolidate`), and render what those return. Nothing here decides whether a value is right, what
status a measure has, or how districts add up; it only knows where things sit in the workbook.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import xlwings as xw

from xltoolkit import config
from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import SEVERITY_FILLS, SEVERITY_LABELS, Issue
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.workbook.layout import META_SHEET, RESULT_SHEET, TemplateLayout, build_layout
from xltoolkit.workspace import ledger_path, returned_dir

#: Highlight of a cell by severity: the same colours as the feedback copy and the templates' legend.
FILLS = {severity: f"#{rgb}" for severity, rgb in SEVERITY_FILLS.items()}
ERROR_FILL = FILLS["error"]
WARNING_FILL = FILLS["warning"]

__all__ = ["ERROR_FILL", "SEVERITY_LABELS", "WARNING_FILL"]
RESULT_HEADER = ("Mức độ", "Trang", "Ô", "Nội dung", "Mã lỗi")
#: 1-based row of the issue table header on the result sheet; rows 1-2 hold the verdict.
RESULT_HEADER_ROW = 4


# ------------------------------------------------------------------------------------ configuration


@functools.lru_cache(maxsize=4)
def _load_plan_cached(path: str | None) -> Plan:
    return load_plan(path)


def current_plan() -> Plan:
    """The plan the server was started with (XLTOOLKIT_PLAN, else the bundled plan); cached."""
    return _load_plan_cached(config.plan_path())


def workspace() -> Path:
    """The server's workspace (archive, ledger, summaries), fixed at start; never from the client."""
    return config.workspace().resolve()


def returned_folder(year: int) -> Path:
    """Where the province drops the returned workbooks of `year`: ``<workspace>/<year>/nhan-ve``.

    The only folder the scripts read reports from (the same layout `xltoolkit demo` writes). The
    year is an int and the folder is built here, so nothing the client sends can name another path.
    """
    folder = returned_dir(workspace(), int(year)).resolve()
    if workspace() not in folder.parents:
        raise XltoolkitError(
            "addin-bad-folder", "Thư mục tệp báo cáo nằm ngoài thư mục làm việc của máy chủ."
        )
    return folder


def current_reporting_year(plan: Plan, today: date | None = None) -> int:
    """The year being reported now: this year from a month before its deadline, else last year."""
    today = today or date.today()
    year = today.year if today >= plan.deadline_for(today.year) - timedelta(days=31) else today.year - 1
    lo, hi = plan.period
    return min(max(year, lo), hi)


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Limits:
    """The largest workbook the add-in has any use for: what a template or a summary can hold."""

    rows: int
    columns: int
    cells: int
    sheets: int = 64
    names: int = 5000


#: Whole-workbook cell budget: a summary of a large year is well under it; 8 MB of "" is 2.8 million.
MAX_CELLS = 2_000_000
_ADDRESS = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Z]{1,3})\$?([0-9]{1,7}))?$")


_limits_cache: dict[tuple[str, str], Limits] = {}


def request_limits(plan: Plan) -> Limits:
    """Bounds from the plan: a template's extent (any agency), the summary's longest sheet.

    A template's result sheet lists at most a few issues per cell; a summary's lists are capped
    (`ISSUE_ROWS_MAX` issue rows) or have a row per agency and per submission. The factor 4 leaves
    room for what an officer adds below a table without ever admitting a claimed sheet of millions.
    """
    key = (plan.id, plan.digest)
    cached = _limits_cache.get(key)
    if cached is not None:
        return cached
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    from xltoolkit.summary.lists import ISSUE_ROWS_MAX
    from xltoolkit.summary.sheets import TABLE_HEADER_ROW

    rows = cols = 0
    for agency in plan.agencies:
        for cell in build_layout(plan, agency, plan.period[0]).cells:
            col, row = coordinate_from_string(cell.ref)
            rows, cols = max(rows, row), max(cols, column_index_from_string(col))
    years = plan.period[1] - plan.period[0] + 1
    summary_rows = TABLE_HEADER_ROW + ISSUE_ROWS_MAX + 20 * len(plan.agencies) + 4 * len(plan.measures)
    summary_cols = 64 + 2 * years + len(plan.agencies)
    limits = Limits(rows=4 * max(rows, summary_rows), columns=max(4 * cols, summary_cols), cells=MAX_CELLS)
    _limits_cache[key] = limits
    return limits


def _too_large(detail: str) -> XltoolkitError:
    return XltoolkitError(
        "addin-request-too-large",
        f"Sổ tính gửi lên lớn hơn mọi biểu mẫu hay báo cáo tổng hợp của kế hoạch ({detail}), nên máy chủ "
        "không xử lý. Hãy mở đúng biểu mẫu (hoặc báo cáo tổng hợp) rồi bấm lại; nếu trang có nhiều "
        "dòng, cột thừa ở xa bảng, hãy xóa chúng và lưu tệp.",
    )


def address_extent(address: Any) -> tuple[int, int]:
    """(last row, last column) a client-claimed address reaches; XltoolkitError if unreadable."""
    from openpyxl.utils.cell import column_index_from_string

    text = str(address).rsplit("!", 1)[-1].strip().upper()
    m = _ADDRESS.match(text)
    if m is None:
        raise _too_large(f"vùng «{str(address)[:40]}» không đọc được")
    col, row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
    return int(row), column_index_from_string(col)


def check_request(book: xw.Book, plan: Plan) -> None:
    """Refuse a payload claiming more than `request_limits` BEFORE any range is read.

    xlwings pads a range's values to the claimed used range: a 53 kB request claiming
    `A1:XFD1048576` would otherwise allocate 17 billion cells. Checked on the raw payload.
    """
    limits = request_limits(plan)
    api = book.api
    # Over HTTP the shape was checked at the door (payload.read_payload); only sizes are judged here,
    # and a payload handed in directly without the expected structure claims nothing.
    sheets = api.get("sheets") if isinstance(api, dict) else None
    if not isinstance(sheets, list):
        return
    if len(sheets) > limits.sheets:
        raise _too_large(f"{len(sheets)} trang")
    cells = 0
    for sheet in sheets:
        if not isinstance(sheet, dict):
            continue
        values = sheet.get("values")
        grid = [r for r in values if isinstance(r, list)] if isinstance(values, list) else []
        address = sheet.get("used_range_address")
        rows, cols = address_extent(address) if address else (0, 0)
        rows, cols = max(rows, len(grid)), max([cols, *(len(r) for r in grid)])
        if rows > limits.rows or cols > limits.columns:
            raise _too_large(f"trang «{str(sheet.get('name'))[:40]}»: {rows} dòng × {cols} cột")
        cells += rows * cols
        if cells > limits.cells:
            raise _too_large(f"{cells} ô")
    names = api.get("names") or []
    if not isinstance(names, list):
        return
    if len(names) > limits.names:
        raise _too_large("quá nhiều tên vùng")
    for n in names:
        address = n.get("address") if isinstance(n, dict) else None
        if address:
            rows, cols = address_extent(address)
            if rows > limits.rows or cols > limits.columns:
                raise _too_large(f"tên vùng «{str(n.get('name'))[:40]}»")


def sheet_values(book: xw.Book) -> dict[str, list[list[Any]]]:
    """Every sheet's values from A1 to its last used cell, blanks as None (what the validator reads)."""
    out: dict[str, list[list[Any]]] = {}
    for sh in book.sheets:
        rng = sh.used_range
        values = rng.options(ndim=2).value if rng is not None else [[None]]
        # Office.js sends from A1; pad if a client ever starts lower or further right.
        if rng is not None and (rng.row > 1 or rng.column > 1):
            width = rng.column - 1 + (len(values[0]) if values else 0)
            values = [[None] * width for _ in range(rng.row - 1)] + [
                [None] * (rng.column - 1) + list(r) for r in values
            ]
        out[sh.name] = values
    return out


def defined_names(book: xw.Book) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names -> (sheet, 'H11'), as the client reported them."""
    out: dict[str, tuple[str, str]] = {}
    for n in book.names:
        if "!" in n.name:
            continue
        try:
            rng = n.refers_to_range
        except Exception:  # no single range: a deleted cell (#REF!) is kept as the file keeps it, so
            # the validator names it as `validate` does; a multi-area name reads as missing
            text = _refers_to(n)
            if "#REF!" in text.upper():
                out[n.name] = ("", text.lstrip("="))
            continue
        if rng is not None:
            out[n.name] = (rng.sheet.name, rng.address.replace("$", ""))
    return out


def _refers_to(name: Any) -> str:
    """The name's definition as the client sent it («='Số liệu'!#REF!»), "" when it sent none."""
    try:
        text = name.refers_to
    except Exception:
        return ""
    return text if isinstance(text, str) else ""


def meta_values(sheets: dict[str, list[list[Any]]]) -> dict[str, str]:
    """The template's `_meta` key/value pairs (empty if the workbook has none)."""
    meta: dict[str, str] = {}
    for row in sheets.get(META_SHEET, []):
        if len(row) >= 2 and row[0] not in (None, ""):
            meta[str(row[0])] = "" if row[1] is None else str(row[1])
    return meta


def meta_year(meta: dict[str, str], plan: Plan) -> int | None:
    """The template's year, by the validator's rule (digits within the plan's period), else None.

    An impossible year (99999, 0, -5) is then reported by the validator as `meta-invalid`, exactly
    as `xltoolkit validate` reports it, instead of failing while building a layout for it.
    """
    raw = meta.get("year", "").strip()
    if raw.endswith(".0"):  # a client may send the whole number 2026 as 2026.0
        raw = raw[:-2]
    if not raw.isdigit() or not plan.period[0] <= int(raw) <= plan.period[1]:
        return None
    return int(raw)


def template_layout(plan: Plan, meta: dict[str, str]) -> TemplateLayout | None:
    """The layout the workbook was generated from, if its metadata names a known agency and year."""
    year = meta_year(meta, plan)
    if year is None:
        return None
    plan = plan.for_year(year)  # the edition the template was made from
    agency = plan.agency_by_id.get(meta.get("agency_id", ""))
    if agency is None:
        return None
    return build_layout(plan, agency, year)


def names_or_layout(book: xw.Book, layout: TemplateLayout | None) -> dict[str, tuple[str, str]]:
    """Defined names from the client; from the template layout if the client sent none.

    Office.js always sends them; the VBA client (`RunServerPython`) and old hosts may not.
    """
    names = defined_names(book)
    if names or layout is None:
        return names
    return {i.name: (i.sheet, i.ref) for i in layout.inputs}


# ------------------------------------------------------------------------------------------ writing


CELL_REF = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}(:[A-Z]{1,3}[1-9][0-9]{0,6})?$")


def previous_highlights(sheets: dict[str, list[list[Any]]]) -> list[tuple[str, str]]:
    """(sheet, cell) listed by the previous run on the result sheet: the cells it coloured."""
    rows = sheets.get(RESULT_SHEET) or []
    if len(rows) < RESULT_HEADER_ROW or tuple(rows[RESULT_HEADER_ROW - 1][:5]) != RESULT_HEADER:
        return []
    out = []
    for row in rows[RESULT_HEADER_ROW:]:
        sheet, cell = (row[1], row[2]) if len(row) >= 3 else (None, None)
        # The sheet is unprotected: anything typed there must not break the next run.
        if sheet and cell and CELL_REF.match(str(cell).replace("$", "")):
            out.append((str(sheet), str(cell).replace("$", "")))
    return out


def original_fills(layout: TemplateLayout | None) -> dict[tuple[str, str], str | None]:
    """The fill each locked cell has in a fresh template (inputs have none), to undo a highlight."""
    if layout is None:
        return {}
    from xltoolkit.template.render import DEFAULT_STYLE, ROLE_STYLE

    out: dict[tuple[str, str], str | None] = {}
    for c in layout.cells:
        fill = ROLE_STYLE.get(c.role, DEFAULT_STYLE)[2]
        rgb = fill.fgColor.rgb if fill is not None and fill.fgColor is not None else None
        out[(c.sheet, c.ref)] = f"#{rgb[-6:]}" if isinstance(rgb, str) else None
    return out


def issue_highlights(issues: list[Issue], sheet_names: set[str]) -> dict[tuple[str, str], str]:
    """Cell -> fill for every issue that names a cell; an error wins over a warning on the same cell."""
    out: dict[tuple[str, str], str] = {}
    for i in issues:
        if not i.sheet or not i.cell or i.sheet not in sheet_names or i.sheet == META_SHEET:
            continue  # the hidden, fully protected metadata sheet cannot be formatted
        key = (i.sheet, i.cell.replace("$", ""))
        if not CELL_REF.match(key[1]):
            continue
        if i.is_error or key not in out:
            out[key] = FILLS[i.severity]
    return out


def result_table(issues: list[Issue], book_name: str, now: datetime) -> list[list[Any]]:
    """Rows of the result sheet: verdict, time, blank, header, one row per issue."""
    errors = sum(i.is_error for i in issues)
    warnings = len(issues) - errors
    if not issues:
        verdict = "KHÔNG CÓ LỖI. Số liệu đã đạt yêu cầu kiểm tra, có thể gửi tệp."
    elif not errors:
        verdict = f"KHÔNG CÓ LỖI; có {warnings} cảnh báo (ô tô vàng): xem lại, sửa nếu cần, rồi gửi tệp."
    else:
        verdict = (
            f"CÓ {errors} LỖI" + (f" VÀ {warnings} CẢNH BÁO" if warnings else "") + ": sửa các ô tô đỏ theo "
            "danh sách dưới đây, rồi bấm «Kiểm tra» lại trước khi gửi."
        )
    rows: list[list[Any]] = [
        [verdict, None, None, None, None],
        [f"Kiểm tra lúc {now:%H:%M ngày %d/%m/%Y}, tệp {book_name}.", None, None, None, None],
        [None] * 5,
        list(RESULT_HEADER),
    ]
    order = sorted(issues, key=lambda i: (not i.is_error,))
    for i in order:
        rows.append([SEVERITY_LABELS.get(i.severity, i.severity), i.sheet, i.cell, i.message, i.code])
    return rows


def as_text(value: Any) -> Any:
    """Keep text text: Excel turns a written string starting with = + - @ into a formula; the
    leading apostrophe makes it literal (and is not shown). An officer's note can start with '='."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_block(sheet: xw.Sheet, top_left: str, rows: list[list[Any]]) -> None:
    """One setValues action for a rectangular block (rows padded to the same width)."""
    width = max((len(r) for r in rows), default=0)
    if not width:
        return
    sheet[top_left].value = [[as_text(v) for v in r] + [None] * (width - len(r)) for r in rows]


# ----------------------------------------------------------------------------- history and summary


_history_cache: dict[tuple[Any, ...], dict[tuple[str, str], dict[int, float]]] = {}
_history_lock = threading.Lock()


def _ledger_stamp(db: Path) -> tuple[Any, ...]:
    """Changes whenever the ledger is written (the database file or its write-ahead log)."""
    out: list[Any] = []
    for p in (db, db.with_name(db.name + "-wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [None, None]
    return tuple(out)


def history(plan: Plan, meta: dict[str, str]) -> dict[tuple[str, str], dict[int, float]]:
    """Accepted values of earlier years from the server's ledger: (agency, code) -> {year: value},
    and each data element's own by (agency, element id), for the year-on-year checks.

    Empty when the workspace has no ledger yet (a fresh server), as for `xltoolkit validate`
    run without history. Reading it costs ~100 ms, so it is cached until the ledger changes
    (only a consolidation writes it).
    """
    from xltoolkit.consolidation.coverage import earlier_series
    from xltoolkit.consolidation.ledger import Ledger

    year = meta_year(meta, plan)
    db = ledger_path(workspace())
    if year is None or not db.is_file():
        return {}
    plan = plan.for_year(year)
    key = (str(db), _ledger_stamp(db), plan.id, plan.digest, year)
    with _history_lock:
        cached = _history_cache.get(key)
        if cached is None:
            with Ledger(workspace(), create=False) as led:
                cached = earlier_series(led, plan, year)
            if len(_history_cache) >= 8:
                _history_cache.clear()
            _history_cache[key] = cached
    return cached


def status_fill(status: str) -> str:
    """The summary workbook's colour of a status, so both show a status alike."""
    from xltoolkit.summary.sheets import STATUS_COLOURS

    return "#" + STATUS_COLOURS.get(status, STATUS_COLOURS["not_available"])


def summary_year(plan: Plan, sheets: dict[str, list[list[Any]]]) -> int:
    """Year to consolidate: the open template's year (its metadata), else the current reporting year."""
    year = meta_year(meta_values(sheets), plan)
    return year if year is not None else current_reporting_year(plan)


def summary_table(
    result: ConsolidationResult, plan: Plan
) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """The "Chỉ tiêu" sheet of summary.py's layout: lines above the table (column A, rows 1-7), the
    table from its header row (`TABLE_HEADER_ROW`), and the status colours of its rows."""
    from xltoolkit.summary import measure_table
    from xltoolkit.summary.sheets import TABLE_HEADER_ROW

    measures = measure_table(result, plan)

    def names(ids: list[str]) -> str:
        return (
            ", ".join(plan.agency_by_id[a].label if a in plan.agency_by_id else a for a in ids) or "không có"
        )

    top: list[list[Any]] = [
        [plan.name],
        [f"Tệp tổng hợp đầy đủ (trên máy chủ): {result.summary_path}"],
        [
            f"Đã nhận {len(result.received)}/{len(plan.agencies)} cơ quan, đơn vị; "
            f"gửi muộn: {names(result.late)}; chưa gửi: {names(result.missing)}."
        ],
        [f"Lập lúc {datetime.now():%H:%M ngày %d/%m/%Y}."],
        [f"KẾT QUẢ VÀ ĐÁNH GIÁ TIẾN ĐỘ CÁC CHỈ TIÊU NĂM {result.year} (TOÀN TỈNH)"],
        ["(Đánh giá theo phương pháp đo tiến độ SDG; R = tốc độ thay đổi thực tế / cần đạt)"],
    ]
    if measures.break_legend:  # the trend years span a change of the reporting units: «2025 †»
        top.append([measures.break_legend])
    top += [[None]] * (TABLE_HEADER_ROW - 1 - len(top))
    table = [measures.shown_headers] + [row.cells for row in measures.rows]
    colours = [[status_fill(row.status)] for row in measures.rows]
    return top, table, colours


def summary_status_column(plan: Plan, result: ConsolidationResult) -> int:
    """1-based column of the status label in the measure table."""
    from xltoolkit.summary import measure_table

    return measure_table(result, plan).column("status") + 1


def write_report_beside(result: ConsolidationResult, plan: Plan) -> Path | None:
    """The year's report document (Word) beside the summary workbook; None when nothing to report."""
    if result.summary_path is None or not result.received:
        return None
    from xltoolkit.report import report_path_beside, write_report

    return write_report(result, plan, report_path_beside(result.summary_path, result.year)).path


def summary_message(result: ConsolidationResult, plan: Plan, report: Path | None = None) -> str:
    text = (
        f"Đã lập báo cáo tổng hợp năm {result.year}: đã nhận {len(result.received)}/{len(plan.agencies)} "
        f"cơ quan, đơn vị ({len(result.late)} gửi muộn), {len(result.missing)} chưa gửi. "
        f"Bảng chỉ tiêu ở trang «Chỉ tiêu». Tệp tổng hợp đầy đủ đã lưu trên máy chủ: {result.summary_path}"
    )
    if report is not None:
        text += f". Dự thảo báo cáo (Word) đã lưu cạnh tệp tổng hợp: {report}"
    return text
