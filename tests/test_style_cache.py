"""StyleCache must leave every cell with exactly the style openpyxl's own assignments and merges give."""

from __future__ import annotations

import io
from typing import Any
from zipfile import ZipFile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

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
