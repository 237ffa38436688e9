"""Generate the protected per-agency reporting workbooks from the plan.

A reporting officer must be able to fill the workbook without a manual, in Excel on Windows, offline:
so everything they need (instructions, prompts, Vietnamese error messages, colours) is inside the file,
and everything they must not change is locked and covered by the fingerprint in the metadata sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit import config
from xltoolkit.plan.checks import NO_DATA, STATUS_CHOICES
from xltoolkit.plan.model import Agency, Plan
from xltoolkit.template.checks import colour_checks, element_validation, list_validation
from xltoolkit.template.guard import holds_typed_data, kept_reports_error
from xltoolkit.workbook import names
from xltoolkit.workbook.layout import (
    DATA_SHEET,
    FIRST_DATA_ROW,
    GUIDE_SHEET,
    META_SHEET,
    REPORT_SHEET,
    RESULT_SHEET,
    Input,
    TemplateLayout,
    build_layout,
)
from xltoolkit.workbook.styles import BOX, CENTER, FONT, GREY, HEAD_FILL, StyleCache, a4_page, readable_page
from xltoolkit.workbook.xlio import FIXED_TIME, save_atomic

YELLOW = PatternFill("solid", fgColor="FFF2CC")
RED = PatternFill("solid", fgColor="F8CBAD")
WRAP = Alignment(wrap_text=True, vertical="center")
GUIDE_WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
INPUT_FONT = Font(name=FONT, size=12)
ADDIN_FONT = Font(name=FONT, size=11, italic=True)

ROLE_STYLE: dict[str, tuple[Font, Alignment | None, PatternFill | None]] = {
    "header-superior": (Font(name=FONT, size=12), CENTER, None),
    "header-body": (Font(name=FONT, size=12, bold=True), CENTER, None),
    "header-nation": (Font(name=FONT, size=12, bold=True), CENTER, None),
    "header-motto": (Font(name=FONT, size=13, bold=True, underline="single"), CENTER, None),
    "header-date": (Font(name=FONT, size=13, italic=True), CENTER, None),
    "title": (Font(name=FONT, size=14, bold=True), CENTER, None),
    "subtitle": (Font(name=FONT, size=12, italic=True), CENTER, None),
    "section": (Font(name=FONT, size=13, bold=True), None, None),
    "col-header": (Font(name=FONT, size=12, bold=True), CENTER, HEAD_FILL),
    "goal": (Font(name=FONT, size=12, bold=True), Alignment(vertical="center"), HEAD_FILL),
    "code": (Font(name=FONT, size=12, bold=True), CENTER, GREY),
    "task-no": (Font(name=FONT, size=12), CENTER, GREY),
    "target": (Font(name=FONT, size=12, bold=True), CENTER, GREY),
    "formula": (Font(name=FONT, size=12, bold=True), CENTER, GREY),
    "formula-count": (Font(name=FONT, size=12), CENTER, GREY),
    "formula-text": (Font(name=FONT, size=11, italic=True), CENTER, GREY),
    "check": (Font(name=FONT, size=12, bold=True, color="C00000"), WRAP, None),
    "summary": (Font(name=FONT, size=13, bold=True), Alignment(horizontal="left", vertical="center"), None),
    "total": (Font(name=FONT, size=12, bold=True), CENTER, GREY),
    "total-label": (Font(name=FONT, size=12, bold=True), WRAP, GREY),
    "signature": (Font(name=FONT, size=13, bold=True), CENTER, None),
    "signature-note": (Font(name=FONT, size=12, italic=True), CENTER, None),
    "guide-title": (Font(name=FONT, size=14, bold=True), None, None),
    "guide-subtitle": (Font(name=FONT, size=12, italic=True), None, None),
    "guide-head": (Font(name=FONT, size=13, bold=True), None, None),
    "guide-text": (Font(name=FONT, size=12), None, None),
    "guide-legend-required": (Font(name=FONT, size=12), None, YELLOW),
    "guide-legend-input": (Font(name=FONT, size=12), None, None),
    "guide-legend-locked": (Font(name=FONT, size=12), None, GREY),
    "guide-legend-error": (Font(name=FONT, size=12), None, RED),
}
DEFAULT_STYLE = (Font(name=FONT, size=12), WRAP, GREY)
TABLE_ROLES = {"code", "name", "unit", "requirement", "label", "target", "formula", "task", "task-no"}
TABLE_ROLES |= {"formula-count", "formula-text", "check"}
TABLE_ROLES |= {"col-header", "total", "total-label"}


@dataclass(frozen=True)
class GeneratedTemplate:
    agency: str
    year: int
    path: Path
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "year": self.year, "path": str(self.path)}


def template_filename(agency: Agency, year: int) -> str:
    return f"bao-cao-{year}-{agency.id}.xlsx"


def build_workbook(
    plan: Plan,
    agency: Agency,
    year: int,
    *,
    secret: bytes | None = None,
    password: str | None = None,
) -> tuple[Workbook, TemplateLayout, str]:
    """Build the template in memory; returns the workbook, its layout and its fingerprint."""
    lay = build_layout(plan, agency, year)
    fp = lay.fingerprint(secret)
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in lay.sheets}
    for ws in sheets.values():
        ws.sheet_properties.outlinePr = None
    styles = StyleCache()
    for cell in lay.cells:
        c = sheets[cell.sheet][cell.ref]
        c.value = cell.formula or cell.value
        font, align, fill = ROLE_STYLE.get(cell.role, DEFAULT_STYLE)
        styles.set(c, "font", font)
        if align:
            styles.set(c, "alignment", align)
        if fill:
            styles.set(c, "fill", fill)
        if cell.role in TABLE_ROLES:
            styles.set(c, "border", BOX)
        if cell.role == "formula":
            styles.set(c, "number_format", "0.00")
        elif cell.role == "formula-count":
            styles.set(c, "number_format", "#,##0")
    for sheet, rng in lay.merges:
        styles.merge(sheets[sheet], rng)
    _style_inputs(wb, lay, sheets, styles)
    for name, (sheet, ref) in lay.formula_names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=_abs_ref(sheet, ref))
    if lay.has_data_sheet:
        colour_checks(sheets[DATA_SHEET], lay)
        _finish_data_sheet(sheets[DATA_SHEET], lay, styles)
    _finish_report_sheet(sheets[REPORT_SHEET], lay)
    _finish_guide(sheets[GUIDE_SHEET], styles)
    _finish_result_sheet(sheets[RESULT_SHEET])
    _write_meta(sheets[META_SHEET], lay.meta(fp, keyed=secret is not None))
    for name, ws in sheets.items():
        if name not in (RESULT_SHEET, META_SHEET):
            _protect(ws, password)
    if password:
        wb.security = WorkbookProtection(workbookPassword=password, lockStructure=True)
    else:
        wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    props = wb.properties
    props.creator = "xltoolkit"
    props.lastModifiedBy = "xltoolkit"
    props.title = f"Báo cáo năm {year} - {plan.body_name(agency)}"
    props.subject = plan.name
    props.created = props.modified = FIXED_TIME
    return wb, lay, fp


def _style_inputs(
    wb: Workbook, lay: TemplateLayout, sheets: dict[str, Worksheet], styles: StyleCache
) -> None:
    """Unlock, format and validate each input cell once; every name (aliases too) is defined."""
    validations: dict[tuple[str, str, str], DataValidation] = {}
    styled: set[tuple[str, str]] = set()
    # By identity: `dv in list` compares whole DataValidation objects field by field.
    added: set[tuple[str, int]] = set()
    for inp in lay.inputs:
        wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=_abs_ref(inp.sheet, inp.ref))
        if (inp.sheet, inp.ref) in styled:
            continue  # TU_/MAU_ alias of an element input, or LYDO_ alias of a measure's notes cell
        styled.add((inp.sheet, inp.ref))
        ws = sheets[inp.sheet]
        c = ws[inp.ref]
        styles.set(c, "protection", UNLOCKED)
        styles.set(c, "border", BOX)
        styles.set(c, "font", INPUT_FONT)
        styles.set(
            c, "alignment", WRAP if inp.kind in {"task", "text", "source", "notes", "reason"} else CENTER
        )
        if inp.kind in {"numerator", "denominator", "element"}:
            styles.set(c, "number_format", "#,##0")
        elif inp.kind.startswith("budget"):
            styles.set(c, "number_format", "#,##0.00")
        if inp.required:
            blank = f"LEN(TRIM({inp.ref}))=0"
            if inp.status_ref:
                blank = f'AND({blank},TRIM({inp.status_ref})<>"{NO_DATA}")'
            ws.conditional_formatting.add(
                inp.ref, FormulaRule(formula=[blank], fill=YELLOW, stopIfTrue=False)
            )
        dv = _validation_for(inp, lay, validations)
        if dv is not None:
            if (inp.sheet, id(dv)) not in added:
                added.add((inp.sheet, id(dv)))
                ws.add_data_validation(dv)
            dv.add(inp.ref)


def _validation_for(
    inp: Input, lay: TemplateLayout, cache: dict[tuple[str, str, str], DataValidation]
) -> DataValidation | None:
    """Excel data validation of an input; one DataValidation object per distinct rule."""
    if inp.kind == "status":
        return list_validation(cache, "status", STATUS_CHOICES, strict=True)
    if inp.kind == "source":
        m = lay.plan.measure_by_code[inp.code or ""]
        return list_validation(
            cache, "source", (*(lay.plan.sources[s] for s in m.sources), "Khác"), strict=False
        )
    if inp.kind == "element":
        return element_validation(inp, lay, cache)
    rule = inp.rule
    if rule is None:
        return None
    key = ("decimal", "", rule.label)
    if key in cache:
        return cache[key]
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    dv.error = rule.excel_error()
    dv.errorTitle = "Số liệu không hợp lệ"
    dv.prompt = rule.excel_prompt()
    dv.promptTitle = "Kinh phí"
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorStyle = "stop"
    cache[key] = dv
    return dv


def _abs_ref(sheet: str, ref: str) -> str:
    col = "".join(ch for ch in ref if ch.isalpha())
    row = ref[len(col) :]
    return f"'{sheet}'!${col}${row}"


def _protect(ws: Worksheet, password: str | None) -> None:
    """Lock all but input cells; formatting stays allowed so the add-in can highlight cells."""
    ws.protection = SheetProtection(
        sheet=True, formatCells=False, selectLockedCells=False, selectUnlockedCells=False
    )
    if password:
        ws.protection.password = password


def _finish_data_sheet(ws: Worksheet, lay: TemplateLayout, styles: StyleCache) -> None:
    widths = {"code": 7, "name": 42, "unit": 12, "requirement": 13, "numerator_label": 30}
    widths |= {"numerator": 13, "numerator_status": 14, "denominator_label": 30, "denominator": 13}
    widths |= {"value": 12, "source": 22, "notes": 22, "addin_value": 13, "addin_status": 22}
    for key, letter in lay.columns.items():
        ws.column_dimensions[letter].width = widths.get(key, 10)
    ws.row_dimensions[lay.header_row].height = 45
    ws.row_dimensions[FIRST_DATA_ROW].height = 45  # header of the base figures
    for row in (*lay.measure_rows.values(), *lay.check_rows.values()):
        ws.row_dimensions[row].height = 48
    for row in lay.block_rows.values():
        ws.row_dimensions[row].height = 36
    ws.row_dimensions[int(lay.summary_ref[1:] or 4)].height = 24
    # The add-in writes status into these columns of the protected sheet: they stay unlocked.
    for row in range(FIRST_DATA_ROW, lay.last_data_row + 1):
        for key in ("addin_value", "addin_status"):
            cell = ws[f"{lay.columns[key]}{row}"]
            styles.set(cell, "protection", UNLOCKED)
            styles.set(cell, "font", ADDIN_FONT)
            styles.set(cell, "alignment", CENTER)
    # Rows 1-4 stay in view: the header and the line counting broken rules.
    ws.freeze_panes = "A5"
    # Part I and the checks have headers of their own; the measures' header repeats on every page.
    readable_page(ws, landscape=True, title_rows=f"{lay.header_row}:{lay.header_row}", title_cols="A:B")
    last_row = max((*lay.check_rows.values(), lay.last_data_row))
    ws.print_area = f"A1:{lay.columns['notes']}{last_row}"


def _finish_report_sheet(ws: Worksheet, lay: TemplateLayout) -> None:
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 60
    for row in lay.task_rows:
        ws.row_dimensions[row].height = 90
    # Room to write: difficulties get a tall box; the two-line labels of the signer's rows fit.
    heights = {names.DIFFICULTIES: 90, names.REPORTER: 32, names.PHONE: 32}
    for name, height in heights.items():
        row = int("".join(ch for ch in lay.input_by_name[name].ref if ch.isdigit()))
        ws.row_dimensions[row].height = height
    readable_page(ws, landscape=False)


def _finish_guide(ws: Worksheet, styles: StyleCache) -> None:
    """One wrapped text column as wide as an A4 portrait page, so every line prints whole."""
    ws.column_dimensions["A"].width = 88
    for row in ws.iter_rows(min_col=1, max_col=1):
        styles.set(row[0], "alignment", GUIDE_WRAP)
    a4_page(ws, landscape=False)
    ws.print_options.horizontalCentered = False


def _finish_result_sheet(ws: Worksheet) -> None:
    ws["A1"] = "Chưa kiểm tra. Bấm nút «Kiểm tra» trên thẻ «Trẻ em» để kiểm tra số liệu."
    ws["A1"].font = Font(name=FONT, size=12, italic=True)
    for col, width in zip("ABCDE", (14, 18, 10, 80, 24), strict=True):
        ws.column_dimensions[col].width = width
    readable_page(ws, landscape=True)


def _write_meta(ws: Worksheet, meta: dict[str, str]) -> None:
    for row, (key, value) in enumerate(meta.items(), start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=value).number_format = "@"
    ws.sheet_state = "veryHidden"
    ws.protection = SheetProtection(sheet=True)


def generate_templates(
    plan: Plan,
    year: int,
    out_dir: str | Path,
    agencies: list[str] | None = None,
    *,
    secret: bytes | None = None,
    password: str | None = None,
) -> list[GeneratedTemplate]:
    """Write one template per agency (all agencies by default) into `out_dir`, atomically; a filled
    report already there under a template's name is kept and named (`template-over-report`)."""
    lo, hi = plan.period
    if not lo <= year <= hi:
        from xltoolkit.errors import XltoolkitError

        raise XltoolkitError("year-outside-plan", f"Năm {year} nằm ngoài giai đoạn của kế hoạch ({lo}-{hi}).")
    plan = plan.for_year(year)  # the edition in force that year: its units, leads, consolidator
    secret = secret if secret is not None else config.fingerprint_secret()
    password = password if password is not None else config.sheet_password()
    chosen = [plan.agency(a) for a in agencies] if agencies else list(plan.agencies)
    out = Path(out_dir)
    results = []
    kept: list[Path] = []
    for agency in chosen:
        wb, lay, fp = build_workbook(plan, agency, year, secret=secret, password=password)
        target = out / template_filename(agency, year)
        if target.exists() and holds_typed_data(target, lay.inputs):
            kept.append(target)  # a filled report under the template's name: never replaced
            continue
        path = save_atomic(wb, target)
        results.append(GeneratedTemplate(agency.id, year, path, fp))
    if kept:
        raise kept_reports_error(kept, len(results))
    return results
