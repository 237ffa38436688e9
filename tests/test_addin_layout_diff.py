"""The add-in's «Kiểm tra» diffs a payload against the template layout like `validate` diffs a file.

A payload carries values and defined names, not formulas, merges or protection: the codes only a
file can show (formula-changed, merge-changed, sheet-unprotected, the fingerprint's) are left out,
every other structure issue is the same code at the same cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xltoolkit.issues import Issue
from xltoolkit.plan.model import Plan
from xltoolkit.validation.read import split_ref
from xltoolkit.validation.validate import validate_paths, validate_values
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, build_layout

from .addin_support import FILE_ONLY, build_payload
from .corpus import _insert_row

YEAR = 2024
AGENCY = "h-ben-luc"


@pytest.fixture(scope="module")
def clean_file(district_return: Path) -> Path:
    return district_return


def _payload(path: Path) -> tuple[dict[str, list[list[Any]]], list[dict[str, str]]]:
    """Sheets and names as the add-in hands them to `validate_values`."""
    body = build_payload(path)
    sheets = {s["name"]: s["values"] for s in body["sheets"]}
    order = [s["name"] for s in body["sheets"]]
    names = [
        {"name": n["name"], "sheet": order[n["sheet_index"]], "address": n["address"]}
        for n in body["names"]
        if n["sheet_index"] is not None
    ]
    return sheets, names


def _found(issues: list[Issue]) -> set[tuple[str, str | None, str | None]]:
    return {(i.code, i.sheet, i.cell) for i in issues}


def _edit(plan: Plan, edit: str, wb: Any) -> None:
    row = build_layout(plan.for_year(YEAR), plan.agency(AGENCY), YEAR).measure_rows["3b"]
    if edit == "insert-row":
        _insert_row(wb, row)
    elif edit == "redirect":
        wb.defined_names["TU_1"] = DefinedName("TU_1", attr_text=f"'{DATA_SHEET}'!$A$1")
    elif edit == "delete-name":
        del wb.defined_names["TU_1"]
    elif edit == "guide-text":
        wb[GUIDE_SHEET]["A1"] = "Biểu mẫu đã sửa"


@pytest.mark.parametrize("edit", ["insert-row", "redirect", "delete-name", "guide-text"])
def test_a_payload_shows_the_structure_issues_of_the_file(
    tmp_path: Path, plan: Plan, clean_file: Path, edit: str
) -> None:
    wb = openpyxl.load_workbook(clean_file)
    _edit(plan, edit, wb)
    wb.save(tmp_path / "edited.xlsx")
    (cli,) = validate_paths([tmp_path / "edited.xlsx"], plan, year=YEAR).files
    (addin,) = validate_values(*_payload(tmp_path / "edited.xlsx"), plan).files
    want = {f for f in _found(cli.issues) if f[0] not in FILE_ONLY}
    assert want and _found(addin.issues) == want
    assert not addin.valid and not addin.integrity_ok


def test_formula_results_in_a_payload_are_not_changes(plan: Plan, clean_file: Path) -> None:
    """Excel sends a formula cell's result: whatever it is, it is not an edit of the template."""
    sheets, names = _payload(clean_file)
    lay = build_layout(plan.for_year(YEAR), plan.agency(AGENCY), YEAR)
    formulas = [(c.sheet, c.ref) for c in lay.cells if c.formula]
    assert formulas
    for sheet, ref in formulas:
        row, col = split_ref(ref)
        grid = sheets[sheet]
        grid += [[] for _ in range(row - len(grid))]
        grid[row - 1] += [""] * (col - len(grid[row - 1]))
        grid[row - 1][col - 1] = 12345.5
    (addin,) = validate_values(sheets, names, plan).files
    assert not {i.code for i in addin.issues} & {"locked-cell-changed", "too-many-changes"}
    assert addin.integrity_ok


def test_a_missing_feedback_sheet_is_a_warning_in_the_addin_too(plan: Plan, clean_file: Path) -> None:
    from xltoolkit.workbook.layout import RESULT_SHEET

    sheets, names = _payload(clean_file)
    del sheets[RESULT_SHEET]
    (addin,) = validate_values(sheets, names, plan).files
    assert [(i.code, i.severity) for i in addin.issues] == [("feedback-sheet-missing", "warning")]
    assert addin.valid and addin.integrity_ok
