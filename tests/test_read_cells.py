"""The values shortcut (validation/cells.py) reads what calamine reads, or steps aside for calamine."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation import read as R
from xltoolkit.validation.cells import Unusual, fast_values, plain_styles, shared_strings

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook


def _both(data: bytes) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Per sheet (grid, origin) from the shortcut (None when it steps aside) and from calamine."""
    z = zipfile.ZipFile(io.BytesIO(data))
    pkg = R.read_package(z)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ref = {}
    for name in pkg.sheets:
        sh = wb.get_sheet_by_name(name)
        start = sh.start or (0, 0)
        ref[name] = (sh.to_python(skip_empty_area=True), (start[0] + 1, start[1] + 1))
    part = {n: z.read(n) for n in ("xl/sharedStrings.xml", "xl/styles.xml") if n in z.NameToInfo}
    try:
        strings = shared_strings(part.get("xl/sharedStrings.xml", b""))
        plain = plain_styles(part.get("xl/styles.xml", b""))
        fast = {n: fast_values(z.read(p), strings, plain) for n, (p, _) in pkg.sheets.items()}
    except Unusual:
        return None, ref
    return fast, ref


def _same(fast: dict[str, Any], ref: dict[str, Any]) -> None:
    for name, (grid, origin) in ref.items():
        got_grid, got_origin = fast[name]
        if not any(v != "" for row in grid for v in row):
            assert not any(v != "" for row in got_grid for v in row), name
            continue
        assert repr(got_grid) == repr(grid), name  # repr: 1.0 and 1 or True and 1 differ
        assert got_origin == origin, name


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> Path:
    root = tmp_path_factory.mktemp("cells")
    tpl = templates_dir / template_filename(plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    return fill_workbook(tpl, root / "h-ben-luc.xlsx", clean_values(plan, "h-ben-luc", TEMPLATE_YEAR))


def test_a_filled_template_is_read_by_the_shortcut_exactly_as_calamine(filled: Path) -> None:
    fast, ref = _both(filled.read_bytes())
    assert fast is not None  # the usual file takes the shortcut
    _same(fast, ref)


def test_read_file_gives_the_same_workbook_data_either_way(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fast = R.read_file(filled)
    monkeypatch.setattr(R, "_values_fast", lambda sheets, xmls: False)
    _, slow = R.read_file(filled)
    for name, sheet in slow.sheets.items():
        assert repr(fast.sheets[name].grid) == repr(sheet.grid) and fast.sheets[name].origin == sheet.origin


def _book(rows: list[list[Any]], number_format: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row, start=2):
            cell = ws.cell(row=r, column=c, value=v)
            if number_format:
                cell.number_format = number_format
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("value", "fmt"),
    [(date(2025, 3, 1), None), (datetime(2025, 3, 1, 8, 30), None), (45000, "dd/mm/yyyy"), ("#DIV/0!", None)],
)
def test_dates_and_errors_step_aside_or_agree(value: Any, fmt: str | None) -> None:
    fast, ref = _both(_book([[1, value]], fmt))
    if fast is not None:
        _same(fast, ref)


cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["Không có số liệu", "Số ước tính", " a & b < c ", "=SUM(A1:A2)", "1_000", "nan"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_values, min_size=1, max_size=5), min_size=1, max_size=6))
def test_hostile_cells_are_read_as_calamine_reads_them_or_left_to_calamine(rows: list[list[Any]]) -> None:
    fast, ref = _both(_book(rows))
    if fast is not None:
        _same(fast, ref)


def test_an_unknown_cell_shape_sends_the_file_to_calamine() -> None:
    xml = b'<worksheet><sheetData><row r="1"><c t="n" r="A1"><v>5</v></c></row></sheetData></worksheet>'
    with pytest.raises(Unusual):
        fast_values(xml, (), frozenset({0}))
    xml = b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#N/A</v></c></row></sheetData></worksheet>'
    with pytest.raises(Unusual):
        fast_values(xml, (), frozenset({0}))
    xml = b'<worksheet><sheetData><row r="1"><c r="A1" s="3"><v>45000</v></c></row></sheetData></worksheet>'
    with pytest.raises(Unusual):  # style 3 is not known to be a plain number format
        fast_values(xml, (), frozenset({0}))
