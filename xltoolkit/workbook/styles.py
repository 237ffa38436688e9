"""Document style shared by every workbook xltoolkit writes (templates and the provincial summary).

Vietnamese administrative documents are printed in Times New Roman on A4; keeping the font, borders,
header fill and page setup in one place keeps the templates and the summary looking like one set.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, PatternFill, Side
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
