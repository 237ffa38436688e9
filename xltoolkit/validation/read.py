"""Read a returned workbook safely and fast into one neutral structure the checks run on.

The checks never see a file: they see a `WorkbookData` (sheet name -> value grid, formulas, merges,
protection; defined names). The file reader fills it from python-calamine (values) plus the package
XML (defined names, formulas, merges, protection, which calamine does not give); the Excel add-in
fills it from sheet values (`from_values`). So the CLI, the consolidator and the add-in share checks.

Safety: the file is read once into memory, read-only, and refused before any parser runs when it is
empty, too large, not a zip, a legacy or encrypted OLE file, or a decompression bomb (member sizes
and ratios are checked from the zip directory before anything is inflated). Package parts are
scanned or parsed in ooxml.py (defusedxml for any part that carries a DTD).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter

from xltoolkit.issues import Issue, issue
from xltoolkit.validation.batch import memo
from xltoolkit.validation.extent import sheet_extent
from xltoolkit.validation.ooxml import (
    FileRefused,
    external_links,
    parse_destination,
    parse_xml,
    read_member,
    read_package,
    refuse,
    scan_sheet,
    scannable,
    sheet_protected,
    unsafe_hyperlinks,
)
from xltoolkit.vn_numbers import format_vi_grouped
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, META_SHEET, REPORT_SHEET

__all__ = [
    "FileRefused",
    "SheetData",
    "WorkbookData",
    "from_values",
    "parse_destination",
    "read_file",
    "scan_sheet",
]

#: Refuse before parsing: a filled template is ~60 KB; anything near these is not a report.
MAX_FILE_BYTES = 20 * 2**20
MAX_MEMBER_BYTES = 50 * 2**20
MAX_TOTAL_BYTES = 200 * 2**20
MAX_MEMBERS = 2000
#: Deflate can reach ~1000:1 on crafted data; XML of a real sheet stays well below this.
MAX_RATIO = 150
RATIO_MIN_BYTES = 2**20
#: Deflate's maximum expansion. A member whose compressed size times this stays below
#: SMALL_INFLATE_BYTES cannot hurt even if its declared size lies; larger ones are inflated (bounded
#: by the declared size, CRC-checked) before calamine, whose zip reader trusts the stream, sees them.
MAX_DEFLATE_RATIO = 1032
SMALL_INFLATE_BYTES = 64 * 2**20

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
#: Sheets whose values the checks need (the result sheet is tools' output and is never read).
VALUE_SHEETS = (GUIDE_SHEET, DATA_SHEET, REPORT_SHEET, META_SHEET)
#: Sheets whose formulas and merges the fingerprint covers.
STRUCTURE_SHEETS = (GUIDE_SHEET, DATA_SHEET, REPORT_SHEET)


@memo(4096)
def split_ref(ref: str) -> tuple[int, int]:
    """'H11' -> (row 11, column 8), 1-based."""
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref.upper())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_index_from_string(m.group(1))


@memo(4096)
def make_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


@dataclass
class SheetData:
    """One sheet's content. `grid[i][j]` is the cell at (origin row + i, origin col + j), 1-based origin.

    `formulas`, `merges` and `protected` are None when the source cannot tell (the add-in sends
    values only); checks that need them are then skipped, not failed.
    """

    name: str
    grid: list[list[Any]] = field(default_factory=list)
    origin: tuple[int, int] = (1, 1)
    formulas: dict[str, str] | None = None
    merges: list[str] | None = None
    protected: bool | None = None
    state: str = "visible"

    def value(self, ref: str) -> Any:
        row, col = split_ref(ref)
        i, j = row - self.origin[0], col - self.origin[1]
        if 0 <= i < len(self.grid):
            line = self.grid[i]
            if 0 <= j < len(line):
                v = line[j]
                return None if v == "" else v
        return None

    def cells(self) -> list[tuple[str, Any]]:
        """Every non-empty cell as (ref, value), row by row."""
        out = []
        r0, c0 = self.origin
        for i, line in enumerate(self.grid):
            for j, v in enumerate(line):
                if v is not None and v != "":
                    out.append((make_ref(r0 + i, c0 + j), v))
        return out


@dataclass
class WorkbookData:
    """The neutral structure every check runs on (see module docstring)."""

    sheets: dict[str, SheetData]
    names: dict[str, tuple[str, str]]  # workbook-level defined name -> (sheet, 'H11')
    sheet_order: list[str] = field(default_factory=list)
    macros: bool = False
    structure_known: bool = True  # False from the add-in: no formulas, merges, protection
    source: str = "calamine"

    def value(self, sheet: str, ref: str) -> Any:
        s = self.sheets.get(sheet)
        return s.value(ref) if s else None


@dataclass
class RawFile:
    """Bytes of a file that passed the cheap checks, with what they told us."""

    path: Path
    data: bytes
    sha256: str
    issues: list[Issue] = field(default_factory=list)


# ------------------------------------------------------------------------------ cheap file checks


def is_lock_file(path: Path) -> bool:
    """Excel's owner file '~$name.xlsx' sits beside an open workbook; it holds no data."""
    return path.name.startswith("~$")


