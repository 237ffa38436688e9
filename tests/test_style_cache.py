"""StyleCache and the summary tables must leave every cell with exactly the style openpyxl's own
assignments, merges and `put` give."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zipfile import ZipFile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.writer.excel import ExcelWriter

from xltoolkit.summary import sheets
from xltoolkit.template import render
from xltoolkit.template.render import build_workbook
from xltoolkit.workbook.styles import BOX, StyleCache

THIN = Side(style="thin")
THICK = Side(style="thick", color="FF0000")
#: A few objects per attribute, some equal in value but distinct objects (the cache keys by identity).
VALUES: dict[str, list[Any]] = {
    "font": [Font(name="Times New Roman", size=12), Font(name="Times New Roman", size=12), Font(bold=True)],
    "fill": [PatternFill("solid", fgColor="F2F2F2"), PatternFill("solid", fgColor="FFF2CC")],
    "border": [BOX, Border(left=THIN), Border(top=THICK, bottom=THIN), Border()],
    "alignment": [Alignment(wrap_text=True), Alignment(horizontal="center")],
    "protection": [Protection(locked=False), Protection(locked=True), Protection(locked=False)],
    "number_format": ["0.00", "#,##0", "General"],
}
cells = st.tuples(st.integers(1, 6), st.integers(1, 6))
assignment = st.tuples(st.just("set"), cells, st.sampled_from(sorted(VALUES)), st.integers(0, 3))
merge = st.tuples(st.just("merge"), cells, st.integers(0, 2), st.integers(0, 3))
steps = st.lists(st.one_of(assignment, merge), max_size=40)


def _run(actions: list[tuple[Any, ...]], cached: bool) -> Workbook:
    wb = Workbook()
    ws = wb.active
    styles = StyleCache()
    merged: list[tuple[int, int, int, int]] = []
    for kind, (row, col), a, b in actions:
        if kind == "set":
            values = VALUES[a]
            value = values[b % len(values)]
            cell = ws.cell(row=row, column=col)
            if cached:
                styles.set(cell, a, value)
            else:
                setattr(cell, a, value)
        else:
            box = (row, col, row + a, col + b)
            if (a, b) == (0, 0) or any(_overlap(box, m) for m in merged):
                continue
            merged.append(box)
            rng = f"{get_column_letter(col)}{row}:{get_column_letter(col + b)}{row + a}"
            if cached:
                styles.merge(ws, rng)
            else:
                ws.merge_cells(rng)
    return wb


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def _styles(wb: Workbook) -> dict[tuple[int, int], tuple[str, ...]]:
    """Each cell's resolved style, as text: comparable across two workbooks whatever the indices."""
    out = {}
    for coord, cell in wb.active._cells.items():
        out[coord] = (
            type(cell).__name__,
            repr(cell.font),
            repr(cell.fill),
            repr(cell.border),
            repr(cell.alignment),
            repr(cell.protection),
            cell.number_format,
        )
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_cached_styling_equals_openpyxl(actions: list[tuple[Any, ...]]) -> None:
    plain, cached = _run(actions, cached=False), _run(actions, cached=True)
    assert _styles(cached) == _styles(plain)
    assert [str(r) for r in cached.active.merged_cells.ranges] == [
        str(r) for r in plain.active.merged_cells.ranges
    ]


class PlainStyles(StyleCache):
    """openpyxl's own path, for comparison."""

    def set(self, cell: Any, attr: str, value: object) -> None:
        setattr(cell, attr, value)

    def merge(self, ws: Any, rng: str) -> None:
        ws.merge_cells(rng)


def _sheets_xml(wb: Workbook) -> dict[str, bytes]:
    buf = io.BytesIO()
    with ZipFile(buf, "w") as archive:
        ExcelWriter(wb, archive).save()
    with ZipFile(buf) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("xl/")}


def test_template_is_the_same_with_and_without_the_cache(plan: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real district template (base figures, checks, many merges): same sheets, same styles."""
    agency = plan.agency("h-ben-luc")
    cached, _, _ = build_workbook(plan, agency, 2024)
    monkeypatch.setattr(render, "StyleCache", PlainStyles)
    plain, _, _ = build_workbook(plan, agency, 2024)
    assert _sheets_xml(cached) == _sheets_xml(plain)


# ------------------------------------------------------------------ summary tables (summary/sheets.py)

TABLE_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["=1+1", "#N/A", " lề trái", "Xã Hòa Bình", "dòng 1\ndòng 2", "x" * 40_000]),
    st.text(max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    st.builds(np.float64, st.floats(-1e6, 1e6)),
    st.builds(np.int64, st.integers(-1000, 1000)),
)
TABLE_FORMATS = st.sampled_from([None, "0.0", "#,##0", "0.00%"])


def _summary_table(
    rows: list[list[Any]], fmts: list[Any], formats: list[dict[str, str]], taken: bool
) -> dict[str, bytes] | str:
    """The written sheets, or the error (a text with characters a worksheet cannot hold)."""
    wb = Workbook()
    ws = wb.active
    if taken:  # a cell written before the table (the table writes over it)
        sheets.put(ws, sheets.FIRST_ROW, 2, "đã có")
    cols = [sheets.Col(f"c{j}", f"Cột {j}", 9 + j, fmt, wrap=bool(j % 2)) for j, fmt in enumerate(fmts)]
    try:
        last = sheets.table(ws, cols, rows, formats=formats)
    except IllegalCharacterError as e:
        return str(e)
    ws.cell(row=last, column=1).fill = VALUES["fill"][1]  # restyled afterwards: that cell only
    return _sheets_xml(wb)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmts=st.lists(TABLE_FORMATS, min_size=1, max_size=4), data=st.data(), taken=st.booleans())
def test_summary_table_cells_equal_put(fmts: list[Any], data: st.DataObject, taken: bool) -> None:
    """A summary table's cells (style arrays copied, values set directly) are written exactly as
    `put` writes each of them: same files, or the same error."""
    rows = data.draw(st.lists(st.lists(TABLE_VALUES, min_size=len(fmts), max_size=len(fmts)), max_size=12))
    keys = st.sampled_from([f"c{j}" for j in range(len(fmts))])
    formats = data.draw(st.lists(st.dictionaries(keys, TABLE_FORMATS.filter(bool)), max_size=len(rows)))
    fast = _summary_table(rows, fmts, formats, taken)

    def put_each(ws: Any, row: int, col: int, value: Any, fmt: Any, alignment: Any, styles: Any) -> None:
        sheets.put(ws, row, col, value, fmt, border=BOX, alignment=alignment)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sheets, "body_cell", put_each)
        plain = _summary_table(rows, fmts, formats, taken)
    assert fast == plain
