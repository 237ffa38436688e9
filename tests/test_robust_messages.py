"""Release testing: what an officer's hostile edits of a returned file show in the messages.

Found by trying returned workbooks nobody had seen (see the `robust` branch report): a number far out
of range printed as another number, a whole pasted text quoted as the message, a merged input that
crashed the feedback copies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltoolkit.issues import MAX_QUOTED, issue
from xltoolkit.plan.model import Plan
from xltoolkit.validation.feedback import annotate_report
from xltoolkit.validation.validate import validate_paths
from xltoolkit.vn_numbers import format_vi_grouped
from xltoolkit.workbook.layout import DATA_SHEET

from .corpus import clean_return, fill_workbook

YEAR = 2024
AGENCY = "h-ben-luc"


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    return clean_return(tmp_path_factory.mktemp("robust-msg"), plan, YEAR, AGENCY)


def _one(plan: Plan, path: Path, year: int = YEAR) -> list:
    (f,) = validate_paths([path], plan, year=year).files
    return f.issues


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1e20, "100.000.000.000.000.000.000"),
        (1e15, "1.000.000.000.000.000"),
        (2.5e15, "2.500.000.000.000.000"),
        (1234.5, "1.234,5"),
        (100.0, "100"),
    ],
)
def test_grouped_numbers_keep_their_integer_zeros(value: float, shown: str) -> None:
    assert format_vi_grouped(value, 0 if value > 1e14 else 2) == shown


def test_out_of_range_count_is_shown_as_typed(tmp_path: Path, plan: Plan, clean_file: Path) -> None:
    p = fill_workbook(clean_file, tmp_path / "huge.xlsx", {"TU_1": 10**20})
    (found,) = [i for i in _one(plan, p) if i.code == "value-out-of-range"]
    assert "100.000.000.000.000.000.000" in found.message
    assert found.cell


def test_a_pasted_essay_is_quoted_short(tmp_path: Path, plan: Plan, clean_file: Path) -> None:
    p = fill_workbook(clean_file, tmp_path / "essay.xlsx", {"TU_1": "x" * 40_000})
    (found,) = [i for i in _one(plan, p) if i.code == "not-a-number"]
    assert found.cell and len(found.message) < MAX_QUOTED + 400
    assert "ký tự)" in found.message  # how long the text was (the reader keeps Excel's 32,767)


def test_quoted_text_is_clipped_for_every_code() -> None:
    long = "Tổng số trẻ em " * 1000
    got = issue("locked-cell-changed", DATA_SHEET, "B12", expected="x", found=long)
    assert len(got.message) < MAX_QUOTED + 400
    short = issue("locked-cell-changed", DATA_SHEET, "B12", expected="x", found="Tổng số trẻ em")
    assert "«Tổng số trẻ em»" in short.message


def test_annotate_survives_an_input_merged_by_the_officer(
    tmp_path: Path, plan: Plan, clean_file: Path
) -> None:
    wb = openpyxl.load_workbook(clean_file)
    ws = wb[DATA_SHEET]
    ws.protection.sheet = False
    ws.delete_cols(2)  # the labels move left: issues land on cells that are now inside merges
    wb.save(tmp_path / "del-col.xlsx")
    report = validate_paths([tmp_path / "del-col.xlsx"], plan, year=YEAR)
    written = annotate_report(report, tmp_path / "phan-hoi")
    assert len(written) == 1
    copy = openpyxl.load_workbook(written[0])[DATA_SHEET]
    merged = [
        i for i in report.files[0].issues if i.sheet == DATA_SHEET and i.cell and _in_merge(copy, i.cell)
    ]
    assert merged  # the edit did put issues on merged cells
    comments = "\n".join(c.comment.text for row in copy.iter_rows() for c in row if c.comment)
    for found in report.files[0].issues:
        if found.sheet == DATA_SHEET and found.cell:
            assert found.message in comments, found.code  # every issue still shows, merged or not


def _in_merge(ws: Any, ref: str) -> bool:
    return any(ref in rng and ref != rng.coord.split(":")[0] for rng in ws.merged_cells.ranges)
