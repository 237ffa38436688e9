"""Release testing, session 6: a defined name of an input that leads to no cell.

An officer deleting a row (its names become `#REF!`) or editing a name to `=#REF!` in the Name Manager
got only the generic `fingerprint-mismatch` at `_meta!B11`, which says nothing of what happened. The
broken name is now `name-missing` (the code of a deleted name: the input cannot be found by its name)
with its own wording — which name, where its cell was, that the cell was deleted, what to do — at the
cell the name belongs to, whichever reader is used, and the add-in reports the same code there.

Found on the way: the data-element names (`SL_`, `TT_`, `LYDO_`) are outside the fingerprint, so with
a matching fingerprint one pointed at another cell was read through without a word. They are now
checked one by one on every file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from openpyxl.workbook.defined_name import DefinedName

from xltoolkit.issues import Issue
from xltoolkit.plan.model import Plan
from xltoolkit.validation.validate import validate_paths, validate_values
from xltoolkit.workbook.layout import DATA_SHEET, build_layout

from .addin_support import FILE_ONLY, build_payload, kiem_tra_codes, kiem_tra_texts
from .corpus import _rewrite_zip

YEAR = 2024
AGENCY = "h-ben-luc"


def _cell(plan: Plan, name: str) -> tuple[str, str]:
    inp = build_layout(plan.for_year(YEAR), plan.agency(AGENCY), YEAR).input_by_name[name]
    return inp.sheet, inp.ref


def _rename_target(src: Path, out: Path, name: str, target: str) -> Path:
    """`name` now refers to `target`, edited in the workbook part as Excel would store it."""
    with zipfile.ZipFile(src) as z:
        xml = z.read("xl/workbook.xml").decode("utf-8")
    pattern = rf'(<definedName name="{re.escape(name)}"[^>]*>)[^<]*(</definedName>)'
    new, n = re.subn(pattern, lambda m: m.group(1) + target + m.group(2), xml)
    assert n == 1
    return _rewrite_zip(src, out, {"xl/workbook.xml": new.encode("utf-8")})


def _delete_row(src: Path, out: Path, row: int) -> Path:
    """Delete a data-sheet row the way Excel does: names on it become #REF!, names below move up."""
    wb = openpyxl.load_workbook(src)
    ws = wb[DATA_SHEET]
    ws.protection.sheet = False
    ws.delete_rows(row)
    for name, dn in list(wb.defined_names.items()):
        ((sheet, ref),) = dn.destinations
        col, r = ref.replace("$", "")[0], int(ref.replace("$", "")[1:])
        if sheet == DATA_SHEET and r >= row:
            text = f"'{sheet}'!#REF!" if r == row else f"'{sheet}'!${col}${r - 1}"
            wb.defined_names[name] = DefinedName(name, attr_text=text)
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row > row:
            rng.shift(0, -1)
    wb.save(out)
    return out


def _issues(path: Path, plan: Plan, engine: str = "calamine") -> tuple[list[Issue], bool]:
    (f,) = validate_paths([path], plan, year=YEAR, engine=engine).files
    assert not f.valid
    return f.issues, f.integrity_ok


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
@pytest.mark.parametrize("target", ["#REF!", f"'{DATA_SHEET}'!#REF!"])
@pytest.mark.parametrize("name", ["TU_3a", "SL_children_u8"])
def test_a_name_edited_to_ref_is_named_at_its_cell(
    tmp_path: Path, plan: Plan, district_return: Path, engine: str, target: str, name: str
) -> None:
    """`TU_3a` is under the fingerprint (before: only `fingerprint-mismatch` at _meta!B11);
    `SL_children_u8` is not (before: a «tên vùng bị xóa» that was not what happened)."""
    path = _rename_target(district_return, tmp_path / "ref.xlsx", name, target)
    issues, integrity_ok = _issues(path, plan, engine)
    sheet, ref = _cell(plan, name)
    (found,) = [i for i in issues if i.code == "name-missing"]
    assert (found.sheet, found.cell) == (sheet, ref) and found.is_error
    assert f"«{name}»" in found.message and "#REF!" in found.message and "xóa" in found.message
    assert "fingerprint-mismatch" not in {i.code for i in issues}
    assert not integrity_ok


def test_a_deleted_row_names_its_broken_cells_and_the_shift(
    tmp_path: Path, plan: Plan, district_return: Path
) -> None:
    sheet, ref = _cell(plan, "SL_live_births")
    row = int(ref[1:])
    issues, integrity_ok = _issues(_delete_row(district_return, tmp_path / "row.xlsx", row), plan)
    broken = {(i.sheet, i.cell): i for i in issues if i.code == "name-missing"}
    assert set(broken) == {_cell(plan, n) for n in ("SL_live_births", "TT_live_births", "LYDO_live_births")}
    # one issue per cell, however many names (the base figure and each measure's alias) it carried
    assert "«SL_live_births»" in broken[(sheet, ref)].message and "«MAU_3a»" in broken[(sheet, ref)].message
    assert "rows-shifted" in {i.code for i in issues}
    assert "fingerprint-mismatch" not in {i.code for i in issues} and not integrity_ok


