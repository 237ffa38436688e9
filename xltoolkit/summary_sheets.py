"""Building blocks every sheet of the provincial summary workbook shares: fonts and fills, the
national header block, boxed tables whose text can never turn into a formula, and print setup.

The sheets themselves live in `summary_overview.py`, `summary_measures.py` and `summary_lists.py`;
`summary.py` assembles them. Every table starts at the same header row (`TABLE_HEADER_ROW`) with its
key in column A, so tests and the add-in read them back without guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.plan import Plan
from xltoolkit.results import STATUS_LABELS

FONT = "Times New Roman"

#: Every table's header row; data starts on the next row; column A holds the row key.
TABLE_HEADER_ROW = 8
FIRST_ROW = TABLE_HEADER_ROW + 1


#: Fill colour of each status (green → red, grey when there is not enough data).
STATUS_COLOURS: dict[str, str] = {
    "target_achieved": "63BE7B",
    "substantial_progress": "C6EFCE",
    "moderate_progress": "FFEB9C",
    "limited_progress": "F8CBAD",
    "deterioration": "FF7C80",
    "not_available": "D9D9D9",
}
STATUS_FILLS = {k: PatternFill("solid", fgColor=v) for k, v in STATUS_COLOURS.items()}
assert set(STATUS_FILLS) == set(STATUS_LABELS)


HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
F_NORMAL = Font(name=FONT, size=12)
F_BOLD = Font(name=FONT, size=12, bold=True)

NUM = "#,##0.0##"
INT = "#,##0"
PCT = "0.00%"
MONEY = "#,##0.00"


@dataclass(frozen=True)
class Col:
    """A table column: key (for code), printed header, width and number format."""

    key: str
    header: str | int
    width: float = 12
    fmt: str | None = None
    wrap: bool = False


# ---------------------------------------------------------------------------------------- cells


def style(
    cell: Any,
    *,
    font: Font | None = F_NORMAL,
    fill: PatternFill | None = None,
    border: Border | None = None,
    alignment: Alignment | None = None,
    fmt: str | None = None,
) -> Any:
    """Apply a style combination, computed once per workbook and then copied as a style array.

    Setting font/fill/border through openpyxl's descriptors hashes every style object on every
    cell; a 3,300-file year has ~40,000 table cells, and the copy makes writing them ~10× faster.
    Keys are object ids; the cache keeps the objects alive so an id is never reused.
    """
    wb = cell.parent.parent
    cache = wb.__dict__.setdefault("_xltk_style_cache", {})
    key = (id(font), id(fill), id(border), id(alignment), fmt)
    hit = cache.get(key)
    if hit is not None:
        cell._style = StyleArray(hit[0])
        return cell
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if fmt:
        cell.number_format = fmt
    cache[key] = (StyleArray(cell._style), (font, fill, border, alignment))
    return cell


def put(
    ws: Worksheet,
    row: int,
    col: int,
    value: Any,
    fmt: str | None = None,
    *,
    border: Border | None = None,
    alignment: Alignment | None = None,
) -> Any:
    """Write a value; text is always stored as text, so an agency's '=…' note never runs."""
    cell = ws.cell(row=row, column=col)
    if value is None or value == "":
        cell.value = None
    elif isinstance(value, bool):
        cell.value = "Có" if value else "Không"
    elif isinstance(value, int | float):
        cell.value = value
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        fmt = "dd/mm/yyyy hh:mm"
    else:
        cell.value = str(value)
        cell.data_type = "s"  # never a formula, whatever the first character is
    if not isinstance(value, int | float | datetime) or isinstance(value, bool):
        fmt = None
    return style(cell, border=border, alignment=alignment, fmt=fmt)


def header_block(ws: Worksheet, plan: Plan, year: int, last_col: int, title: str, subtitle: str) -> None:
    """National header block (Nghị định 30/2020): issuing body left, motto right, then the title."""
    split = max(2, min(4, last_col // 3))
    right0 = split + 1 if last_col > split + 1 else split
    lines = (
        (1, f"UBND TỈNH {plan.province.upper()}", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", F_NORMAL, F_BOLD),
        (
            2,
            plan.agency_by_id[plan.consolidator].name.upper(),
            "Độc lập - Tự do - Hạnh phúc",
            F_BOLD,
            Font(name=FONT, size=13, bold=True, underline="single"),
        ),
    )
    for row, left, right, lf, rf in lines:
        put(ws, row, 1, left).font = lf
        put(ws, row, right0, right).font = rf
        ws.cell(row=row, column=1).alignment = CENTER
        ws.cell(row=row, column=right0).alignment = CENTER
        if split > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=split)
        if last_col > right0:
            ws.merge_cells(start_row=row, start_column=right0, end_row=row, end_column=last_col)
    date_cell = put(ws, 3, right0, f"{plan.province}, ngày ..... tháng ..... năm {year + 1}")
    date_cell.font = Font(name=FONT, size=13, italic=True)
    date_cell.alignment = CENTER
    if last_col > right0:
        ws.merge_cells(start_row=3, start_column=right0, end_row=3, end_column=last_col)
    for row, text, font in (
        (5, title, Font(name=FONT, size=14, bold=True)),
        (6, subtitle, Font(name=FONT, size=12, italic=True)),
    ):
        c = put(ws, row, 1, text)
        c.font, c.alignment = font, CENTER
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(last_col, 2))
    ws.row_dimensions[5].height = 36
    ws.row_dimensions[6].height = 30


def table(
    ws: Worksheet,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    header_row: int = TABLE_HEADER_ROW,
    first_col: int = 1,
) -> int:
    """Write a boxed table with a header row; returns the last row written."""
    for j, col in enumerate(cols, start=first_col):
        c = put(ws, header_row, j, col.header)
        c.font, c.fill, c.alignment, c.border = F_BOLD, HEAD_FILL, CENTER, BOX
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[header_row].height = 48
    r = header_row
    for r, values in enumerate(rows, start=header_row + 1):
        for j, (col, value) in enumerate(zip(cols, values, strict=True), start=first_col):
            put(ws, r, j, value, col.fmt, border=BOX, alignment=WRAP if col.wrap else CENTER)
    return r


def page_setup(ws: Worksheet, *, landscape: bool, freeze: str | None, print_cols: int, last_row: int) -> None:
    """A4, fit to one page wide, repeated table header, frozen panes for reading on screen."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}"
    ws.print_area = f"A1:{get_column_letter(print_cols)}{max(last_row, TABLE_HEADER_ROW)}"
    if freeze:
        ws.freeze_panes = freeze
    ws.sheet_view.zoomScale = 90


def status_cell(cell: Any, status: str) -> None:
    cell.fill = STATUS_FILLS.get(status, STATUS_FILLS["not_available"])


def agency_label(plan: Plan, agency_id: str | None) -> str:
    if agency_id is None:
        return "(không xác định)"
    a = plan.agency_by_id.get(agency_id)
    return plan.body_name(a) if a else agency_id


def short_label(plan: Plan, agency_id: str) -> str:
    a = plan.agency_by_id.get(agency_id)
    return a.label if a else agency_id


def filename(path: Any) -> str:
    return PurePath(str(path)).name if path else ""
