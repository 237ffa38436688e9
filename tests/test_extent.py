"""The bound on a sheet's extent, checked against python-calamine's own placement of cells.

A value far out (XFD1048576) makes calamine allocate the whole grid and abort the process; the bound
must never be below where calamine puts a value, however the XML is written (implied positions,
either quote, blanks around '=', lowercase letters, prefixed tags, a repeated r), and must refuse
the far cases before calamine sees them.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from xltoolkit.validation.extent import MAX_SHEET_CELLS, counted_extent, sheet_extent
from xltoolkit.validation.read import FileRefused, read_file

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _sheet(rows: str) -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN}" xmlns:x="{MAIN}"><sheetData>{rows}</sheetData>'
        "</worksheet>"
    ).encode()


def _calamine_end(sheet: bytes) -> tuple[int, int] | None:
    """(last row, last column), 1-based, of the values calamine lays out; None when it has none."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    s = CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name("S")
    return None if s.end is None else (s.end[0] + 1, s.end[1] + 1)


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


@st.composite
def _written_ref(draw: st.DrawFn, ref: str) -> str:
    """An r attribute as some writer (or attacker) might spell it."""
    quote = draw(st.sampled_from(['"', "'"]))
    eq = draw(st.sampled_from(["=", " = ", "=", "\t="]))
    text = ref.lower() if draw(st.booleans()) else ref
    return f" r{eq}{quote}{text}{quote}"


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    out, row = [], 0
    for _ in range(draw(st.integers(0, 6))):
        row = draw(st.integers(row + 1, row + 40)) if draw(st.booleans()) else row + 1
        explicit_row = draw(st.booleans())
        tag = draw(st.sampled_from(["row", "x:row"]))
        attrs = f' r="{row}"' if explicit_row else ""
        cells, col = [], 0
        for _ in range(draw(st.integers(0, 5))):
            col = draw(st.integers(col + 1, col + 30)) if draw(st.booleans()) else col + 1
            ctag = draw(st.sampled_from(["c", "c", "x:c"]))
            ref = draw(_written_ref(f"{_letters(col)}{row}")) if draw(st.booleans()) else ""
            if ref and draw(st.integers(0, 5)) == 0:  # a second r: calamine keeps the last one
                col = draw(st.integers(1, 60))
                ref += draw(_written_ref(f"{_letters(col)}{row}"))
            value = "<v>1</v>" if draw(st.booleans()) else ""
            cells.append(f"<{ctag}{ref}>{value}</{ctag}>" if value else f"<{ctag}{ref}/>")
        out.append(f"<{tag}{attrs}>{''.join(cells)}</{tag}>")
    return "".join(out)


@settings(max_examples=250, deadline=None)
@given(_sheets())
def test_bound_is_never_below_where_calamine_puts_a_value(rows: str) -> None:
    sheet = _sheet(rows)
    bound = sheet_extent(sheet)
    assert bound.rows >= 0 and bound.cols >= 0
    slow = counted_extent(sheet[sheet.find(b"<sheetData") :])
    try:
        end = _calamine_end(sheet)
    except Exception:  # calamine refuses some spellings outright: nothing is laid out then
        return
    if end is not None:
        assert end[0] <= bound.rows and end[1] <= bound.cols, (end, bound)
        assert end[0] <= slow.rows and end[1] <= slow.cols, (end, slow)


@pytest.mark.parametrize(
    ("rows", "far"),
    [
        (
            '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>',
            "XFD1048576",
        ),
        (
            '<row r="2"><c r="B2"><v>1</v></c><c r="xfd2"><v>1</v></c></row>'
            '<row r="900000"><c r="A900000"><v>1</v></c></row>',
            "A900000",
        ),
        ('<row r="3"><c r="A3"><v>1</v></c><c r = \'XFE3\'><v>1</v></c></row>', "XFE3"),
        ('<row r="4"><c r="A4" r="ZZZ4000"><v>1</v></c></row>', "ZZZ4000"),
        ('<x:row r="5"><x:c r="AMJ99999"><v>1</v></x:c></x:row>', "AMJ99999"),
        ('<row r="6"><c r="A1048577"><v>1</v></c></row>', "A1048577"),
    ],
)
def test_far_cells_are_too_large_and_named(rows: str, far: str) -> None:
    found = sheet_extent(_sheet(rows))
    assert found.too_large and found.far == far


def test_cells_placed_by_counting_are_bounded_too() -> None:
    """No reference at all, but 20,000 cells in one row after 200 rows: placed by counting."""
    rows = "<row/>" * 200 + "<row>" + "<c><v>1</v></c>" * 20_000 + "</row>"
    found = sheet_extent(_sheet(rows))
    assert found.too_large and found.cols >= 20_000 and found.cells > MAX_SHEET_CELLS


def test_returned_workbooks_are_within_bounds(tmp_path, templates_dir) -> None:
    """Every sheet of every generated template (as openpyxl writes it) stays far below the limit."""
    for path in sorted(templates_dir.glob("*.xlsx")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    assert not sheet_extent(z.read(name)).too_large, (path.name, name)
        read_file(path)  # and reads


def test_a_far_value_refuses_the_file_before_calamine(tmp_path, templates_dir) -> None:
    src = sorted(templates_dir.glob("*.xlsx"))[0]
    out = tmp_path / "far.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(
                    b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>'
                )
            zout.writestr(info, data)
    with pytest.raises(FileRefused) as refused:
        read_file(out)
    assert (refused.value.issue.code, refused.value.issue.cell) == ("sheet-out-of-range", "XFD1048576")
