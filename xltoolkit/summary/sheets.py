"""Building blocks every sheet of the provincial summary workbook shares: fonts and fills, the
national header block, boxed tables whose text can never turn into a formula, and print setup.

The sheets themselves live in `summary_overview.py`, `summary_measures.py` and `summary_lists.py`;
`summary.py` assembles them. Every table starts at the same header row (`TABLE_HEADER_ROW`) with its
key in column A, so tests and the add-in read them back without guessing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.workbook.styles import (
    BOX,
    CENTER,
    FONT,
    GREY,
    HEAD_FILL,
    MARGIN_IN,
    MARGIN_TB_IN,
    StyleCache,
    a4_page,
)

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


TOTAL_FILL = GREY
WRAP = Alignment(wrap_text=True, vertical="top")
TOP_CENTER = Alignment(horizontal="center", vertical="top", wrap_text=True)
F_NORMAL = Font(name=FONT, size=12)
F_BOLD = Font(name=FONT, size=12, bold=True)

NUM = "#,##0.0##"
INT = "#,##0"
PCT = "0.00%"
MONEY = "#,##0.00"

#: Printed characters of 12 pt Times New Roman per unit of column width (with some room for word
#: wrapping), the same for bold upper-case text, and the height of one printed line in points.
CHARS_PER_WIDTH = 1.0
UPPER_BOLD_WIDTH = 0.75
LINE_PT = 15.5
#: Pixels (1/96 inch) per unit of column width when printed: Excel uses the digit width of the
#: default font (7 px), LibreOffice ~9 px; the larger (and a little more), so a fixed-scale page fits in both.
PX_PER_WIDTH = 9.5
#: Height of a default row and of the header block (rows 1-7), points.
ROW_PT = 15
HEADER_PT = 5 * ROW_PT + 36 + 30


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


def restyle(cell: Any, attr: str, value: object) -> None:
    """`setattr(cell, attr, value)` for a style attribute (font, fill...) of a cell already styled,
    replayed from the workbook's `StyleCache`: colouring one column of a list of thousands of rows
    would otherwise hash the style object once a cell."""
    wb = cell.parent.parent
    cache = wb.__dict__.setdefault("_xltk_restyle_cache", StyleCache())
    cache.set(cell, attr, value)


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


def body_cell(
    ws: Worksheet,
    row: int,
    col: int,
    value: Any,
    fmt: str | None,
    alignment: Alignment,
    styles: dict[tuple[int, str | None], StyleArray],
) -> None:
    """`put` of a boxed table cell, for tables of thousands of rows (a national summary has a quarter
    of a million cells): the first cell of each column and format goes through `put`, the next ones
    copy its style array and skip openpyxl's type dispatch and constructor, with the same result."""
    kind = type(value)
    number = kind is int or kind is float
    if not (number or kind is str or value is None) or (row, col) in ws._cells:
        put(ws, row, col, value, fmt, border=BOX, alignment=alignment)
        return
    key = (col, fmt if number else None)
    known = styles.get(key)
    if known is None:
        put(ws, row, col, value, fmt, border=BOX, alignment=alignment)
        styles[key] = StyleArray(ws._cells[row, col]._style)
        return
    _new_cell(ws, row, col, value if number or value else None, known)


def _new_cell(ws: Worksheet, row: int, col: int, value: float | str | None, style: StyleArray) -> None:
    """What `ws.cell(row, col)` and `put` give a number, a text (never a formula, whatever its first
    character) or nothing, filled slot by slot (openpyxl 3.1's Cell; a test compares whole tables
    written both ways)."""
    cell = Cell.__new__(Cell)
    cell.parent, cell.row, cell.column = ws, row, col
    cell._hyperlink = cell._comment = None
    cell._style = StyleArray(style)
    if isinstance(value, str):
        cell._value, cell.data_type = cell.check_string(value), "s"
    else:
        cell._value, cell.data_type = value, "n"
    ws._add_cell(cell)


