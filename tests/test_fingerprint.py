"""The per-file fingerprint path (rows cached by their values) gives exactly the lines of the full
walk, on real files and on any grid: a cached row must never hide an edit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation import fingerprint as fp
from xltoolkit.validation.integrity import expected, read_meta
from xltoolkit.validation.read import SheetData, WorkbookData, read_file
from xltoolkit.validation.validate import validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, META_SHEET, REPORT_SHEET

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook

AGENCY = "h-ben-luc"


def _both(wbd: WorkbookData, meta: dict[str, str], plan: Plan) -> tuple[list[str], list[str]]:
    lay, extra = expected(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    slow = fp.file_lines(wbd, meta, fp.found_cells(wbd, lay, extra.inputs, extra.addin_cols))
    fast = fp.fingerprint_file_lines(wbd, meta, lay, extra.inputs, extra.addin_cols)
    return slow, fast


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> Path:
    tpl = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    out = tmp_path_factory.mktemp("fp") / "f.xlsx"
    return fill_workbook(tpl, out, clean_values(plan, AGENCY, TEMPLATE_YEAR))


def test_a_clean_file_matches_through_the_row_cache_twice(filled: Path, plan: Plan) -> None:
    _, wbd = read_file(filled)
    meta = read_meta(wbd.sheets[META_SHEET])
    for _ in range(2):  # the second time every row comes from the cache
        slow, fast = _both(wbd, meta, plan)
        assert fast == slow
    assert validate_workbook(filled, plan).files[0].integrity_ok


@pytest.mark.parametrize("edit", [True, 1, -0.0, "1", dt.date(2024, 1, 1), " sửa ", 7.5])
def test_an_edit_after_the_row_was_cached_is_seen(filled: Path, plan: Plan, edit: object) -> None:
    """The clean file fills the cache first; the same row with one locked value changed (to a value
    equal to the old one as a Python key where possible) must still give the full walk's lines."""
    _, wbd = read_file(filled)
    meta = read_meta(wbd.sheets[META_SHEET])
    _both(wbd, meta, plan)
    data = wbd.sheets[DATA_SHEET]
    _lay, extra = expected(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    inputs = {r for s, r in extra.inputs if s == DATA_SHEET}
    for i, line in enumerate(data.grid):
        for j, v in enumerate(line):
            ref = fp.make_ref(data.origin[0] + i, data.origin[1] + j)
            if isinstance(v, float) and ref not in inputs and ref not in (data.formulas or {}):
                data.grid[i] = [*line[:j], edit, *line[j + 1 :]]
                slow, fast = _both(wbd, meta, plan)
                assert fast == slow
                return
    pytest.fail("no locked number on the data sheet")


_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "a", " a", "A", "Sai", 0.0, -0.0, 1, 1.0, True, False, 2.5, dt.date(2025, 7, 1)]),
)


@settings(max_examples=150, deadline=None)
@given(
    grids=st.lists(st.lists(st.lists(_VALUES, max_size=6), max_size=6), min_size=2, max_size=2),
    origin=st.tuples(st.integers(1, 12), st.integers(1, 3)),
    formulas=st.dictionaries(
        st.sampled_from(["A1", "B2", "C11", "N12", "H011", "D3"]), st.just("=A1"), max_size=3
    ),
    names=st.dictionaries(
        st.sampled_from(["TU_1", "MAU_2", "KP_NSNN", "Khac"]),
        st.tuples(
            st.sampled_from([DATA_SHEET, REPORT_SHEET, ""]), st.sampled_from(["A1", "B2", "C11", "#REF!"])
        ),
        max_size=3,
    ),
)
def test_any_grid_gives_the_walks_lines_cached_or_not(
    plan: Plan,
    grids: list[list[list[object]]],
    origin: tuple[int, int],
    formulas: dict[str, str],
    names: dict[str, tuple[str, str]],
) -> None:
    """Two files in a row (the second meets the first's cached rows), on any values, formulas,
    names and origin: the cached path and the walk agree on each."""
    for grid in grids:
        sheets = {
            DATA_SHEET: SheetData(
                DATA_SHEET, grid=grid, origin=origin, formulas=dict(formulas), merges=["A1:B1"]
            ),
            GUIDE_SHEET: SheetData(GUIDE_SHEET, grid=[row[:2] for row in grid], formulas={}),
        }
        wbd = WorkbookData(sheets, dict(names))
        slow, fast = _both(wbd, {"plan_id": "p", "year": "2024"}, plan)
        assert fast == slow
