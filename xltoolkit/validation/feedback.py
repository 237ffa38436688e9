"""Annotated copies of returned workbooks: failing cells in red with a comment, issues listed in a sheet.

The officer gets back their own file with every problem pointed at, and the list on the sheet
«Kết quả kiểm tra» (replacing whatever was there). The original is only read; the copy is written
atomically into another folder, without macros (an annotated copy never carries code).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import SEVERITY_FILLS, SEVERITY_LABELS, Issue, issue
from xltoolkit.validation.ooxml import safe_link
from xltoolkit.validation.results import FileReport, ValidationReport
from xltoolkit.workbook.layout import RESULT_SHEET
from xltoolkit.workbook.styles import a4_page
from xltoolkit.workbook.xlio import save_atomic

FILLS = {severity: PatternFill("solid", fgColor=rgb) for severity, rgb in SEVERITY_FILLS.items()}
FONT = "Times New Roman"
HEADERS = ("Mức độ", "Trang", "Ô", "Nội dung", "Mã")


def annotated_path(src: Path, out_dir: Path) -> Path:
    """`out_dir/<name>.xlsx`; never the original itself, even when out_dir is its folder."""
    return feedback_paths([src], out_dir)[0]


def feedback_paths(sources: list[Path], out_dir: Path) -> list[Path]:
    """A distinct copy path for each source, none of them any source's own path.

    `x.xlsx` and `x.xlsm` side by side, or two `x.xlsx` in two subfolders, must not share a copy,
    and with `out_dir` the sources' folder a copy must not land on another returned file.
    """
    inputs = {_key(p) for p in sources}
    taken: set[Path] = set()
    out = []
    for src in sources:
        candidates = [
            f"{src.stem}.xlsx",
            f"{src.stem}-kiem-tra.xlsx",
            f"{src.stem}-{src.suffix.lstrip('.').lower()}-kiem-tra.xlsx",
            f"{src.parent.name}-{src.stem}-kiem-tra.xlsx",
        ]
        candidates += [f"{src.stem}-kiem-tra-{n}.xlsx" for n in range(2, len(sources) + 2)]
        target = next(out_dir / c for c in candidates if _key(out_dir / c) not in inputs | taken)
        taken.add(_key(target))
        out.append(target)
    return out


def _key(path: Path) -> Path:
    return path.resolve()


def annotate_file(
    report: FileReport, out_dir: str | Path, target: Path | None = None, inputs: set[Path] | None = None
) -> Path | None:
    """Write the annotated copy of one file; None when the file could not be opened as a workbook.

    `inputs`: the resolved paths of every file of the run; a copy is never written over one.
    """
    src = Path(report.path)
    if report.sha256 is None:
        return None  # refused before reading (not a workbook, encrypted, bomb...): nothing to annotate
    try:
        wb = openpyxl.load_workbook(src)
    except Exception:
        return None
    _drop_unsafe_links(wb)
    _mark_cells(wb, report.issues)
    _write_result_sheet(wb, report)
    target = target or annotated_path(src, Path(out_dir))
    if _key(target) in (inputs or set()) | {_key(src)}:
        raise XltoolkitError("annotate-overwrite", "Không được ghi đè lên tệp gốc.")
    return save_atomic(wb, target)


def _mark_cells(wb: openpyxl.Workbook, found: list[Issue]) -> None:
    """Fill and comment every cell an issue names; a cell inside a merged range is marked on the
    range's top-left cell, the only one Excel shows (and openpyxl lets write), with the comments of
    all issues landing there joined, so no issue goes unshown and the copy is still written."""
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for i in found:
        if i.sheet and i.cell and i.sheet in wb.sheetnames:
            by_cell[(i.sheet, _shown_cell(wb[i.sheet], i.cell))].append(i)
    for (sheet, ref), issues in by_cell.items():
        try:
            cell = wb[sheet][ref]
        except (ValueError, KeyError, AttributeError, IndexError):
            continue
        if not isinstance(cell, Cell):
            continue  # a range, or a merged cell's hidden part left over
        cell.fill = FILLS["error" if any(i.is_error for i in issues) else "warning"]
        text = "\n".join(f"[{SEVERITY_LABELS[i.severity]}] {i.message}" for i in issues)
        comment = Comment(text[:30000], "xltoolkit")
        comment.width, comment.height = 420, 160
        cell.comment = comment


def _shown_cell(ws: Worksheet, ref: str) -> str:
    """The top-left cell of the merged range holding `ref`, or `ref` itself."""
    for rng in ws.merged_cells.ranges:
        try:
            inside = ref in rng
        except (ValueError, TypeError):
            return ref
        if inside:
            return f"{get_column_letter(rng.min_col)}{rng.min_row}"
    return ref


def _drop_unsafe_links(wb: openpyxl.Workbook) -> None:
    """javascript:, file: and other non-web links never travel back in a copy (the issue warns)."""
    for ws in wb.worksheets:
        for cell in list(getattr(ws, "_cells", {}).values()):
            link = getattr(cell, "hyperlink", None)
            if link is not None and link.target and not safe_link(link.target):
                cell.hyperlink = None
        # openpyxl writes the sheet's own list, filled while loading: filter it too
        kept = [h for h in getattr(ws, "_hyperlinks", []) if not h.target or safe_link(h.target)]
        ws._hyperlinks = kept


def _write_result_sheet(wb: openpyxl.Workbook, report: FileReport) -> None:
    if RESULT_SHEET in wb.sheetnames:
        old = wb[RESULT_SHEET]
        index = wb.sheetnames.index(RESULT_SHEET)
        wb.remove(old)
        ws = wb.create_sheet(RESULT_SHEET, index)
    else:
        ws = wb.create_sheet(RESULT_SHEET)
    for col, width in zip("ABCDE", (12, 22, 9, 90, 28), strict=True):
        ws.column_dimensions[col].width = width
    a4_page(ws, landscape=True, title_rows="3:3")
    errors = sum(i.is_error for i in report.issues)
    warnings = len(report.issues) - errors
    if not report.issues:
        summary = "Không phát hiện lỗi. Có thể gửi tệp này."
    else:
        summary = f"Phát hiện {errors} lỗi và {warnings} cảnh báo. Sửa các ô tô màu đỏ rồi kiểm tra lại."
    ws["A1"] = summary
    ws["A1"].font = Font(name=FONT, size=12, bold=True)
    for j, h in enumerate(HEADERS, start=1):
        c = ws.cell(row=3, column=j, value=h)
        c.font = Font(name=FONT, size=12, bold=True)
    order = sorted(report.issues, key=lambda i: (not i.is_error, i.sheet or "", _row_of(i.cell)))
    for r, i in enumerate(order, start=4):
        values = (SEVERITY_LABELS[i.severity], i.sheet or "", i.cell or "", i.message, i.code)
        for j, v in enumerate(values, start=1):
            c = ws.cell(row=r, column=j, value=v)
            c.font = Font(name=FONT, size=11, color="C00000" if i.is_error and j == 1 else None)
            c.alignment = Alignment(wrap_text=True, vertical="top")
    wb.active = wb.sheetnames.index(RESULT_SHEET)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other.title == RESULT_SHEET


def _row_of(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits or 0), cell)


def annotate_report(report: ValidationReport, out_dir: str | Path) -> list[Path]:
    """Annotated copies of every readable file of a run; a file without one gets an issue saying why."""
    sources = [Path(f.path) for f in report.files]
    inputs = {_key(p) for p in sources}
    out = []
    for f, target in zip(report.files, feedback_paths(sources, Path(out_dir)), strict=True):
        p = annotate_file(f, out_dir, target, inputs)
        if p is not None:
            out.append(p)
        else:
            f.issues.append(issue("no-feedback-copy"))
    return out