def header_block(
    ws: Worksheet,
    plan: Plan,
    year: int,
    last_col: int,
    title: str,
    subtitle: str,
    *,
    left_cols: int | None = None,
) -> None:
    """National header block (Nghị định 30/2020): issuing body left, motto right, then the title.

    Everything stays within columns 1..`last_col`, so a sheet printed several pages wide passes the
    columns of its first page; `left_cols` (default: about a third) is the width of the left block.
    """
    split = left_cols or max(2, min(4, last_col // 3))
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
        ws.cell(row=row, column=1).alignment = TOP_CENTER
        ws.cell(row=row, column=right0).alignment = TOP_CENTER
        if split > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=split)
        if last_col > right0:
            ws.merge_cells(start_row=row, start_column=right0, end_row=row, end_column=last_col)
    # Agencies report by 15/12 of the year; the province consolidates before the year ends.
    date_cell = put(ws, 3, right0, f"{plan.province}, ngày ..... tháng ..... năm {year}")
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


def appendix_title(
    ws: Worksheet,
    plan: Plan,
    year: int,
    pages: Sequence[tuple[int, int]],
    label: str,
    title: str,
    subtitle: str,
) -> None:
    """The title of an appendix sheet: «Phụ lục …»/«Biểu …», what it is attached to, the reporting
    period, then the title; within the first printed page's columns, with a «(tiếp theo)» title on
    each further page across (the national header block is on the first sheet only)."""
    first, last = pages[0]
    start, end = reporting_period(year)
    consolidator = plan.agency_by_id[plan.consolidator].name
    lines = (
        (1, label, Font(name=FONT, size=13, bold=True)),
        (
            2,
            f"(Kèm theo Báo cáo tổng hợp năm {year} của {consolidator})",
            Font(name=FONT, size=12, italic=True),
        ),
        (
            3,
            f"Kỳ báo cáo: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}",
            Font(name=FONT, size=12, italic=True),
        ),
        (5, title, Font(name=FONT, size=13, bold=True)),
        (6, subtitle, Font(name=FONT, size=12, italic=True)),
    )
    for row, text, font in lines:
        c = put(ws, row, first, text)
        c.font, c.alignment = font, CENTER
        if last > first:
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    ws["A1"].font = F_NORMAL  # the document font, also where column A is hidden
    for a, b in pages[1:]:
        c = put(ws, 5, a, f"{label} (tiếp theo)")
        c.font, c.alignment = Font(name=FONT, size=13, bold=True), CENTER
        if b > a:
            ws.merge_cells(start_row=5, start_column=a, end_row=5, end_column=b)
    ws.row_dimensions[5].height = max(36.0, text_lines(title, _width(ws, first, last) * 0.85) * 18.0)
    ws.row_dimensions[6].height = max(30.0, text_lines(subtitle, _width(ws, first, last)) * LINE_PT + 4)
    ws.row_dimensions[2].height = max(ROW_PT, text_lines(lines[1][1], _width(ws, first, last)) * LINE_PT + 2)


def reporting_period(year: int) -> tuple[date, date]:
    """Nghị định 09/2019/NĐ-CP, Điều 12: a yearly report's figures run 15/12 of the previous year
    to 14/12 of the year."""
    return date(year - 1, 12, 15), date(year, 12, 14)


def _width(ws: Worksheet, first: int, last: int) -> float:
    return sum(
        ws.column_dimensions[get_column_letter(j)].width or 9
        for j in range(first, last + 1)
        if not ws.column_dimensions[get_column_letter(j)].hidden
    )


def fit_header_rows(ws: Worksheet, left_cols: int) -> None:
    """Give the issuing body (row 2) room for a second line when its name is wider than the left block
    (call once the column widths are set)."""
    width = sum(ws.column_dimensions[get_column_letter(j)].width or 9 for j in range(1, left_cols + 1))
    name = str(ws.cell(row=2, column=1).value or "")
    lines = text_lines(name, width * UPPER_BOLD_WIDTH)
    if lines > 1:
        ws.row_dimensions[2].height = lines * LINE_PT + 1


def text_lines(text: str, width: float) -> int:
    """Printed lines a 12 pt wrapped text needs in a column `width` characters wide (an estimate that
    errs on the generous side: Excel and LibreOffice do not grow the rows of a written file)."""
    per_line = max(int(width * CHARS_PER_WIDTH), 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def table(
    ws: Worksheet,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    header_row: int = TABLE_HEADER_ROW,
    first_col: int = 1,
    header: bool = True,
    formats: Sequence[Mapping[str, str]] | None = None,
) -> int:
    """Write a boxed table with a header row; returns the last row written.

    `formats[i]`: number formats of row i by column key, over the column's own (a measure's decimals,
    set through the style cache: much quicker than setting `number_format` cell by cell afterwards).

    A row whose text wraps is made tall enough for it (`text_lines`), so nothing prints cut or on top
    of the next row.
    """
    for j, col in enumerate(cols, start=first_col):
        if header:
            c = put(ws, header_row, j, col.header)
            c.font, c.fill, c.alignment, c.border = F_BOLD, HEAD_FILL, CENTER, BOX
        ws.column_dimensions[get_column_letter(j)].width = col.width
    if header:
        ws.row_dimensions[header_row].height = 48
    r, lines = header_row, 1
    styles: dict[tuple[int, str | None], StyleArray] = {}
    for i, (r, values) in enumerate(enumerate(rows, start=header_row + 1)):
        own = formats[i] if formats is not None and i < len(formats) else {}
        for j, (col, value) in enumerate(zip(cols, values, strict=True), start=first_col):
            body_cell(ws, r, j, value, own.get(col.key, col.fmt), WRAP if col.wrap else CENTER, styles)
            if isinstance(value, str) and (len(value) > col.width * CHARS_PER_WIDTH or "\n" in value):
                lines = max(lines, text_lines(value, col.width))
        if lines > 1:
            ws.row_dimensions[r].height = lines * LINE_PT + 2
            lines = 1
    return r


def page_setup(
    ws: Worksheet,
    *,
    landscape: bool,
    freeze: str | None,
    print_cols: int,
    last_row: int,
    repeat_header: bool = True,
    repeat_rows: str | None = None,
) -> None:
    """A4, repeated table header, «Trang x/y» in the footer, frozen panes for reading on screen.
    The scale is set by `print_pages` (fit-to-width would shrink wide tables below 9 pt)."""
    title_rows = repeat_rows or (f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}" if repeat_header else None)
    a4_page(ws, landscape=landscape, title_rows=title_rows)
    page_footer(ws)
    ws.print_area = f"A1:{get_column_letter(print_cols)}{max(last_row, TABLE_HEADER_ROW)}"
    if freeze:
        ws.freeze_panes = freeze
    ws.sheet_view.zoomScale = 90


def page_footer(ws: Worksheet) -> None:
    """«Trang x/y» centred in the footer of every page (&P page, &N pages of the sheet)."""
    for footer in (ws.oddFooter, ws.firstFooter):
        footer.center.text = "Trang &P/&N"
        footer.center.size = 12
        footer.center.font = f"{FONT},Regular"


#: The smallest print scale, percent: 12 pt text prints at 9.6 pt (never below 9 pt).
MIN_SCALE = 80


def split_pages(
    ws: Worksheet,
    last_col: int,
    *,
    landscape: bool,
    repeat_cols: int = 0,
    scale: int = MIN_SCALE,
    first: int = 1,
) -> list[tuple[int, int]]:
    """Columns 1..`last_col` grouped into pages across that each fit at `scale` percent (with the
    repeated columns on every page after the first); a column wider than a page gets a page alone."""
    printable_cm = (29.7 if landscape else 21.0) - 2 * MARGIN_IN * 2.54
    room = printable_cm / (scale / 100) * 0.97
    repeat = _width_cm(ws, 1, repeat_cols) if repeat_cols else 0.0
    pages: list[tuple[int, int]] = []
    start, used = first, (repeat if first > 1 else 0.0)
    for j in range(first, last_col + 1):
        w = _width_cm(ws, j, j)
        if j > start and used + w > room:
            pages.append((start, j - 1))
            start, used = j, repeat
        used += w
    pages.append((start, last_col))
    return pages


def print_pages(
    ws: Worksheet,
    last_col: int,
    *,
    landscape: bool,
    repeat_cols: int = 0,
    pages: Sequence[tuple[int, int]] | None = None,
    tallest_pt: float | None = None,
) -> int:
    """Split a sheet into readable pages across and print it at one fixed scale; returns the scale."""
    pages = list(pages or split_pages(ws, last_col, landscape=landscape, repeat_cols=repeat_cols))
    scale = fixed_scale(ws, pages, landscape=landscape, repeat_cols=repeat_cols, tallest_pt=tallest_pt)
    if repeat_cols and len(pages) > 1:
        ws.print_title_cols = f"A:{get_column_letter(repeat_cols)}"
    return scale


def _width_cm(ws: Worksheet, first: int, last: int) -> float:
    px = 0.0
    for j in range(first, last + 1):
        dim = ws.column_dimensions[get_column_letter(j)]
        if not dim.hidden:
            px += (dim.width or 9) * PX_PER_WIDTH + 5
    return px * 2.54 / 96


def fixed_scale(
    ws: Worksheet,
    pages: Sequence[tuple[int, int]],
    *,
    landscape: bool,
    repeat_cols: int = 0,
    tallest_pt: float | None = None,
) -> int:
    """Print at one fixed scale with a page break before each page's first column (`pages`: first
    and last column of each page across), instead of fit-to-width, which would ignore the breaks.
    The scale is the largest at which the widest page (with its repeated columns) fits, and, when
    given, the tallest page (`tallest_pt` points of rows). Returns it."""
    printable_cm = (29.7 if landscape else 21.0) - 2 * MARGIN_IN * 2.54

    width_cm = functools.partial(_width_cm, ws)
    widest = max(
        width_cm(a, b) + (width_cm(1, repeat_cols) if a > 1 and repeat_cols else 0) for a, b in pages
    )
    fit = printable_cm / widest
    if tallest_pt:
        printable_height_cm = (21.0 if landscape else 29.7) - 2 * MARGIN_TB_IN * 2.54
        fit = min(fit, printable_height_cm / (tallest_pt / 72 * 2.54))
    scale = max(10, min(100, int(fit * 100 * 0.97)))
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = scale
    for first, _ in pages[1:]:
        ws.col_breaks.append(Break(id=first - 1))
    return scale


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
