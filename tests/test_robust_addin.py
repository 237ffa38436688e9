"""Release testing of the add-in: «Kiểm tra» must not clear a workbook the province will refuse.

The README promises the same rules and codes as `xltoolkit validate`. Formulas, merges and protection
are not in an Office.js payload, but inserted rows (measure codes on other rows), edited labels and
redirected or deleted names are: the values and names are sent. Today the add-in skips every
structure check for a payload, answers «KHÔNG CÓ LỖI ... có thể gửi tệp», and the same file is then
refused by `validate`/`consolidate` as unusable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from openpyxl.workbook.defined_name import DefinedName

from xltoolkit.plan.model import Plan
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import DATA_SHEET, build_layout

from .addin_support import (
    kiem_tra_codes,
)
from .corpus import _insert_row

YEAR = 2024
AGENCY = "h-ben-luc"


@pytest.fixture(scope="module")
def clean_file(district_return: Path) -> Path:
    return district_return


@pytest.fixture(scope="module")
def client(addin_client: TestClient) -> TestClient:
    return addin_client


def _insert_a_row(plan: Plan) -> Callable[[Any], None]:
    row = build_layout(plan.for_year(YEAR), plan.agency(AGENCY), YEAR).measure_rows["3b"]
    return lambda wb: _insert_row(wb, row)


def _redirect(wb: Any) -> None:
    wb.defined_names["TU_1"] = DefinedName("TU_1", attr_text=f"'{DATA_SHEET}'!$A$1")


def _edit_label(wb: Any) -> None:
    ws = wb[DATA_SHEET]
    ws["B12"] = f"{ws['B12'].value} (sửa)"


def _delete_name(wb: Any) -> None:
    del wb.defined_names["TU_1"]


def _delete_column(wb: Any) -> None:
    ws = wb[DATA_SHEET]
    ws.protection.sheet = False
    ws.delete_cols(2)


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        ("insert-row", "rows-shifted"),
        ("redirect", "name-redirected"),
        ("label", "locked-cell-changed"),
        ("delete-name", "name-missing"),
        ("delete-column", "locked-cell-changed"),
    ],
)
def test_kiem_tra_reports_what_validate_refuses(
    tmp_path: Path, plan: Plan, client: TestClient, clean_file: Path, edit: str, code: str
) -> None:
    change = {
        "insert-row": _insert_a_row(plan),
        "redirect": _redirect,
        "label": _edit_label,
        "delete-name": _delete_name,
        "delete-column": _delete_column,
    }[edit]
    wb = openpyxl.load_workbook(clean_file)
    change(wb)
    wb.save(tmp_path / "edited.xlsx")
    (cli,) = validate_paths([tmp_path / "edited.xlsx"], plan, year=YEAR).files
    assert code in {i.code for i in cli.issues} and not cli.valid
    assert code in kiem_tra_codes(client, tmp_path / "edited.xlsx")


def test_kiem_tra_clears_the_unedited_workbook(client: TestClient, clean_file: Path) -> None:
    assert kiem_tra_codes(client, clean_file) == set()


def test_kiem_tra_codes_are_read_from_the_result_table(
    client: TestClient, tmp_path: Path, clean_file: Path
) -> None:
    wb = openpyxl.load_workbook(clean_file)
    ((sheet, ref),) = wb.defined_names["TU_1"].destinations
    wb[sheet][ref.replace("$", "")] = "không"
    wb.save(tmp_path / "text.xlsx")
    assert "not-a-number" in kiem_tra_codes(client, tmp_path / "text.xlsx")