def load_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> RawFile:
    """Read the file once (read-only) and classify it from its size and first bytes."""
    if is_lock_file(path):
        raise refuse("lock-file")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise refuse("file-unreadable", reason=str(e)) from None
    if size == 0:
        raise refuse("empty-file")
    if size > max_bytes:
        raise refuse(
            "file-too-large",
            size_mb=format_vi_grouped(size / 2**20, 1),
            limit_mb=format_vi_grouped(max_bytes / 2**20, 0),
        )
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise refuse("file-unreadable", reason=str(e)) from None
    raw = RawFile(path, data, hashlib.sha256(data).hexdigest())
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise refuse("encrypted-workbook")
        raise refuse("legacy-xls")
    if not data.startswith(ZIP_MAGIC):
        raise refuse("not-a-zip")
    return raw


def open_zip(raw: RawFile) -> zipfile.ZipFile:
    """Open the package and refuse decompression bombs from the directory alone (nothing inflated)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw.data))
        infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise refuse("corrupt-zip") from None
    if len(infos) > MAX_MEMBERS:
        raise refuse("zip-bomb")
    total = 0
    if len({info.filename for info in infos}) != len(infos):
        raise refuse("corrupt-zip")  # two members of one name: readers would disagree on which counts
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise refuse("zip-bomb")
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise refuse("zip-bomb")
        if info.flag_bits & 0x1:
            raise refuse("encrypted-workbook")
    return z


# ------------------------------------------------------------------------------ whole workbook


def read_file(path: str | Path, *, engine: str = "calamine") -> tuple[RawFile, WorkbookData]:
    """Read a returned workbook into WorkbookData; file-level problems raise FileRefused (an Issue)."""
    raw = load_bytes(Path(path))
    z = open_zip(raw)
    pkg = read_package(z)
    if pkg.macros:
        raw.issues.append(issue("macro-enabled"))
    raw.issues += external_links(z)
    sheets: dict[str, SheetData] = {}
    scanned = set()
    for name, (part, state) in pkg.sheets.items():
        sd = SheetData(name, state=state)
        if part and part in z.NameToInfo and name in VALUE_SHEETS:
            xml = read_member(z, part)
            scanned.add(part)
            _check_extent(name, xml)
            if name in STRUCTURE_SHEETS:
                sd.formulas, sd.merges, sd.protected = scan_sheet(xml)
                if b"<hyperlink " in xml:  # memchr-fast; only then are the sheet's links read
                    raw.issues += unsafe_hyperlinks(z, part, name, xml)
            else:
                if not scannable(xml, b"<worksheet"):
                    parse_xml(xml)  # a DTD in a sheet only calamine reads: defusedxml judges it
                sd.protected = sheet_protected(xml)
        sheets[name] = sd
    # parts other readers parse (calamine: strings, styles; openpyxl for feedback: document properties)
    small = ("xl/sharedStrings.xml", "xl/styles.xml", *(n for n in z.NameToInfo if n.startswith("docProps/")))
    for part in small:
        if part in z.NameToInfo:
            xml = read_member(z, part)
            scanned.add(part)
            if b"!" in xml and (b"<!DOCTYPE" in xml or b"<!ENTITY" in xml):  # memchr first (ooxml)
                parse_xml(xml)
    for info in z.infolist():
        if info.compress_size * MAX_DEFLATE_RATIO > SMALL_INFLATE_BYTES and info.filename not in scanned:
            read_member(z, info.filename)  # could inflate big: bounded here, a lying size fails the CRC
    if engine == "openpyxl":
        _values_openpyxl(raw, sheets)
    else:
        _values_calamine(raw, sheets)
    wbd = WorkbookData(sheets, pkg.names, list(pkg.sheets), macros=pkg.macros, source=engine)
    return raw, wbd


def _check_extent(sheet: str, xml: bytes) -> None:
    """Refuse a sheet whose cells reach so far that laying it out would exhaust memory (extent.py)."""
    ext = sheet_extent(xml)
    if ext.too_large:
        cells = format_vi_grouped(float(min(ext.cells, 10**15)), 0)
        if ext.far:
            raise refuse("sheet-out-of-range", sheet=sheet, cell=ext.far, cells=cells)
        raise refuse("sheet-out-of-range", sheet=sheet, variant="spread", cells=cells)


def _values_calamine(raw: RawFile, sheets: dict[str, SheetData]) -> None:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(raw.data))
        for name in VALUE_SHEETS:
            if name in sheets:
                sh = wb.get_sheet_by_name(name)
                start = sh.start or (0, 0)
                sheets[name].grid = sh.to_python(skip_empty_area=True)
                sheets[name].origin = (start[0] + 1, start[1] + 1)
    except Exception:  # calamine raises its own error types for broken parts
        raise refuse("corrupt-workbook") from None


def _values_openpyxl(raw: RawFile, sheets: dict[str, SheetData]) -> None:
    """The slower reference reader (read-only mode), kept to measure against and for cross-checks."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw.data), read_only=True, data_only=False)
        for name in VALUE_SHEETS:
            if name in sheets:
                grid = []
                for row in wb[name].iter_rows(values_only=True):
                    grid.append([None if isinstance(v, str) and v.startswith("=") else v for v in row])
                sheets[name].grid = grid
        wb.close()
    except Exception:
        raise refuse("corrupt-workbook") from None


def from_values(
    sheets: dict[str, list[list[Any]]],
    names: dict[str, tuple[str, str]] | list[dict[str, str]],
) -> WorkbookData:
    """Build WorkbookData from what the Excel add-in sends (grids from A1, names as a list or dict).

    Formula cells arrive as their results, so formulas, merges and protection are unknown here.
    """
    if isinstance(names, list):
        pairs = {n["name"]: (n.get("sheet", ""), n.get("address", "")) for n in names}
    else:
        pairs = dict(names)
    clean: dict[str, tuple[str, str]] = {}
    for name, (sheet, address) in pairs.items():
        if "#REF!" in address.upper():  # a deleted cell: kept as the file keeps it («='Số liệu'!#REF!»)
            clean[name] = ("", address.lstrip("="))
            continue
        if "!" in address:
            dest = parse_destination(address)
            if dest:
                clean[name] = dest
                continue
            sheet, address = address.rsplit("!", 1)
        clean[name] = (sheet.strip("'"), address.replace("$", "").split(":")[0].upper())
    data = {name: SheetData(name, grid=[list(r) for r in grid]) for name, grid in sheets.items()}
    return WorkbookData(data, clean, list(sheets), structure_known=False, source="values")
