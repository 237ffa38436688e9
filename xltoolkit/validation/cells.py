"""Cell values straight from the sheet XML the reader already inflated, for the usual files.

calamine parses each value sheet again from the zip, and that second parse of the large data sheet
was most of a file's cost. Files written by Excel, LibreOffice or openpyxl hold values in a few plain
forms (numbers, shared and inline strings, formula results, booleans) which one regular expression
over `<sheetData>` reads the way calamine does: numbers as floats, strings as text, empty cells ''.

Anything else (dates or date-formatted numbers, error values, cells the expression does not
recognise, odd entities, phonetic runs) makes `fast_values` return None, and the caller reads the
file with calamine as before: this is a shortcut for the common shape, never a second opinion.
tests/test_read_cells.py holds it to calamine on real and hostile files.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.utils import column_index_from_string

from xltoolkit.validation.batch import memo
from xltoolkit.validation.ooxml import _text

#: A cell with a value, attributes as every writer orders them (r, s, t; anything else is captured
#: and sends the file to calamine), an optional formula, then <v>, a plain <is><t> or a rich <is>.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?([^>]*?)>'
    rb"(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?"
    rb'(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>|<is>(.*?)</is>)'
    rb"\s*</c>",
    re.S,
)
_T = re.compile(rb"<t\b[^>]*?(?:/>|>([^<]*)</t>)")
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_NUMBER = re.compile(rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_ODD_ENTITY = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_XF = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF_FMT = re.compile(rb"<xf\b([^>]*?)/?>")
_FMT_ID = re.compile(rb'\bnumFmtId="([0-9]+)"')
_NUMFMT = re.compile(rb'<numFmt\b[^>]*?numFmtId="([0-9]+)"[^>]*?formatCode="([^"]*)"')
#: Built-in number formats that are not dates or times (general, numbers, currency, %, text).
_PLAIN_BUILTIN = {*range(0, 14), *range(37, 45), 48, 49}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


class Unusual(Exception):
    """Something the shortcut does not read; the caller falls back to calamine."""


def _texts(inner: bytes) -> str:
    """The text of a string item (plain or rich runs), as calamine gives it."""
    if b"<rPh" in inner or b"<phoneticPr" in inner:
        raise Unusual
    return "".join(_text(t) for t in _T.findall(inner))


@memo(64)
def shared_strings(xml: bytes) -> tuple[str, ...]:
    """The shared-string table (cached by its bytes: files of one saver often repeat it)."""
    if _ODD_ENTITY.search(xml):
        raise Unusual
    return tuple(_texts(inner) if inner else "" for inner in (m.group(1) for m in _SI.finditer(xml)))


def _maybe_date(code: str) -> bool:
    bare = _QUOTED.sub("", code).lower()
    return any(ch in bare for ch in "dmyhse") and bare != "general"


@memo(64)
def plain_styles(xml: bytes) -> frozenset[int]:
    """Cell-format indexes whose number format is certainly not a date or time."""
    custom = {int(i): _text(c) for i, c in _NUMFMT.findall(xml)}
    m = _XF.search(xml)
    out = set()
    for k, attrs in enumerate(_XF_FMT.findall(m.group(1)) if m else []):
        f = _FMT_ID.search(attrs)
        fid = int(f.group(1)) if f else 0
        if fid in _PLAIN_BUILTIN if fid < 164 else not _maybe_date(custom.get(fid, "d")):
            out.add(k)
    return frozenset(out)


@memo(4096)
def _col(letters: bytes) -> int:
    return column_index_from_string(letters.decode())


def _number(v: bytes, style: bytes, plain: frozenset[int]) -> float:
    if not (v.lstrip(b"-").replace(b".", b"", 1).isdigit() or _NUMBER.fullmatch(v)):
        raise Unusual
    if (int(style) if style else 0) not in plain:
        raise Unusual  # maybe a date: calamine turns those into dates
    return float(v)


def _value(kind: bytes, v: bytes, plain_text: bytes, rich: bytes, strings: tuple[str, ...]) -> Any:
    """A non-numeric cell's value as calamine reads it; '' for an empty one."""
    if kind == b"inlineStr":
        return _text(plain_text) if plain_text else _texts(rich)
    if plain_text or rich:
        raise Unusual
    if kind == b"s" and v.isdigit() and int(v) < len(strings):
        return strings[int(v)]
    if kind == b"str":
        return _text(v) if v else ""
    if kind == b"b" and v in (b"0", b"1"):
        return v == b"1"
    raise Unusual


def _cells(body: bytes, strings: tuple[str, ...], plain: frozenset[int]) -> list[tuple[int, int, Any]]:
    matched = _CELL.findall(body)
    if len(matched) != body.count(b"<v>") + body.count(b"<is>"):
        raise Unusual  # a value the expression did not match: read the file with calamine
    cells: list[tuple[int, int, Any]] = []
    for letters, row, style, kind, other, v, plain_text, rich in matched:
        if other.strip():
            raise Unusual
        if not kind or kind == b"n":
            if plain_text or rich:
                raise Unusual
            if v:
                cells.append((int(row), _col(letters), _number(v, style, plain)))
            continue
        value = _value(kind, v, plain_text, rich, strings)
        if value != "":
            cells.append((int(row), _col(letters), value))
    return cells


def _sheet_data(xml: bytes) -> bytes:
    """The bytes inside <sheetData> (plain finds: a lazy regex over the whole part is far slower)."""
    start = xml.find(b"<sheetData")
    if start < 0 or xml.find(b"<sheetData", start + 1) >= 0:
        raise Unusual
    open_end = xml.find(b">", start)
    if open_end < 0:
        raise Unusual
    if xml[open_end - 1 : open_end] == b"/":
        return b""
    if xml[start + 10 : open_end].strip():
        raise Unusual  # attributes on sheetData: not a shape we know
    end = xml.find(b"</sheetData>", open_end)
    if end < 0:
        raise Unusual
    return xml[open_end + 1 : end]


def fast_values(
    xml: bytes, strings: tuple[str, ...], plain: frozenset[int]
) -> tuple[list[list[Any]], tuple[int, int]]:
    """(grid, origin) of one sheet as `CalamineSheet.to_python(skip_empty_area=True)` gives them;
    raises Unusual for anything outside the plain forms."""
    body = _sheet_data(xml)
    if b"&" in body and _ODD_ENTITY.search(body):
        raise Unusual
    cells = _cells(body, strings, plain)
    if not cells:
        return [], (1, 1)
    r0 = min(c[0] for c in cells)
    c0 = min(c[1] for c in cells)
    width = max(c[1] for c in cells) - c0 + 1
    grid: list[list[Any]] = [[""] * width for _ in range(max(c[0] for c in cells) - r0 + 1)]
    for r, c, value in cells:
        grid[r - r0][c - c0] = value
    return grid, (r0, c0)
