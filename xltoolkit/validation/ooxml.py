"""Just enough of the OOXML package, read safely and fast: defined names, sheets, formulas, merges.

calamine gives cell values only; the checks also need the workbook's defined names, each sheet's
formulas (to recompute the fingerprint), merged ranges and protection flag. Small parts are scanned
with regular expressions when they carry no DTD (the only way to declare entities); any part with a
DTD, or with unusual prefixed tags, goes to defusedxml, which rejects entity attacks. The scan is
far cheaper than defusedxml's pure-Python parser, and it runs for every file of a run.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from xml.sax.saxutils import unescape

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException
from openpyxl.formula.translate import Translator

from xltoolkit.issues import Issue, issue
from xltoolkit.validation.batch import memo

#: True: parse every part with defusedxml (slower); the scan gives the same result
#: (tests/test_read.py checks both paths agree), so it stays off on the hot path.
ALWAYS_PARSE = False

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class FileRefused(Exception):
    """Stops reading a file that cannot be used at all; carries the `Issue` that says why."""

    def __init__(self, found: Issue):
        super().__init__(found.code)
        self.issue = found


def refuse(code: str, **kw: Any) -> FileRefused:
    """`raise refuse("corrupt-zip")`: the file-level issue, as the exception that ends the read."""
    return FileRefused(issue(code, **kw))


def read_member(z: zipfile.ZipFile, name: str) -> bytes:
    """Inflate one member; zipfile stops at the declared size and checks the CRC (lying headers fail).

    Small members are served from `_INFLATED` when their compressed bytes, method, size and CRC are
    those of a member inflated before: the files of a run repeat the workbook part, styles,
    properties and the unchanged sheets of their template byte for byte, and inflating the same
    stream again can only give the same bytes (which passed the same CRC check then).
    """
    try:
        info = z.getinfo(name)
        key = _stream_key(z, info)
        if key is not None and (hit := _INFLATED.get(key)) is not None:
            return hit
        data = z.read(info)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise refuse("corrupt-zip") from None
    if key is not None:
        _remember(key, data)
    return data


#: (method, CRC, size, compressed stream) -> inflated bytes; bounded by INFLATED_BUDGET bytes.
_INFLATED: dict[tuple[int, int, int, bytes], bytes] = {}
_INFLATED_BYTES = [0]
INFLATED_BUDGET = 32 * 2**20
CACHED_MEMBER_BYTES = 64 * 2**10
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra field lengths


def _stream_key(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int, int, bytes] | None:
    """The member's compressed stream as a cache key (None: too big to cache, or not in memory)."""
    if info.file_size > CACHED_MEMBER_BYTES or not isinstance(z.fp, io.BytesIO):
        return None
    buf = z.fp.getbuffer()
    try:
        at = info.header_offset
        sig, n_name, n_extra = _LOCAL_HEADER.unpack_from(buf, at)
        if sig != b"PK\x03\x04":
            return None  # zipfile.read() reports it
        start = at + _LOCAL_HEADER.size + n_name + n_extra
        stream = bytes(buf[start : start + info.compress_size])
    except struct.error:
        return None
    finally:
        buf.release()
    return info.compress_type, info.CRC, info.file_size, stream


def _remember(key: tuple[int, int, int, bytes], data: bytes) -> None:
    if _INFLATED_BYTES[0] + len(data) > INFLATED_BUDGET:
        _INFLATED.clear()
        _INFLATED_BYTES[0] = 0
    _INFLATED[key] = data
    _INFLATED_BYTES[0] += len(data) + len(key[3])


def parse_xml(data: bytes) -> Any:
    """Parse a package part with defusedxml; entity tricks become a file fault, not a hang."""
    try:
        return DET.fromstring(data)
    except DefusedXmlException:
        raise refuse("unsafe-xml") from None
    except DET.ParseError:
        raise refuse("corrupt-xml") from None


# ------------------------------------------------------------------------------ package structure


@dataclass
class Package:
    """What the workbook part says: sheets in order (name -> (part path, state)) and defined names."""

    sheets: dict[str, tuple[str, str]]
    names: dict[str, tuple[str, str]]
    macros: bool


_NAME_DEST = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)$")


@memo(8192)
def parse_destination(text: str) -> tuple[str, str] | None:
    """ "'Số liệu'!$H$11" -> ("Số liệu", "H11"); None for ranges, #REF! and formulas."""
    m = _NAME_DEST.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") if m.group(1) else m.group(2)
    return sheet, f"{m.group(3)}{m.group(4)}"


