"""The summary across a change of the reporting units: the break marked on every multi-year table and
chart, the unit matrix on its own sheet («Ma trận đơn vị»: one row per unit, filters, usable with
thousands of units) and the former districts rebuilt from their communes («Theo huyện cũ»).

Decisions where the plan is silent:

- The break is marked by number format on the year header (the cell keeps the year as a number, so
  programs reading the header still read 2025) and by a legend line under the table; its date and
  wording come from the edition that changed the reporting units (plan/history.py).
- «Theo huyện cũ» needs every year's counts, which the consolidation result does not carry: the
  sheet is filled from the accepted values passed as `history` (the ledger's `values(upto_year=…)`);
  without them it says so instead of guessing numerators from rates.
- A former district's commune-year figure is shown whenever at least one commune wholly inside it
  reported; the columns beside it say how many of them did and whether those communes rebuild the
  district exactly (otherwise the figure covers only part of its former area).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.plan.history import (
    BREAK_MARK,
    CONTINUATION_LABELS,
    ChangeBreak,
    FormerDistrictTable,
    break_in,
    former_district_table,
    local_terms,
    registry,
    unit_continuation,
)
from xltoolkit.plan.model import Plan
from xltoolkit.summary.sheets import (
    F_BOLD,
    LINE_PT,
    TABLE_HEADER_ROW,
    WRAP,
    Col,
    appendix_title,
    page_setup,
    print_pages,
    put,
    short_label,
    split_pages,
    table,
    text_lines,
)
from xltoolkit.workbook.styles import FONT

UNITS_SHEET = "Ma trận đơn vị"
FORMER_SHEET = "Theo huyện cũ"
NOTE_FONT = Font(name=FONT, size=12, italic=True)
NO_HISTORY_TEXT = (
    "Chưa có số liệu các năm để ghép theo huyện cũ: tệp tổng hợp này được ghi không kèm số liệu các năm "
    "trong sổ theo dõi."
)


# ------------------------------------------------------------------------------------ break marks


def break_format(fmt: str = "0") -> str:
    """The year header's number format with the break mark: the cell still holds the year."""
    return f'{fmt}" {BREAK_MARK}"'


def mark_break(ws: Worksheet, row: int, year_cols: dict[int, int], brk: ChangeBreak | None) -> None:
    """«2025 †» on the header of the first year after the break (a number format, value unchanged)."""
    if brk is not None and brk.year in year_cols:
        ws.cell(row=row, column=year_cols[brk.year]).number_format = break_format()


def break_note(ws: Worksheet, row: int, col: int, brk: ChangeBreak | None, *, wrap: bool = False) -> int:
    """The legend line of the break under a table; returns the last row written. `wrap`: within its
    column (a repeated column of a sheet printed several pages across, whose overflow is cut)."""
    if brk is None:
        return row - 1
    c = put(ws, row, col, brk.legend)
    c.font = NOTE_FONT
    if wrap:
        c.alignment = WRAP
        width = ws.column_dimensions[get_column_letter(col)].width or 9
        ws.row_dimensions[row].height = text_lines(brk.legend, width * 0.9) * LINE_PT + 2
    return row


def level_title(plan: Plan) -> str:
    """«CẤP XÃ» in a year the communes report, «CẤP HUYỆN» before (for the appendix titles)."""
    return local_terms(plan).level.upper()


# ------------------------------------------------------------------------------------ unit matrix


def _lineage(plan: Plan, agency: str) -> tuple[str, str, str]:
    """(former district, continuation label, reason) of a reporting unit; blank for a plan district."""
    c = unit_continuation(plan, agency)
    if c is None:
        return "", "", ""
    reg = registry(plan)
    district = ""
    if reg is not None:
        from xltoolkit.plan.units import former_districts, wholly_within

        inside = wholly_within(reg, c.unit)
        if inside is not None:
            district = reg.by_id[inside].name
        elif former_districts(reg, c.unit):
            district = "Nhiều huyện cũ"
    return district, CONTINUATION_LABELS[c.kind], c.reason


def units_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """One row per reporting unit of the year, one column per measure, with filters and frozen
    panes: the matrix stays usable with thousands of units (cells styled through the style cache, no
    colour per cell; the colours are on «Cấp huyện»)."""
    from xltoolkit.summary.measures import number_format

    cols = [
        Col("agency", "Mã đơn vị", 12),
        Col("name", "Đơn vị", 20, wrap=True),
        Col("former", "Huyện cũ", 16, wrap=True),
        Col("lineage", "Chuỗi số liệu", 14, wrap=True),
        Col("reason", "Ghi chú về chuỗi số liệu", 60, wrap=True),
    ]
    cols += [Col(m.code, m.code, 9, number_format(m)) for m in plan.measures]
    rows: list[list[Any]] = []
    for d in result.districts:
        by_code = {dm.code: dm for dm in d.measures}
        values = [by_code[m.code].value if m.code in by_code else None for m in plan.measures]
        rows.append([d.agency, short_label(plan, d.agency), *_lineage(plan, d.agency), *values])
    last = table(ws, cols, rows)
    if rows:
        ws.auto_filter.ref = f"A{TABLE_HEADER_ROW}:{get_column_letter(len(cols))}{last}"
    note = last + 2
    put(ws, note, 2, "Cột chỉ tiêu: giá trị năm của đơn vị (mã chỉ tiêu như Phụ lục I); ô trống: chưa có "
        "số liệu dùng được. Dùng nút lọc ở hàng tiêu đề để chọn đơn vị.").font = NOTE_FONT  # fmt: skip
    ws.column_dimensions["A"].hidden = True
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(cols), last_row=note)
    pages = split_pages(ws, len(cols), landscape=True, repeat_cols=2)
    appendix_title(
        ws, plan, result.year, [(2 if a == 1 else a, b) for a, b in pages], "Phụ lục III-a",
        f"KẾT QUẢ CÁC CHỈ TIÊU THEO TỪNG ĐƠN VỊ BÁO CÁO NĂM {result.year}",
        "(Mỗi dòng một đơn vị; chuỗi số liệu: đơn vị mới có so sánh được với huyện cũ hay không và lý do)",
    )  # fmt: skip
    print_pages(ws, len(cols), landscape=True, repeat_cols=2, pages=pages)


