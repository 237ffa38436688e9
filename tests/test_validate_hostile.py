"""Issue 9, validation side: hostile and damaged returned files, each built here, never trusted.

Every case builds its hostile input from a generated template; the checks key on issue codes.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltoolkit.cli.validate import render
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.validation.feedback import annotate_report
from xltoolkit.validation.fingerprint import file_lines, found_cells
from xltoolkit.validation.integrity import expected, read_meta
from xltoolkit.validation.read import read_file
from xltoolkit.validation.validate import validate_paths, validate_values, validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, META_SHEET, build_layout, fingerprint_lines

from .conftest import TEMPLATE_YEAR
from .corpus import _edit, clean_values, fill_workbook

AGENCY = "h-ben-luc"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    tpl = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    return fill_workbook(tpl, root / "clean.xlsx", clean_values(plan, AGENCY, TEMPLATE_YEAR))


def codes(path: Path, plan: Plan, **kw: Any) -> set[str]:
    return {i.code for i in validate_workbook(path, plan, **kw).files[0].issues}


def _where(plan: Plan, name: str) -> tuple[str, str]:
    inp = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR).input_by_name[name]
    return inp.sheet, inp.ref


def _set_meta(wb: openpyxl.Workbook, key: str, value: Any) -> None:
    ws = wb[META_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key)
    ws.cell(row, 2).value = value


def _rezip(
    src: Path, out: Path, change: dict[str, Any] | None = None, add: list[tuple[str, bytes]] = ()
) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if change and info.filename in change:
                data = change[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in add:
            zout.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def _code_cells(plan: Plan) -> list[str]:
    """Plain (unmerged, locked) cells of the data sheet: the measure codes."""
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    return [f"{lay.columns['code']}{row}" for row in lay.measure_rows.values()]


def _sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        order = re.findall(r'<sheet\b[^>]*?\bname="([^"]+)"', z.read("xl/workbook.xml").decode())
    return f"xl/worksheets/sheet{order.index(sheet) + 1}.xml"


# ------------------------------------------------------------------------------ item 1


def test_the_file_cannot_switch_the_keyed_fingerprint_off(plan: Plan, tmp_path: Path) -> None:
    secret = b"bi-mat-tinh"
    [t] = generate_templates(plan, TEMPLATE_YEAR, tmp_path / "t", [AGENCY], secret=secret, password=None)
    filled = fill_workbook(t.path, tmp_path / "f.xlsx", clean_values(plan, AGENCY, TEMPLATE_YEAR))
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    target = next(c for c in lay.cells if c.sheet == DATA_SHEET and isinstance(c.value, int | float))

    def forge(wb: openpyxl.Workbook) -> None:
        wb[DATA_SHEET][target.ref] = float(target.value) + 50  # the locked target, edited
        _set_meta(wb, "fingerprint_keyed", "0")

    forged = _edit(filled, tmp_path / "forged.xlsx", forge)
    _, wbd = read_file(forged)
    meta = read_meta(wbd.sheets[META_SHEET])
    lay2, extra = expected(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    cells = found_cells(wbd, lay2, extra.inputs, extra.addin_cols)
    plain = fingerprint_lines(file_lines(wbd, meta, cells), None)
    forged = _edit(forged, forged, lambda wb: _set_meta(wb, "fingerprint", plain))
    assert validate_workbook(forged, plan, secret=b"").files[0].integrity_ok  # the attack, without a secret
    got = validate_workbook(forged, plan, secret=secret).files[0]
    assert not got.integrity_ok and not got.valid
    assert ("locked-cell-changed", DATA_SHEET, target.ref) in {(i.code, i.sheet, i.cell) for i in got.issues}


# ------------------------------------------------------------------------------ item 2


@pytest.mark.parametrize("formula", ["=cmd|' /C calc'!A0", "=[budget.xlsx]Sheet1!$A$1", "=2+2"])
def test_a_formula_in_an_input_cell_is_an_error_and_its_cached_value_never_used(
    clean: Path, plan: Plan, tmp_path: Path, formula: str
) -> None:
    sheet, ref = _where(plan, "TU_1")
    bref, _ = _where(plan, "KP_NSNN")[1], None
    with_f = _edit(clean, tmp_path / "f.xlsx", lambda wb: wb[sheet].__setitem__(ref, formula))
    # forge the cached result Excel would store next to the formula
    part = _sheet_part(with_f, sheet)
    pattern = rb'(<c r="' + ref.encode() + rb'"[^>]*>\s*<f>[^<]*</f>)(<v>[^<]*</v>|<v\s*/>)?'
    forged = _rezip(with_f, tmp_path / "forged.xlsx", {part: lambda x: re.sub(pattern, rb"\1<v>777</v>", x)})
    assert b"<v>777</v>" in zipfile.ZipFile(forged).read(part)
    f = validate_workbook(forged, plan).files[0]
    hit = [i for i in f.issues if i.code == "formula-in-input"]
    assert [(i.sheet, i.cell) for i in hit] == [(sheet, ref)] and hit[0].is_error
    assert formula.lstrip("=")[:5] in hit[0].message
    row = f.values.set_index("code").loc["1"]
    assert row["blocked"] and math.isnan(row["numerator"]) and math.isnan(row["value"])
    assert 777 not in f.values["numerator"].tolist() and not f.valid
    assert bref  # the budget cell is untouched here


def test_external_link_and_dde_parts_are_reported(clean: Path, plan: Plan, tmp_path: Path) -> None:
    dde = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    dde += b'<ddeLink ddeService="cmd" ddeTopic="/C calc"/></externalLink>'
    out = _rezip(clean, tmp_path / "dde.xlsx", add=[("xl/externalLinks/externalLink1.xml", dde)])
    f = validate_workbook(out, plan).files[0]
    link = next(i for i in f.issues if i.code == "external-link")
    assert link.is_error and "DDE" in link.message


# ------------------------------------------------------------------------------ item 3


def test_absurd_magnitudes_are_out_of_range_and_never_reach_the_values(
    clean: Path, plan: Plan, tmp_path: Path
) -> None:
    big = {"TU_1": 1e308, "MAU_1": 1e308, "KP_NSNN": 1e300, "TU_3a": 2e9}
    tpl_values = clean_values(plan, AGENCY, TEMPLATE_YEAR) | big
    tpl = tmp_path / "t.xlsx"
    shutil.copy(clean, tpl)
    out = fill_workbook(tpl, tmp_path / "big.xlsx", tpl_values)
    f = validate_workbook(out, plan).files[0]
    found = {(i.code, i.sheet, i.cell) for i in f.issues}
    for name in big:
        assert ("value-out-of-range", *_where(plan, name)) in found, name
    assert f.budget is None
    values = f.values.set_index("code")
    assert values.loc["1", "blocked"] and values.loc["3a", "blocked"]
    assert all(math.isnan(v) or math.isfinite(v) for v in f.values["value"])
    json.dumps(f.to_dict(), allow_nan=False)  # strict JSON


# ------------------------------------------------------------------------------ weak spots


def test_duplicate_member_names_are_a_corrupt_zip(clean: Path, plan: Plan, tmp_path: Path) -> None:
    with zipfile.ZipFile(clean) as z:
        wb_xml = z.read("xl/workbook.xml")
    with pytest.warns(UserWarning):  # zipfile itself warns: "Duplicate name"
        out = _rezip(clean, tmp_path / "dup.xlsx", add=[("xl/workbook.xml", wb_xml)])
    assert codes(out, plan) == {"corrupt-zip"}


def test_entity_bomb_in_document_properties_is_refused_and_annotate_says_why(
    clean: Path, plan: Plan, tmp_path: Path
) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    bomb += b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><cp:coreProperties xmlns:cp="x">&c;</cp:coreProperties>'
    out = _rezip(clean, tmp_path / "bomb.xlsx", {"docProps/core.xml": lambda _: bomb})
    report = validate_paths([out], plan)
    assert [i.code for i in report.files[0].issues] == ["unsafe-xml"]
    written = annotate_report(report, tmp_path / "copies")
    assert written == [] and "no-feedback-copy" in {i.code for i in report.files[0].issues}


def test_script_and_file_hyperlinks_are_warned_and_dropped_from_the_copy(
    clean: Path, plan: Plan, tmp_path: Path
) -> None:
    a, b, c = _code_cells(plan)[:3]

    def links(wb: openpyxl.Workbook) -> None:
        wb[DATA_SHEET][a].hyperlink = "javascript:alert(1)"
        wb[DATA_SHEET][b].hyperlink = "file:///C:/Windows/System32/calc.exe"
        wb[DATA_SHEET][c].hyperlink = "https://example.org/huong-dan"

    out = _edit(clean, tmp_path / "links.xlsx", links)
    report = validate_paths([out], plan)
    warned = {(i.sheet, i.cell) for i in report.files[0].issues if i.code == "unsafe-hyperlink"}
    assert warned == {(DATA_SHEET, a), (DATA_SHEET, b)}
    [copy] = annotate_report(report, tmp_path / "copies")
    with zipfile.ZipFile(copy) as z:  # link targets live in the sheets' relationship parts
        rels = b"".join(z.read(n) for n in z.namelist() if n.endswith(".rels"))
    assert b"javascript:" not in rels and b"file:///" not in rels and b"example.org" in rels


def test_one_flipped_byte_tells_the_officer_to_save_again(clean: Path, plan: Plan, tmp_path: Path) -> None:
    data = bytearray(clean.read_bytes())
    info = zipfile.ZipFile(clean).getinfo(_sheet_part(clean, DATA_SHEET))
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0x01
    out = tmp_path / "flip.xlsx"
    out.write_bytes(bytes(data))
    [i] = validate_workbook(out, plan).files[0].issues
    assert i.is_error and i.code in {"corrupt-zip", "corrupt-workbook", "corrupt-xml", "read-failed"}
    assert "lưu lại" in i.message and "gửi lại" in i.message and "(error)" not in i.message


@pytest.mark.parametrize("new_name", ["Số liệu đã sửa", unicodedata.normalize("NFD", DATA_SHEET)])
def test_a_renamed_data_sheet_is_one_clear_error(
    clean: Path, plan: Plan, tmp_path: Path, new_name: str
) -> None:
    assert new_name != DATA_SHEET

    def rename(wb: openpyxl.Workbook) -> None:
        wb[DATA_SHEET].title = new_name
        for dn in wb.defined_names.values():  # as Excel does when a sheet is renamed
            dn.attr_text = dn.attr_text.replace(f"'{DATA_SHEET}'!", f"'{new_name}'!")

    out = _edit(clean, tmp_path / "renamed.xlsx", rename)
    f = validate_workbook(out, plan).files[0]
    assert [i.code for i in f.errors] == ["sheet-renamed"] and f.errors[0].sheet == DATA_SHEET
    assert not f.integrity_ok


@pytest.mark.parametrize("toward", ["TU_1", "TU_3a"])  # a locked cell of its own row, of another row
def test_a_redirected_defined_name_says_the_names_were_altered(
    clean: Path, plan: Plan, tmp_path: Path, toward: str
) -> None:
    sheet, ref = _where(plan, "TU_1")
    there = _where(plan, toward)[1]
    col = there.rstrip("0123456789")
    other = f"{chr(ord(col) - 1)}{there[len(col) :]}"  # the locked cell left of that input

    def redirect(wb: openpyxl.Workbook) -> None:
        wb.defined_names["TU_1"].attr_text = f"'{sheet}'!${other[0]}${other[1:]}"

    out = _edit(clean, tmp_path / "redirect.xlsx", redirect)
    f = validate_workbook(out, plan).files[0]
    got = {(i.code, i.sheet, i.cell) for i in f.issues}
    assert ("name-redirected", sheet, ref) in got and not f.integrity_ok
    assert "rows-shifted" not in {c for c, _, _ in got}
    assert not any(c == "locked-cell-changed" and (s, r) == (sheet, other) for c, s, r in got)
    assert math.isnan(f.values.set_index("code").loc["1", "numerator"])


def test_labels_in_another_unicode_form_compare_equal(clean: Path, plan: Plan, tmp_path: Path) -> None:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    inputs = {(i.sheet, i.ref) for i in lay.inputs}
    label = next(
        c
        for c in lay.cells
        if c.sheet == DATA_SHEET
        and (c.sheet, c.ref) not in inputs
        and isinstance(c.value, str)
        and unicodedata.normalize("NFD", c.value) != c.value
    )
    nfd = unicodedata.normalize("NFD", label.value)
    out = _edit(clean, tmp_path / "nfd.xlsx", lambda wb: wb[DATA_SHEET].__setitem__(label.ref, nfd))
    f = validate_workbook(out, plan).files[0]
    assert f.valid and f.integrity_ok, [i.code for i in f.issues]


@pytest.mark.parametrize("year", [99999, 0, -5, "2026.5", "năm nay"])
def test_an_impossible_metadata_year_is_meta_invalid(
    clean: Path, plan: Plan, tmp_path: Path, year: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _edit(clean, tmp_path / "year.xlsx", lambda wb: _set_meta(wb, "year", year))
    report = validate_workbook(out, plan)
    f = report.files[0]
    assert "meta-invalid" in {i.code for i in f.errors} and f.year is None and not f.integrity_ok
    assert not any("None" in i.message for i in f.issues)
    render(report, [], plan)  # the CLI's text output
    assert "None" not in capsys.readouterr().out
    wb = openpyxl.load_workbook(out, data_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    names = [
        {"name": n, "sheet": s, "address": a.replace("$", "")}
        for n, dn in wb.defined_names.items()
        for s, a in dn.destinations
    ]
    g = validate_values(sheets, names, plan).files[0]
    assert "meta-invalid" in {i.code for i in g.errors} and g.year is None
    assert not any("None" in i.message for i in g.issues)


# ------------------------------------------------------------------------------ item 7


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_feedback_copies_never_overwrite_inputs_and_never_collide(
    clean: Path, plan: Plan, tmp_path: Path
) -> None:
    box = tmp_path / "box"
    (box / "a").mkdir(parents=True)
    (box / "b").mkdir()
    shutil.copy(clean, box / "x.xlsx")
    a, b = _code_cells(plan)[:2]
    _edit(clean, box / "x.xlsm", lambda wb: wb[DATA_SHEET].__setitem__(a, "khác"))
    shutil.copy(clean, box / "a" / "y.xlsx")
    _edit(clean, box / "b" / "y.xlsx", lambda wb: wb[DATA_SHEET].__setitem__(b, "khác"))
    inputs = sorted(p for p in box.rglob("*") if p.is_file())
    before = {p: _sha(p) for p in inputs}
    report = validate_paths([box], plan)
    written = annotate_report(report, box)  # --annotate into the folder of the returned files
    assert len(written) == 4 and len(set(written)) == 4
    assert not set(written) & set(inputs)
    assert {p: _sha(p) for p in inputs} == before
    # the same into a separate folder: still four distinct copies
    assert len(set(annotate_report(validate_paths(inputs, plan), tmp_path / "out"))) == 4


def test_a_failure_in_the_batch_stage_costs_only_its_own_file(
    clean: Path, plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xltoolkit.validation.validate as v

    bad = tmp_path / "bad.xlsx"
    shutil.copy(clean, bad)
    real = v._finish

    def finish(p: Any, plan: Plan, rate_of: Any) -> None:
        if p.report.path.endswith("bad.xlsx"):
            raise ZeroDivisionError
        real(p, plan, rate_of)

    monkeypatch.setattr(v, "_finish", finish)
    good, broken = validate_paths([clean, bad], plan).files
    assert good.valid and good.integrity_ok and not good.values.empty
    assert [i.code for i in good.issues] == []
    assert "read-failed" in {i.code for i in broken.errors} and not broken.integrity_ok
