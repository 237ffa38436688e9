"""Lay out a `ReportDocument` as a Word file in the form of Nghị định 30/2020/NĐ-CP, Phụ lục I.

A4; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman; body 14 pt; national
header block (Quốc hiệu 12 pt bold upper case, Tiêu ngữ 13 pt bold with a rule line the length of
the text), issuing body bold under its parent body with a short rule line, number and the italic
place/date line on one level; page numbers centred in the header from page 2; «Nơi nhận» bold
italic 12 pt with its list in 11 pt; appendices on their own pages (landscape where wide) with
header rows repeated on every page. Plain paragraphs and tables only, so the officer edits freely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt

from xltoolkit.report.document import Block, ReportDocument, Table
from xltoolkit.workbook.xlio import write_atomic

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
HEADER_LEFT_CM, HEADER_RIGHT_CM = 7.0, 9.5
#: Characters of an upper-case 12-pt bold line that fit the left column (greedy wrap by words).
HEADER_LINE_CHARS = 25


# ------------------------------------------------------------------------------------ low level


def _run(p: Any, text: str, size: float = BODY_PT, *, bold: bool = False, italic: bool = False) -> Any:
    r = p.add_run(text)
    if size != BODY_PT:  # the Normal style's size otherwise
        r.font.size = Pt(size)
    if bold:
        r.font.bold = True
    if italic:
        r.font.italic = True
    return r


def _para(
    container: Any,
    text: str = "",
    size: float = BODY_PT,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
    after: float = 0,
    first_indent: float | None = None,
    left_indent: float | None = None,
) -> Any:
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(after)
    if first_indent is not None:
        fmt.first_line_indent = Cm(first_indent)
    if left_indent is not None:
        fmt.left_indent = Cm(left_indent)
    if text:
        _run(p, text, size, bold=bold, italic=italic)
    return p


def _rule(container: Any, length_cm: float, width_cm: float, *, after: float = 0) -> None:
    """A centred solid line `length_cm` long: the top border of an empty, indented 1-pt paragraph."""
    p = _para(container, "", 1, after=after)
    p.paragraph_format.space_before = Pt(3)
    side = max(0.0, (width_cm - length_cm) / 2)
    p.paragraph_format.left_indent = Cm(side)
    p.paragraph_format.right_indent = Cm(side)
    p.paragraph_format.line_spacing = Pt(1)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in {"w:val": "single", "w:sz": "6", "w:space": "1", "w:color": "000000"}.items():
        top.set(qn(k), v)
    bdr.append(top)
    ppr.append(bdr)


def _field(p: Any, code: str, size: float) -> None:
    """A Word field (PAGE): begin, instruction, separator, placeholder, end."""
    for kind, text in (("begin", None), ("instr", code), ("separate", None), ("text", "1"), ("end", None)):
        r = _run(p, "", size)
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        elif kind == "text":
            r.text = "1"
            continue
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        r._r.append(el)


def wrap_words(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, broken between words (a word longer stays whole):
    an issuing body's name must not break inside «THƯƠNG BINH» where the cell happens to end."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _no_borders(table: Any) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tblpr.append(borders)
    margins = OxmlElement("w:tblCellMar")  # the header's lines need the full column width
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "28")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr.append(margins)


def _widths(table: Any, widths: list[float]) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for tr in table._tbl.tr_lst:
        for tc, w in zip(tr.tc_lst, widths, strict=False):
            tc.width = Cm(w)


def _cell(table: Any, row: int, col: int) -> Any:
    cell = table.cell(row, col)
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return cell


# ------------------------------------------------------------------------------------ page setup


def _setup(doc: Any) -> None:
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for k in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(k), FONT)
    style.paragraph_format.space_after = Pt(0)
    _page(doc.sections[0], landscape=False)
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(header, "PAGE", 13)


def _page(section: Any, *, landscape: bool) -> None:
    long, short = Mm(297), Mm(210)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _content_cm(landscape: bool) -> float:
    return (297 if landscape else 210) / 10 - (MARGINS_MM["left"] + MARGINS_MM["right"]) / 10


# ------------------------------------------------------------------------------------ the parts


def _national_header(doc: Any, rep: ReportDocument) -> None:
    t = doc.add_table(rows=2, cols=2)
    _no_borders(t)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = _cell(t, 0, 0), _cell(t, 0, 1)
    if rep.parent_body:
        _para(left, "\n".join(wrap_words(rep.parent_body, HEADER_LINE_CHARS)), 12)
    _para(left, "\n".join(wrap_words(rep.issuing_body, HEADER_LINE_CHARS)), 12, bold=True)
    _rule(left, 2.2, HEADER_LEFT_CM)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True)
    _rule(right, 6.0, HEADER_RIGHT_CM)
    _para(_cell(t, 1, 0), rep.number, 13, after=0).paragraph_format.space_before = Pt(6)
    _para(_cell(t, 1, 1), rep.place_date, 14, italic=True).paragraph_format.space_before = Pt(6)
    _widths(t, [HEADER_LEFT_CM, HEADER_RIGHT_CM])


def _title(doc: Any, rep: ReportDocument) -> None:
    _para(doc, "", after=6)
    _para(doc, rep.title, 14, bold=True)
    _para(doc, rep.subject, 14, bold=True)
    _rule(doc, 4.0, _content_cm(False), after=6)
    if len(rep.recipients) == 1:
        _para(doc, f"Kính gửi: {rep.recipients[0]}.", 14, after=12)
    elif rep.recipients:
        _para(doc, "Kính gửi:", 14, align=WD_ALIGN_PARAGRAPH.LEFT, left_indent=2.5)
        for i, r in enumerate(rep.recipients):
            end = "." if i == len(rep.recipients) - 1 else ";"
            after = 12 if end == "." else 0
            _para(doc, f"- {r}{end}", 14, align=WD_ALIGN_PARAGRAPH.LEFT, left_indent=4.5, after=after)


def _block(doc: Any, b: Block) -> None:
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    if b.style == "heading1":
        p = _para(doc, b.text, bold=True, align=justify, first_indent=1.0, after=6)
        p.paragraph_format.space_before = Pt(6)
        p.paragraph_format.keep_with_next = True
    elif b.style == "heading2":
        p = _para(doc, b.text, bold=True, align=justify, first_indent=1.0, after=6)
        p.paragraph_format.keep_with_next = True
    elif b.style == "heading3":
        p = _para(doc, b.text, bold=True, italic=True, align=justify, first_indent=1.0, after=6)
        p.paragraph_format.keep_with_next = True
    elif b.style == "bullet":
        _para(doc, f"- {b.text}", align=justify, first_indent=1.0, after=6)
    elif b.style == "placeholder":
        _para(doc, b.text, italic=True, align=justify, first_indent=1.0, after=6)
    else:
        _para(doc, b.text, align=justify, first_indent=1.0, after=6)


def _signature(doc: Any, rep: ReportDocument) -> None:
    t = doc.add_table(rows=1, cols=2)
    _no_borders(t)
    left, right = _cell(t, 0, 0), _cell(t, 0, 1)
    p = _para(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.space_before = Pt(12)
    for line in rep.distribution:
        _para(left, f"- {line}", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    s = rep.signature
    first = _para(right, s.authority or s.title, 14, bold=True)
    first.paragraph_format.space_before = Pt(12)
    if s.authority:
        _para(right, s.title, 14, bold=True)
    _para(right, "(Ký, ghi rõ họ tên, đóng dấu)", 13, italic=True)
    for _ in range(4):
        _para(right, "")
    _para(right, s.name or "", 14, bold=True)
    _widths(t, [7.5, 9.0])


def _appendix(doc: Any, rep: ReportDocument, tab: Table) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=tab.landscape)
    section.different_first_page_header_footer = False
    _para(doc, tab.label, 14, bold=True)
    _para(doc, tab.title, 14, bold=True)
    ref = rep.number.replace("Số:", "số").replace("      ", " …")
    _para(doc, f"(Kèm theo Báo cáo {ref} ngày … tháng … năm {rep.year})", 14, italic=True, after=6)
    table = doc.add_table(rows=0, cols=len(tab.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [w for _, w in tab.columns]
    _widths(table, widths)
    wide = _wide(tab)
    tbl = table._tbl
    tbl.append(_row_xml([c for c, _ in tab.columns], widths, set(), header=True))
    for values in tab.rows:
        tbl.append(_row_xml(list(values), widths, wide, header=False))
    if tab.note:
        _para(
            doc, tab.note, 12, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY
        ).paragraph_format.space_before = Pt(6)


def _row_xml(values: list[str], widths: list[float], left: set[int], *, header: bool) -> Any:
    """A table row as WordprocessingML, built as text: python-docx's per-cell API is quadratic-ish
    and made a 35-row appendix the slowest part of the report."""
    size = TABLE_PT * 2  # half-points
    cells = []
    for c, (text, w) in enumerate(zip(values, widths, strict=False)):
        jc = "left" if c in left else "center"
        rpr = f'<w:rPr>{"<w:b/>" if header else ""}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
        run = f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
        cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{int(Cm(w).twips)}" w:type="dxa"/></w:tcPr>'
            f'<w:p><w:pPr><w:spacing w:before="20" w:after="20"/><w:jc w:val="{jc}"/></w:pPr>'
            f"{run}</w:p></w:tc>"
        )
    trpr = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>"
    return parse_xml(f"<w:tr {nsdecls('w')}>{trpr}{''.join(cells)}</w:tr>")


def _wide(tab: Table) -> set[int]:
    """Columns of prose (left aligned): the widest ones."""
    widest = max(w for _, w in tab.columns)
    return {i for i, (_, w) in enumerate(tab.columns) if w >= min(widest, 4.0)}


# ------------------------------------------------------------------------------------ entry


def render(rep: ReportDocument) -> Any:
    """The python-docx Document of `rep` (not saved)."""
    doc = Document()
    _setup(doc)
    doc.core_properties.title = f"{rep.title} {rep.subject}"
    doc.core_properties.language = "vi-VN"
    _national_header(doc, rep)
    _title(doc, rep)
    for b in rep.body:
        _block(doc, b)
    _signature(doc, rep)
    for tab in rep.appendices:
        _appendix(doc, rep, tab)
    return doc


def write_docx(rep: ReportDocument, path: str | Path) -> Path:
    """Save the report atomically: a crash never leaves half a document where the officer looks."""
    doc = render(rep)
    return write_atomic(path, lambda tmp: doc.save(str(tmp)))
