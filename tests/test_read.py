"""The fast reader: same content as openpyxl, Excel-style shared formulas, hostile packages, speed."""

from __future__ import annotations

import re
import shutil
import struct
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation.ooxml import _CELL_F, _formula_cells
from xltoolkit.validation.read import FileRefused, read_file, scan_sheet
from xltoolkit.validation.validate import validate_paths, validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> Path:
    root = tmp_path_factory.mktemp("read")
    tpl = templates_dir / template_filename(plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    return fill_workbook(tpl, root / "h-ben-luc.xlsx", clean_values(plan, "h-ben-luc", TEMPLATE_YEAR))


def _sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        order = re.findall(r'<sheet\b[^>]*?\bname="([^"]+)"', wb)
    return f"xl/worksheets/sheet{order.index(sheet) + 1}.xml"


def _rewrite(src: Path, out: Path, part: str, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, change(data) if info.filename == part else data)
    return out


def test_calamine_and_openpyxl_read_the_same_values(filled: Path) -> None:
    _, fast = read_file(filled)
    _, ref = read_file(filled, engine="openpyxl")
    assert fast.names == ref.names and fast.sheet_order == ref.sheet_order
    for name, sheet in ref.sheets.items():
        a = {k: v for k, v in fast.sheets[name].cells()}
        b = {k: v for k, v in sheet.cells()}
        assert a == b, name  # ints vs floats compare equal; formula cells carry no value in either
        assert fast.sheets[name].formulas == sheet.formulas and fast.sheets[name].protected == sheet.protected


def test_names_formulas_merges_and_protection(filled: Path, plan: Plan) -> None:
    lay = build_layout(plan, plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    _, wbd = read_file(filled)
    assert wbd.names["TU_3a"] == (DATA_SHEET, lay.input_by_name["TU_3a"].ref)
    data = wbd.sheets[DATA_SHEET]
    assert set(data.merges) == {r for s, r in lay.merges if s == DATA_SHEET}
    formulas = {c.ref: c.formula for c in lay.cells if c.sheet == DATA_SHEET and c.formula}
    assert data.formulas == formulas and data.protected is True


def test_shared_formulas_as_excel_writes_them(filled: Path, plan: Plan, tmp_path: Path) -> None:
    """Excel stores a copied-down formula once (t="shared"); the fingerprint must still match."""
    lay = build_layout(plan, plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    col = lay.columns["value"]
    rows = [lay.measure_rows[c] for c in ("3a", "3b", "3c")]  # same scale: one formula copied down
    assert rows == list(range(rows[0], rows[0] + 3))
    first = rows[0]

    def share(xml: bytes) -> bytes:
        text = xml.decode()
        for i, r in enumerate(rows):
            pat = re.compile(rf'(<c r="{col}{r}"[^>]*>)<f>([^<]*)</f>')
            if i == 0:
                text = pat.sub(rf'\1<f t="shared" ref="{col}{first}:{col}{rows[-1]}" si="0">\2</f>', text)
            else:
                text = pat.sub(r'\1<f t="shared" si="0"/>', text)
        return text.encode()

    out = _rewrite(filled, tmp_path / "shared.xlsx", _sheet_part(filled, DATA_SHEET), share)
    assert b't="shared" si="0"/>' in zipfile.ZipFile(out).read(_sheet_part(filled, DATA_SHEET))
    f = validate_workbook(out, plan).files[0]
    assert f.integrity_ok and f.valid, [(i.code, i.cell) for i in f.issues]


def test_scan_matches_a_full_parse() -> None:
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
        b'<c r="B1"><f>SUM(A1:A2)&gt;0</f><v>1</v></c>'
        b'<c r="C1" s="1"/><c r="D1" t="str"><f t="shared" ref="D1:D2" si="3">A1&amp;"x"</f><v></v></c></row>'
        b'<row r="2"><c r="D2" t="str"><f t="shared" si="3"/><v>q</v></c></row></sheetData>'
        b'<sheetProtection sheet="true" formatCells="false"/><mergeCells count="1"><mergeCell ref="A5:C5"/>'
        b"</mergeCells></worksheet>"
    )
    formulas, merges, protected = scan_sheet(xml)
    assert formulas == {"B1": "=SUM(A1:A2)>0", "D1": '=A1&"x"', "D2": '=A2&"x"'}
    assert merges == ["A5:C5"] and protected is True
    prefixed = xml.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(
        b"</worksheet>", b"</x:worksheet>"
    )
    prefixed = re.sub(rb"<(/?)(?!x:)([a-zA-Z]+)", rb"<\1x:\2", prefixed)
    assert scan_sheet(prefixed) == (formulas, merges, protected)


_PIECES = [
    b'<c r="A1">',
    b'<c r="B2" s="1">',
    b"<c/>",
    b'<c r="C3"/>',
    b"<cols>",
    b"<cfRule>",
    b"<f>",
    b"</f>",
    b'<f t="shared" si="1"/>',
    b"<f>SUM(A1)</f>",
    b"<formula>1</formula>",
    b"<v>1</v>",
    b"</c>",
    b" ",
    b"\n",
    b"<x/>",
    b"<row>",
    b"</row>",
    b"<f a='1'>B1</f>",
    b"<c\tr='D4'>",
    b"<cx>",
    b"<c>",
    b"/>",
    b">",
    b"<",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_formula_search_finds_what_the_cell_scan_finds(pieces: list[bytes]) -> None:
    """The formula-first search is only faster: on any sequence of tags it yields the same
    (cell attributes, formula attributes, formula text) as matching every cell."""
    xml = b"".join(pieces)
    assert _formula_cells(xml) == [(c, a, t) for c, a, t in _CELL_F.findall(xml)]


def test_entity_declaration_in_a_sheet_is_refused(filled: Path, tmp_path: Path) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'

    def attack(xml: bytes) -> bytes:
        return bomb + re.sub(rb"^<\?xml[^>]*\?>", b"", xml)

    out = _rewrite(filled, tmp_path / "dtd.xlsx", _sheet_part(filled, DATA_SHEET), attack)
    with pytest.raises(FileRefused) as err:
        read_file(out)
    assert err.value.issue.code == "unsafe-xml"


def test_lying_size_header_is_caught(filled: Path, tmp_path: Path) -> None:
    """A member whose declared size is smaller than its content fails the CRC instead of inflating."""
    part = _sheet_part(filled, DATA_SHEET)
    out = tmp_path / "lying.xlsx"
    shutil.copy(filled, out)
    data = bytearray(out.read_bytes())
    info = zipfile.ZipFile(out).getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 22, 1000)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == part.encode():
            struct.pack_into("<I", data, pos + 24, 1000)
        pos = data.find(b"PK\x01\x02", pos + 4)
    out.write_bytes(bytes(data))
    f = validate_paths([out]).files[0]
    assert [i.code for i in f.issues] == ["corrupt-zip"]


def test_calamine_is_faster_than_openpyxl(filled: Path, tmp_path: Path, capsys) -> None:
    copies = []
    for i in range(20):
        p = tmp_path / f"c{i}.xlsx"
        shutil.copy(filled, p)
        copies.append(p)
    timings = {}
    for engine in ("calamine", "openpyxl"):
        t = time.perf_counter()
        for p in copies:
            read_file(p, engine=engine)
        timings[engine] = (time.perf_counter() - t) / len(copies) * 1000
    t = time.perf_counter()
    report = validate_paths(copies)
    per_file = (time.perf_counter() - t) / len(copies) * 1000
    with capsys.disabled():
        print(
            f"\nread ms/file: calamine {timings['calamine']:.2f}, openpyxl {timings['openpyxl']:.2f}; "
            f"validate_paths {per_file:.2f} ms/file"
        )
    assert timings["calamine"] < timings["openpyxl"]
    assert len(report.files) == 20 and report.files[0].valid


def test_scan_and_full_defusedxml_parse_agree(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xltoolkit.validation.ooxml as ooxml

    _, fast = read_file(filled)
    monkeypatch.setattr(ooxml, "ALWAYS_PARSE", True)
    _, strict = read_file(filled)
    assert fast.names == strict.names and fast.sheet_order == strict.sheet_order
    for name, sd in fast.sheets.items():
        other = strict.sheets[name]
        assert (sd.formulas, sd.merges, sd.protected, sd.state) == (
            other.formulas,
            other.merges,
            other.protected,
            other.state,
        ), name