def _resolve_target(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath("xl") / target).replace("xl/../", "")


def read_package(z: zipfile.ZipFile) -> Package:
    members = set(z.namelist())
    if "xl/workbook.bin" in members:
        raise refuse("unsupported-format", kind="Sổ làm việc nhị phân (.xlsb)")
    if "mimetype" in members or "content.xml" in members:
        raise refuse("unsupported-format", kind="OpenDocument (.ods)")
    if "xl/workbook.xml" not in members:
        raise refuse("not-a-workbook")
    # Content types are only searched for the macro-enabled marker, never parsed.
    ctypes = read_member(z, "[Content_Types].xml") if "[Content_Types].xml" in members else b""
    macros = "xl/vbaProject.bin" in members or b"macroEnabled" in ctypes
    wb_xml = read_member(z, "xl/workbook.xml")
    rels_path = "xl/_rels/workbook.xml.rels"
    rels_xml = read_member(z, rels_path) if rels_path in members else b""
    sheets, names = _workbook_parts(wb_xml, rels_xml, ALWAYS_PARSE)
    return Package(dict(sheets), dict(names), macros)


@memo(256)
def _workbook_parts(
    wb_xml: bytes, rels_xml: bytes, always_parse: bool
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Sheets and defined names from the workbook part and its relationships.

    Cached by the parts' exact bytes: files made from one template and saved by the same program
    carry the same workbook part (only sheet XML holds the officer's input), and its ~150 defined
    names are read once. Identical bytes give an identical result, so this changes
    nothing but time; a part that fails to parse raises and is not cached. Callers get copies.
    """
    if scannable(wb_xml, b"<workbook") and scannable(rels_xml, b"<Relationships"):
        targets = {
            a.get("Id"): _resolve_target(a.get("Target", "")) for a in map(attrs, _REL.findall(rels_xml))
        }
        sheet_attrs = [attrs(a) for a in _WB_SHEET.findall(wb_xml)]
        name_items = [
            ({"name": _text(m.group(1)), **({"localSheetId": "1"} if b"localSheetId" in a else {})}, _text(t))
            for a, t in _WB_NAME.findall(wb_xml)
            if (m := _NAME_ATTR.search(a))
        ]
    else:
        wb, rels = parse_xml(wb_xml), parse_xml(rels_xml) if rels_xml else None
        targets = {}
        if rels is not None:
            for r in rels.iter(f"{NS_PKG_REL}Relationship"):
                targets[r.get("Id")] = _resolve_target(r.get("Target", ""))
        sheet_attrs = [
            {k.replace(NS_REL, "r:"): v for k, v in e.attrib.items()} for e in wb.iter(f"{NS_MAIN}sheet")
        ]
        name_items = [(dict(e.attrib), e.text or "") for e in wb.iter(f"{NS_MAIN}definedName")]
    sheets: dict[str, tuple[str, str]] = {}
    for a in sheet_attrs:
        rid = next((v for k, v in a.items() if k.endswith(":id")), "")
        sheets[a.get("name", "")] = (targets.get(rid, ""), a.get("state") or "visible")
    names: dict[str, tuple[str, str]] = {}
    for a, text in name_items:
        name = a.get("name", "")
        if a.get("localSheetId") is not None or name.startswith("_xlnm."):
            continue
        dest = parse_destination(text)
        names[name] = dest if dest else ("", text.strip())
    return sheets, names


def scannable(xml: bytes, root: bytes) -> bool:
    """A part may be scanned (not parsed) when it has no DTD and uses the usual unprefixed tags.

    A DTD is the only way to declare entities, so any part with one goes to defusedxml instead,
    which rejects entity attacks; so do unusual (prefixed) parts, for correctness.
    """
    if not xml:
        return True
    if ALWAYS_PARSE:
        return False
    # '<!DOCTYPE' and '<!ENTITY' both contain '!', which a one-byte search (memchr) rules out
    # cheaply; the two searches below are dearer ('<' is everywhere in XML).
    if b"!" in xml and (_DOCTYPE.search(xml) is not None or b"<!ENTITY" in xml):
        return False
    return root in xml


# ------------------------------------------------------------------------------ sheet XML scan

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_PREFIXED = re.compile(rb"<\w+:worksheet\b")
_REF_ATTR = re.compile(rb"""\br\s*=\s*["']([A-Z]{1,3}[0-9]+)["']""")
#: Greedy attributes: `[^>]*` stops at the tag's first '>' either way, and the look-behind then
#: refuses '<c .../>'; same matches as a lazy `[^>]*?`, without a look-behind test at every byte.
_CELL_F = re.compile(rb"<c\b([^>]*)(?<!/)>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_F_TAG = re.compile(rb"<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_CELL_OPEN = re.compile(rb"<c\b([^>]*)(?<!/)>\s*")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_WB_SHEET = re.compile(rb"<sheet\b([^>]*?)/?>")
_WB_NAME = re.compile(rb"<definedName\b([^>]*)>([^<]*)</definedName>")
_NAME_ATTR = re.compile(rb"""\bname\s*=\s*["']([^"']*)["']""")
_REL = re.compile(rb"<Relationship\b([^>]*?)/?>")
_ENTITIES = {"&quot;": '"', "&apos;": "'"}
_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")


def _char(m: re.Match[str]) -> str:
    """One XML character reference; '&' itself stays escaped for `unescape` to resolve once."""
    code = m.group(1)
    n = int(code[1:], 16) if code[0] in "xX" else int(code)
    try:
        ch = chr(n)
    except (ValueError, OverflowError):
        return m.group(0)
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(ch, ch)


_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([^"]+)"')
PROTECT = re.compile(rb"<sheetProtection\b([^>]*)/?>")


@memo()
def _text(raw: bytes) -> str:
    """Attribute and formula text; cached because every file of a template repeats the same ~300."""
    text = raw.decode("utf-8")
    if "&" not in text:
        return text
    if "&#" in text:  # character references: writers escape non-ASCII text in formulas this way
        text = _CHAR_REF.sub(_char, text)
    return unescape(text, _ENTITIES)


def attrs(text: bytes) -> dict[str, str]:
    return {k.decode(): _text(v or w) for k, v, w in _ATTR.findall(text)}


def is_true(v: str | None) -> bool:
    return v is not None and v.lower() in {"1", "true"}


def scan_sheet(xml: bytes) -> tuple[dict[str, str], list[str], bool]:
    """Formulas (ref -> '=...'), merged ranges and the protection flag of one sheet part."""
    if not scannable(xml, b"<worksheet") or _PREFIXED.search(xml[:4096]):
        return _parse_sheet(xml)
    formulas = dict(_formulas(tuple(_formula_cells(xml))))
    merges: list[str] = []
    start = xml.find(b"<mergeCell")  # merges are listed once, in <mergeCells>: searched only there
    if start >= 0:
        end = xml.find(b"</mergeCells>", start)
        merges = list(_merges(xml[start : end if end >= 0 else len(xml)]))
    return formulas, merges, sheet_protected(xml)


@memo(64)
def _merges(part: bytes) -> tuple[str, ...]:
    """Merged ranges of a <mergeCells> block, cached by its bytes (every file of a template repeats it)."""
    return tuple(m.decode() for m in _MERGE.findall(part))


@memo(64)
def _formulas(found: tuple[tuple[bytes, bytes, bytes], ...]) -> dict[str, str]:
    """Formulas by cell from the found (cell attributes, formula attributes, text) triples.

    Cached by the triples: files of one template repeat the same formulas (their cached values,
    which differ, are not part of the triples). Callers get a copy (`scan_sheet`)."""
    formulas: dict[str, str] = {}
    shared: dict[str, tuple[str, str]] = {}
    pending: list[tuple[str, str]] = []
    for cattrs, fattrs, ftext in found:
        r = _REF_ATTR.search(cattrs)
        ref = r.group(1).decode() if r else ""
        fa = attrs(fattrs) if b"=" in fattrs else {}
        text = _text(ftext) if ftext else ""
        _collect_formula(formulas, shared, pending, ref, fa, text)
    _resolve_shared(formulas, shared, pending)
    return formulas


def _formula_cells(xml: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """(cell attributes, formula attributes, formula text) of every cell whose first child is <f>.

    Found from the formulas, not the cells: a sheet has far fewer formulas than cells, and the
    search for '<f' skips the rest at C speed. Each formula's cell is the nearest '<c' before it and
    must open right before it (whitespace between), exactly what `_CELL_F` matches cell by cell
    (tests compare the two) in the cells part of the sheet.
    """
    out = []
    end = xml.rfind(b"</sheetData>")  # cells live in <sheetData>; rules and validations are not searched
    for m in _F_TAG.finditer(xml, 0, end if end >= 0 else len(xml)):
        start = xml.rfind(b"<c", 0, m.start())
        cell = _CELL_OPEN.fullmatch(xml, start, m.start()) if start >= 0 else None
        if cell is not None:
            out.append((cell.group(1), m.group(1), m.group(2) or b""))
    return out


def sheet_protected(xml: bytes) -> bool:
    start = xml.find(b"<sheetProtection")
    prot = PROTECT.search(xml, start) if start >= 0 else None
    return prot is not None and is_true(attrs(prot.group(1)).get("sheet"))


def _collect_formula(
    formulas: dict[str, str],
    shared: dict[str, tuple[str, str]],
    pending: list[tuple[str, str]],
    ref: str,
    fa: dict[str, str],
    text: str,
) -> None:
    if fa.get("t") == "shared":
        si = fa.get("si", "")
        if text:
            shared[si] = (ref, text)
            formulas[ref] = "=" + text
        else:
            pending.append((ref, si))
    elif ref and text:
        formulas[ref] = "=" + text


def _resolve_shared(
    formulas: dict[str, str], shared: dict[str, tuple[str, str]], pending: list[tuple[str, str]]
) -> None:
    """Shared formulas (Excel writes a copied-down formula once): translate the master to each cell."""
    for ref, si in pending:
        if si in shared:
            origin, text = shared[si]
            try:
                formulas[ref] = Translator("=" + text, origin=origin).translate_formula(ref)
            except Exception:
                formulas[ref] = "=" + text


def _parse_sheet(xml: bytes) -> tuple[dict[str, str], list[str], bool]:
    """The slow, general path (prefixed XML, or a part with a DOCTYPE): a full defusedxml parse."""
    root = parse_xml(xml)
    formulas: dict[str, str] = {}
    shared: dict[str, tuple[str, str]] = {}
    pending: list[tuple[str, str]] = []
    for c in root.iter(f"{NS_MAIN}c"):
        f = c.find(f"{NS_MAIN}f")
        if f is not None:
            _collect_formula(formulas, shared, pending, c.get("r", ""), dict(f.attrib), f.text or "")
    _resolve_shared(formulas, shared, pending)
    merges = [m.get("ref", "") for m in root.iter(f"{NS_MAIN}mergeCell")]
    prot = root.find(f"{NS_MAIN}sheetProtection")
    return formulas, merges, prot is not None and is_true(prot.get("sheet"))


# ------------------------------------------------------------------------------ links out of the file

#: Hyperlink schemes a feedback copy may keep; anything else (javascript:, file:, …) is dropped.
SAFE_LINK_SCHEMES = ("http:", "https:", "mailto:")
_HYPERLINK = re.compile(rb"<hyperlink\b([^>]*?)/?>")


def safe_link(target: str) -> bool:
    return target.strip().lower().startswith(SAFE_LINK_SCHEMES)


def external_links(z: zipfile.ZipFile) -> list[Issue]:
    """Links to other workbooks or programs (DDE): a template has none, and their values can't be trusted."""
    parts = sorted(n for n in z.NameToInfo if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
    if not parts:
        return []
    dde = any(b"<ddeLink" in read_member(z, p) for p in parts)
    kind = "DDE, có thể chạy chương trình khác" if dde else "tới sổ làm việc khác"
    return [issue("external-link", count=len(parts), kind=kind)]


def unsafe_hyperlinks(z: zipfile.ZipFile, part: str, sheet: str, xml: bytes) -> list[Issue]:
    """Hyperlinks of a sheet whose target is not a web or mail address, each at its cell."""
    folder, _, file = part.rpartition("/")
    rels_part = f"{folder}/_rels/{file}.rels"
    rels = read_member(z, rels_part) if rels_part in z.NameToInfo else b""
    if rels and not scannable(rels, b"<Relationships"):
        parse_xml(rels)
    targets = {a.get("Id"): a.get("Target", "") for a in map(attrs, _REL.findall(rels))}
    out = []
    for raw in _HYPERLINK.findall(xml):
        a = attrs(raw)
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        target = targets.get(rid, "") if rid else ""
        if target and not safe_link(target):
            out.append(issue("unsafe-hyperlink", sheet, a.get("ref", "").split(":")[0], target=target[:80]))
    return out
