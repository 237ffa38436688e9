"""Document style shared by every workbook xltoolkit writes (templates and the provincial summary).

Vietnamese administrative documents are printed in Times New Roman on A4; keeping the font, borders,
header fill and page setup in one place keeps the templates and the summary looking like one set.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from typing import Any

from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

FONT = "Times New Roman"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
GREY = PatternFill("solid", fgColor="F2F2F2")

#: Left/right and top/bottom page margins, inches.
MARGIN_IN = 0.5
MARGIN_TB_IN = 0.6


def a4_page(ws: Worksheet, *, landscape: bool, title_rows: str | None = None) -> None:
    """A4, fit to one page wide (as many pages down as needed), centred, optional repeated rows."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_TB_IN
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.size = 11


#: The print scale of wide sheets: the smallest text of a template (11 pt) prints at 9 pt or more.
READABLE_SCALE = 82


def readable_page(
    ws: Worksheet, *, landscape: bool, title_rows: str | None = None, title_cols: str | None = None
) -> None:
    """A4 at a fixed scale, split across as many pages as it takes, never shrunk to fit one page
    width (a 13-column sheet fitted to A4 prints at 6 pt); repeated titles and «Trang x/y» keep the
    pages readable in any order."""
    a4_page(ws, landscape=landscape, title_rows=title_rows)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = None
    ws.page_setup.scale = READABLE_SCALE
    ws.print_options.horizontalCentered = False
    if title_cols:
        ws.print_title_cols = title_cols


class StyleCache:
    """Cell styling and merging through remembered style indices.

    openpyxl hashes and compares a whole style object (font, border with its sides and colours...) on
    every assignment, and merging copies borders and protection cell by cell the same way; a template
    assigns a few dozen distinct styles to thousands of cells. The cache records, per (cell style
    before, attribute, style object), the cell style after the first real assignment and replays it,
    so every cell ends with exactly the style indices openpyxl itself would give it. Indices belong to
    one workbook: use one cache per workbook.
    """

    def __init__(self) -> None:
        self._after: dict[tuple[tuple[int, ...], str, int], tuple[int, ...]] = {}
        #: The keyed objects stay referenced, so their id() is never reused by another object.
        self._keep: list[object] = []
        self._pieces: dict[tuple[int, str], Border] = {}
        self._protections: dict[int, object] = {}

    def set(self, cell: Any, attr: str, value: object) -> None:
        """`setattr(cell, attr, value)` for font, fill, border, alignment, protection, number_format."""
        self._apply(cell, attr, value, lambda: setattr(cell, attr, value))

    def _apply(self, cell: Any, attr: str, value: object, assign: Callable[[], None]) -> None:
        before = tuple(cell._style) if cell._style is not None else ()
        key = (before, attr, id(value))
        after = self._after.get(key)
        if after is None:
            assign()
            self._keep.append(value)
            self._after[key] = tuple(cell._style)
        else:
            cell._style = StyleArray(after)

    def merge(self, ws: Worksheet, rng: str) -> None:
        """`ws.merge_cells(rng)`, with openpyxl's copying of the top-left cell's borders to the edge
        cells and of its protection to every cell of the range (MergedCellRange.format)."""
        mcr = MergedCellRange(ws, rng)
        ws.merged_cells.add(mcr)
        coords = mcr.cells
        next(coords)  # the top-left cell stays a real cell
        for row, col in coords:
            ws._cells[row, col] = MergedCell(ws, row, col)
        start = mcr.start_cell
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue
            piece = self._piece(start, name, side)
            for coord in getattr(mcr, name):
                self._add_border(ws._cells[coord], piece)
        protection = self._protections.get(start._style.protectionId)
        if protection is None:
            protection = self._protections[start._style.protectionId] = copy(start.protection)
        for coord in mcr.cells:
            self.set(ws._cells[coord], "protection", protection)

    def _add_border(self, cell: Any, piece: Border) -> None:
        def add() -> None:
            cell.border += piece

        self._apply(cell, "border+", piece, add)

    def _piece(self, start: Any, name: str, side: Side | None) -> Border:
        key = (start._style.borderId, name)
        piece = self._pieces.get(key)
        if piece is None:
            piece = self._pieces[key] = Border(**{name: side})
        return piece