def test_an_element_name_pointed_elsewhere_is_not_read_through(
    tmp_path: Path, plan: Plan, district_return: Path
) -> None:
    """The fingerprint matches (element names are outside it): the redirect must still be named, and
    the value under the other cell never used."""
    sheet, ref = _cell(plan, "SL_children_u8")
    other = _cell(plan, "SL_live_births")[1]
    path = _rename_target(
        district_return, tmp_path / "moved.xlsx", "SL_children_u8", f"'{sheet}'!${other[0]}${other[1:]}"
    )
    issues, integrity_ok = _issues(path, plan)
    assert ("name-redirected", sheet, ref) in {(i.code, i.sheet, i.cell) for i in issues}
    assert not integrity_ok
    assert not any(i.code == "rule-violated" for i in issues)  # nothing computed from the wrong cell


@pytest.mark.parametrize("target", ["5", f"'{DATA_SHEET}'!$D$11:$D$12"])
def test_a_name_made_a_constant_or_a_range_is_redirected(
    tmp_path: Path, plan: Plan, district_return: Path, target: str
) -> None:
    path = _rename_target(district_return, tmp_path / "const.xlsx", "SL_children_u8", target)
    issues, _ = _issues(path, plan)
    (found,) = [i for i in issues if i.code == "name-redirected"]
    assert (found.sheet, found.cell) == _cell(plan, "SL_children_u8")
    assert f"«={target}»" in found.message


def test_kiem_tra_gives_the_code_validate_gives(
    tmp_path: Path, plan: Plan, district_return: Path, addin_client: TestClient
) -> None:
    """Before: `validate` said fingerprint-mismatch, «Kiểm tra» said name-missing."""
    path = _rename_target(district_return, tmp_path / "ref.xlsx", "TU_3a", "#REF!")
    issues, _ = _issues(path, plan)
    cli = {i.code for i in issues} - FILE_ONLY
    assert cli == {"name-missing"}
    assert kiem_tra_codes(addin_client, path) == cli
    # and with the same words: the name's «#REF!» reaches the validator, not a bare missing name
    (want,) = (i.message for i in issues if i.code == "name-missing")
    assert want in kiem_tra_texts(addin_client, path)


@pytest.mark.parametrize("sent", ["#REF!", f"='{DATA_SHEET}'!#REF!"])
def test_a_payload_carrying_the_broken_name_gets_the_same_issue(
    tmp_path: Path, plan: Plan, district_return: Path, sent: str
) -> None:
    """Should the add-in send a broken name on (Office.js gives its `formula`, «=#REF!»), the layout
    diff names it like `validate`, not as a deleted row (`rows-shifted`, which hid the sheet's other
    changes) nor as a redirection."""
    path = _rename_target(district_return, tmp_path / "ref.xlsx", "TU_3a", "#REF!")
    body = build_payload(path)
    sheets: dict[str, Any] = {s["name"]: s["values"] for s in body["sheets"]}
    order = [s["name"] for s in body["sheets"]]
    names = [
        {"name": n["name"], "sheet": order[n["sheet_index"]], "address": n["address"]}
        for n in body["names"]
        if n["address"]
    ]
    names.append({"name": "TU_3a", "sheet": DATA_SHEET, "address": sent})
    (addin,) = validate_values(sheets, names, plan).files
    cli, _ = _issues(path, plan)
    want = {(i.code, i.sheet, i.cell) for i in cli if i.code not in FILE_ONLY}
    assert {(i.code, i.sheet, i.cell) for i in addin.issues} == want
    if sent == "#REF!":  # the file's name says the same: so does the message
        assert {i.message for i in addin.issues} == {i.message for i in cli if i.code not in FILE_ONLY}
    broken = next(i for i in addin.issues if i.code == "name-missing")
    assert sent.lstrip("=") in broken.message  # what the name now refers to, as the workbook has it
    assert not addin.integrity_ok


def test_a_renamed_sheet_with_a_broken_name_is_still_told_renamed(
    tmp_path: Path, plan: Plan, district_return: Path
) -> None:
    """The renamed sheet is found by where its names went; a #REF! among them went nowhere."""
    with zipfile.ZipFile(district_return) as z:
        xml = z.read("xl/workbook.xml").decode("utf-8")
    renamed = f"{DATA_SHEET} (2)"
    xml = xml.replace(f'name="{DATA_SHEET}"', f'name="{renamed}"').replace(
        f"'{DATA_SHEET}'!", f"'{renamed}'!"
    )
    xml, n = re.subn(r'(<definedName name="TU_3a"[^>]*>)[^<]*(<)', r"\1#REF!\2", xml)
    assert n == 1
    path = _rewrite_zip(district_return, tmp_path / "renamed.xlsx", {"xl/workbook.xml": xml.encode("utf-8")})
    issues, _ = _issues(path, plan)
    assert ("sheet-renamed", DATA_SHEET) in {(i.code, i.sheet) for i in issues}


@pytest.mark.parametrize("sent", ["#REF!", "=#REF!", f"='{DATA_SHEET}'!#REF!", f"{DATA_SHEET}!#ref!"])
def test_a_payloads_broken_name_keeps_what_it_refers_to(sent: str) -> None:
    """A deleted cell is no (sheet, cell) destination: the name keeps its text, not a sheet «…!#REF»."""
    from xltoolkit.validation.read import from_values

    wbd = from_values({DATA_SHEET: [[None]]}, [{"name": "TU_3a", "sheet": DATA_SHEET, "address": sent}])
    assert wbd.names["TU_3a"] == ("", sent.lstrip("="))