# -------------------------------------------------------------------------------- former districts


def former_sheet(
    ws: Worksheet, result: ConsolidationResult, plan: Plan, history: pd.DataFrame | None
) -> FormerDistrictTable | None:
    """Each former district and measure over the years: the district's own return, then the sum of
    the communes wholly inside it; under the table, the communes that could not be counted."""
    from xltoolkit.summary.measures import number_format

    tab = former_district_table(history, plan) if history is not None and len(history) else None
    years = [y for y in (tab.years if tab else []) if y <= result.year]
    cols = [Col("key", "Khóa", 10), Col("district", "Huyện cũ", 20, wrap=True), Col("code", "Mã", 6)]
    cols += [Col("name", "Chỉ tiêu", 34, wrap=True)]
    cols += [Col(f"y_{y}", y, 9) for y in years]
    cols += [Col("communes", "Xã, phường được cộng", 11), Col("whole", "Trọn địa bàn huyện", 10)]
    rows: list[list[Any]] = []
    formats: list[dict[str, str]] = []
    if tab is not None:
        for d in tab.districts:
            for m in plan.measures:
                cells = [tab.figures.get((d.unit, m.code, y)) for y in years]
                if not any(cells):
                    continue
                summed = max((len(f.summed) for f in cells if f is not None), default=0)
                counted = f"{summed}/{len(d.inside)}" if d.inside else ""
                whole = ("Có" if d.rebuildable else "Không") if d.inside or d.across else ""
                rows.append([f"{d.unit}|{m.code}", d.name, m.code, m.name,
                             *(f.value if f else None for f in cells), counted, whole])  # fmt: skip
                formats.append(dict.fromkeys((f"y_{y}" for y in years), number_format(m)))
    last = table(ws, cols, rows, formats=formats)
    brk = break_in(plan, years)
    mark_break(ws, TABLE_HEADER_ROW, {y: 5 + i for i, y in enumerate(years)}, brk)
    if rows:
        ws.auto_filter.ref = f"A{TABLE_HEADER_ROW}:{get_column_letter(len(cols))}{last}"
    end = _former_notes(ws, last + 2, tab, plan, brk)
    ws.column_dimensions["A"].hidden = True
    page_setup(ws, landscape=True, freeze="E9", print_cols=len(cols), last_row=end)
    pages = split_pages(ws, len(cols), landscape=True)
    appendix_title(
        ws, plan, result.year, [(2 if a == 1 else a, b) for a, b in pages], "Phụ lục III-b",
        "KẾT QUẢ CÁC CHỈ TIÊU THEO ĐỊA BÀN HUYỆN CŨ QUA CÁC NĂM",
        "(Đến năm huyện còn báo cáo: số liệu của huyện; sau đó: tổng tử số, mẫu số của các xã, phường "
        "nằm trọn trong huyện cũ, tỷ lệ tính lại từ tổng)",
    )  # fmt: skip
    print_pages(ws, len(cols), landscape=True, pages=pages)
    return tab


def _former_notes(
    ws: Worksheet, row: int, tab: FormerDistrictTable | None, plan: Plan, brk: ChangeBreak | None
) -> int:
    if tab is None:
        put(ws, row, 2, NO_HISTORY_TEXT).font = NOTE_FONT
        return row
    row = break_note(ws, row, 2, brk) + 1
    put(ws, row, 2, "Xã, phường không cộng vào huyện cũ nào (có phần đất của nhiều huyện):").font = F_BOLD
    names = {a.id: a.label for a in plan.districts}
    listed = False
    for d in tab.districts:
        if not d.across:
            continue
        row += 1
        communes = ", ".join(names.get(c, c) for c in d.across)
        put(ws, row, 2, f"{d.name}: {communes}").font = NOTE_FONT
        listed = True
    if not listed:
        row += 1
        put(ws, row, 2, "Không có.").font = NOTE_FONT
    row += 1
    put(ws, row, 2, "«Trọn địa bàn huyện» Có: các xã, phường nằm trọn trong huyện cũ ghép lại đúng toàn "
        "bộ địa bàn huyện, so sánh được với số liệu của huyện;").font = NOTE_FONT  # fmt: skip
    row += 1
    put(ws, row, 2, "Không: các xã, phường đó chỉ là một phần địa bàn huyện cũ. «Xã, phường được cộng»: "
        "số có số liệu / số nằm trọn trong huyện cũ.").font = NOTE_FONT  # fmt: skip
    return row
