"""How far out a sheet's cells reach, bounded from its XML before any reader lays them out.

python-calamine turns a sheet into one dense grid from its first to its last cell with a value: a
value in XFD1048576 (Ctrl+End and type, or a hostile file) asks for 17 billion cells, 550 GB, and the
process aborts (tafia/calamine#693): one returned file would end the whole run. So every sheet a
reader will lay out is bounded first, and refused past `MAX_SHEET_CELLS`.

The bound follows calamine's rules for placing a cell (tests/test_extent.py checks it against
calamine): a cell's `r` attribute places it (letters in either case, `'` or `"`, blanks around `=`);
a `<row>` or `<c>` without one follows the one before it. So rows ≤ the largest explicit row + the
number of `<row>` tags, and columns ≤ the largest explicit column + the most `<c>` tags in one row;
every `r="…"` of the part counts as explicit, inside a tag or not (more can only enlarge the bound).

Every returned file is checked, so the usual case is two searches: every cell and row tag written
the way Excel, LibreOffice, WPS and openpyxl write them (r first: `<c r="…`, `<row r="…`) within
Z9999, and no r="…" past Z9999 anywhere, means no position is implied and none is far. Anything
else takes the full count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

#: Excel's grid; and the largest sheet a reader may lay out (2 million cells: 64 MB in calamine).
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
MAX_SHEET_CELLS = 2_000_000
_FAR = 10**12  # a reference with more than 3 letters or 9 digits: past any grid

_PREFIX = rb"(?:[^\s<>/:=]+:)?"  # calamine reads <x:c> as <c>, whatever the prefix
#: A <c> or <row> tag (any prefix) whose first attribute is not r="…" within Z9999; and an r="…"
#: past Z9999 anywhere (a second r in a tag wins in calamine, quoted any way).
_ODD_TAG = re.compile(rb'<(?:c|row|[^\s<>/:=]+:(?:c|row))(?=[\s>/])(?! r="[A-Za-z]?[0-9]{1,4}")')
_BIG_REF = re.compile(rb"""r\s*=\s*["'](?:[A-Za-z]{2}|[A-Za-z]?[0-9]{5})""")
#: Every r="…" anywhere, as calamine reads it; and the tags that may place a cell by counting.
_REF = re.compile(rb"""\sr\s*=\s*(["'])([A-Za-z]*)([0-9]+)\1""")
_ROW_TAG = re.compile(rb"<" + _PREFIX + rb"row[\s>/]")
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"c[\s>/]")


@dataclass(frozen=True)
class Extent:
    """Upper bounds of the last row and column a reader could place a value in, and the explicit
    cell reference that reaches furthest (for the officer's message; "" when none stands out)."""

    rows: int
    cols: int
    far: str = ""

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @property
    def too_large(self) -> bool:
        return self.rows > MAX_ROWS or self.cols > MAX_COLS or self.cells > MAX_SHEET_CELLS


#: The bound of a part whose tags all start with r="…" and whose references stay within Z9999.
PLAIN = Extent(9_999, 26)


def sheet_extent(xml: bytes) -> Extent:
    """The bound for one worksheet part (see module docstring); (0, 0) when it has no cells."""
    start = xml.find(b"<sheetData")
    if start < 0:
        return Extent(0, 0)
    end = xml.rfind(b"</sheetData>")
    part = xml[start : end if end > start else len(xml)]
    if _ODD_TAG.search(part) is None and _BIG_REF.search(part) is None:
        return PLAIN
    return counted_extent(part)


def counted_extent(part: bytes) -> Extent:
    """The bound from every reference and tag of `part` (the slow, general path)."""
    refs = [
        (int(d) if len(d) <= 9 else _FAR, _col(letters) if len(letters) <= 3 else _FAR)
        for _, letters, d in _REF.findall(part)
    ]
    rows = max((r for r, _ in refs), default=0)
    cols = max((c for _, c in refs), default=0)
    row_tags = [m.start() for m in _ROW_TAG.finditer(part)]
    per_row = [0] * (len(row_tags) + 1)
    i = 0
    for m in _CELL_TAG.finditer(part):
        while i < len(row_tags) and row_tags[i] < m.start():
            i += 1
        per_row[i] += 1
    found = Extent(rows + len(row_tags), cols + max(per_row), "")
    cells = [rc for rc in refs if rc[1] > 0]  # row tags carry a row only
    if not found.too_large or not cells:
        return found
    row, col = max(cells, key=lambda rc: max(rc[0], 1) * rc[1])
    return Extent(found.rows, found.cols, _ref(row, col))


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _ref(row: int, col: int) -> str:
    """A reference the officer can type into the Name Box ("" past what Excel could show)."""
    if not 1 <= col <= 18_278 or not 1 <= row < _FAR:
        return ""
    return f"{get_column_letter(col)}{row}"
