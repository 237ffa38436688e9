"""The fast reader: same content as openpyxl, Excel-style shared formulas, hostile packages, speed."""

from __future__ import annotations

import re
import shutil
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation import ooxml
from xltoolkit.validation.ooxml import _CELL_F, _formula_cells, read_member
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
    struct.pack_into("<I", data, _central_entry(data, part) + 24, 1000)
    out.write_bytes(bytes(data))
    f = validate_paths([out]).files[0]
    assert [i.code for i in f.issues] == ["corrupt-zip"]


def test_scan_and_full_defusedxml_parse_agree(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xltoolkit.validation.ooxml as ooxml

    _, fast = read_file(filled)
    monkeypatch.setattr(ooxml, "ALWAYS_PARSE", True)
    _, strict = read_file(filled)
    assert fast.names == strict.names and fast.sheet_order == strict.sheet_order
    _assert_same_sheets(fast, strict, ("formulas", "merges", "protected", "state"))


def _assert_same_sheets(a: Any, b: Any, fields: tuple[str, ...]) -> None:
    """Every sheet of WorkbookData `a` equals `b`'s in `fields`."""
    for name, sd in a.sheets.items():
        other = b.sheets[name]
        assert [getattr(sd, f) for f in fields] == [getattr(other, f) for f in fields], name


def _central_entry(data: bytearray, part: str) -> int:
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == part.encode():
            return pos
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(part)


def test_members_repeated_across_files_read_alike(filled: Path, tmp_path: Path) -> None:
    """The second file of a template is served its unchanged parts from the run's cache, and reads
    exactly as the first did (values, formulas, merges, names)."""
    twin = tmp_path / "twin.xlsx"
    shutil.copy(filled, twin)
    ooxml._INFLATED.clear()
    _, first = read_file(filled)
    assert any(b"<styleSheet" in v for v in ooxml._INFLATED.values())
    _, second = read_file(twin)
    assert second.names == first.names
    _assert_same_sheets(first, second, ("grid", "formulas", "merges", "protected"))


@pytest.mark.parametrize("lie", ["crc", "size"])
def test_a_cached_member_with_a_lying_directory_is_refused(filled: Path, tmp_path: Path, lie: str) -> None:
    """A member whose stream was inflated before, but whose directory entry now lies about its CRC
    or size, fails as it would the first time: the cache never vouches for a different entry."""
    read_file(filled)  # the styles part is now cached
    out = tmp_path / f"lying-{lie}.xlsx"
    data = bytearray(filled.read_bytes())
    pos = _central_entry(data, "xl/styles.xml")
    if lie == "crc":
        crc = struct.unpack_from("<I", data, pos + 16)[0]
        struct.pack_into("<I", data, pos + 16, crc ^ 0x5A5A5A5A)
    else:
        size = struct.unpack_from("<I", data, pos + 24)[0]
        struct.pack_into("<I", data, pos + 24, size - 7)
    out.write_bytes(bytes(data))
    f = validate_paths([out]).files[0]
    assert [i.code for i in f.issues] == ["corrupt-zip"]


_MEMBER = st.binary(max_size=300) | st.sampled_from([b"<a/>" * 50, b"x" * 1000, b""])


@settings(max_examples=150, deadline=None)
@given(
    contents=st.lists(_MEMBER, min_size=1, max_size=4),
    crc_flip=st.integers(0, 2**32 - 1),
    size_delta=st.integers(-3, 3),
    victim=st.integers(0, 3),
)
def test_read_member_behaves_as_zipfile(
    contents: list[bytes], crc_flip: int, size_delta: int, victim: int
) -> None:
    """Whatever the cache holds, read_member gives what zipfile.read gives, or refuses where it
    raises: the same streams are read twice, the second time with one directory entry altered."""
    import io

    def build(lying: bool) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, c in enumerate(contents):
                z.writestr(f"m{i}.xml", c)
        data = bytearray(buf.getvalue())
        if lying:
            pos = _central_entry(data, f"m{victim % len(contents)}.xml")
            crc = struct.unpack_from("<I", data, pos + 16)[0]
            struct.pack_into("<I", data, pos + 16, crc ^ crc_flip)
            size = struct.unpack_from("<I", data, pos + 24)[0]
            struct.pack_into("<I", data, pos + 24, max(size + size_delta, 0))
        return bytes(data)

    for lying in (False, True):
        z = zipfile.ZipFile(io.BytesIO(build(lying)))
        for i in range(len(contents)):
            name = f"m{i}.xml"
            try:
                expected: bytes | None = zipfile.ZipFile(io.BytesIO(build(lying))).read(name)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zipfile.LargeZipFile):
                expected = None
            try:
                got: bytes | None = read_member(z, name)
            except FileRefused as refused:
                assert refused.issue.code == "corrupt-zip"
                got = None
            assert got == expected


def test_a_file_named_twice_is_checked_once(filled: Path) -> None:
    """`validate a.xlsx a.xlsx` (or a file and its folder): one report, not a duplicate of itself."""
    report = validate_paths([filled, filled, filled.parent])
    names = [Path(f.path).name for f in report.files]
    assert names.count(filled.name) == 1
    assert all(i.code != "duplicate-file" for f in report.files for i in f.issues)
