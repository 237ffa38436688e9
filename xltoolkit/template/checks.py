"""Drawing of the in-workbook checks: input validation of elements, drop-downs, rule colours.

The positions and formulas come from the layout (workbook/datasheet.py); this module only turns them
into openpyxl data validations and conditional formats, which Excel, LibreOffice and WPS all honour
without macros.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.plan.checks import NO_DATA
from xltoolkit.workbook.layout import Input, TemplateLayout

RULE_RED = PatternFill("solid", fgColor="F8CBAD")
OK_GREEN = PatternFill("solid", fgColor="E2EFDA")
NO_DATA_GREY = PatternFill("solid", fgColor="D9D9D9")

STATUS_PROMPT = (
    f"Để trống nếu đã nhập số liệu. Chọn «{NO_DATA}» nếu đơn vị không có số liệu này "
    "(không nhập 0) và ghi lý do ở ô bên cạnh."
)
NO_DATA_HINT = f"Không có số liệu: để trống ô số, chọn «{NO_DATA}» ở ô Tình trạng."


def list_validation(
    cache: dict[tuple[str, str, str], DataValidation], kind: str, choices: tuple[str, ...], *, strict: bool
) -> DataValidation:
    """A drop-down. `strict=False` accepts free text too (the «Khác» case of sources)."""
    text = ",".join(choices)
    key = ("list", kind, text)
    if key in cache:
        return cache[key]
    dv = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True)
    dv.showInputMessage = True
    if kind == "status":
        dv.promptTitle, dv.prompt = "Tình trạng số liệu", STATUS_PROMPT
        dv.errorTitle, dv.error = "Tình trạng không hợp lệ", "Chỉ chọn trong danh sách, hoặc để trống."
    else:
        dv.promptTitle = "Nguồn số liệu"
        dv.prompt = (
            "Chọn nguồn trong danh sách; nguồn khác: chọn «Khác» hoặc gõ tên nguồn và ghi rõ ở cột Ghi chú."
        )
    dv.showErrorMessage = strict
    dv.errorStyle = "stop"
    cache[key] = dv
    return dv


def _denominators_of(lay: TemplateLayout, element_id: str) -> list[str]:
    """Cells of the denominators this element may not exceed (it is their proportion's numerator)."""
    out = []
    for m in lay.measures:
        if m.proportion and m.numerator_element == element_id and m.denominator_element:
            ref = lay.element_cells[m.denominator_element].value
            if ref not in out:
                out.append(ref)
    return out


def element_validation(
    inp: Input, lay: TemplateLayout, cache: dict[tuple[str, str, str], DataValidation]
) -> DataValidation:
    """Whole (or decimal) ≥ 0, and ≤ each denominator it is the numerator of; prompt = definition."""
    e = lay.plan.element_by_id[inp.element or ""]
    dens = _denominators_of(lay, e.id)
    ref = inp.ref
    if dens:
        whole = f",{ref}=INT({ref})" if e.integer else ""
        limits = ",".join(f"OR(NOT(ISNUMBER({d})),{ref}<={d})" for d in dens)
        formula = f"AND(ISNUMBER({ref}),{ref}>=0{whole},{limits})"
        key = ("custom", ref, formula)
        dv = DataValidation(type="custom", formula1=formula, allow_blank=True)
    else:
        kind = "whole" if e.integer else "decimal"
        key = (kind, "element", e.id)
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    if key in cache:
        return cache[key]
    number = "số nguyên không âm (ví dụ: 1250)" if e.integer else "số không âm (ví dụ: 12,5)"
    extra = " và không lớn hơn mẫu số" if dens else ""
    dv.error = f"Chỉ được nhập {number}{extra}. Không gõ chữ, dấu cách hay ký hiệu %. {NO_DATA_HINT}"[:255]
    dv.errorTitle = "Số liệu không hợp lệ"
    about = f"{e.name}. Định nghĩa: {e.definition}" if e.definition else e.name
    room = 250 - len(NO_DATA_HINT) - 1
    dv.prompt = (about if len(about) <= room else about[: room - 1] + "…") + " " + NO_DATA_HINT
    dv.promptTitle = f"Đơn vị tính: {e.unit}"[:32]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorStyle = "stop"
    cache[key] = dv
    return dv


def colour_checks(ws: Worksheet, lay: TemplateLayout) -> None:
    """Red on the cells a broken rule involves and on its check cell; grey on «no data» values."""
    for rule_id, row in lay.check_rows.items():
        check = f"$E${row}"
        broken = FormulaRule(formula=[f"LEN({check})>0"], fill=RULE_RED, stopIfTrue=False)
        ws.conditional_formatting.add(f"E{row}", broken)
        rule = lay.plan.rule_by_id[rule_id]
        for e in rule.elements:
            ws.conditional_formatting.add(lay.element_cells[e].value, broken)
    for cells in lay.element_cells.values():
        marked = FormulaRule(
            formula=[f'TRIM({cells.status})="{NO_DATA}"'], fill=NO_DATA_GREY, stopIfTrue=False
        )
        ws.conditional_formatting.add(cells.status, marked)
    if lay.summary_ref:
        ref = lay.summary_ref
        bad = FormulaRule(
            formula=[f'ISNUMBER(SEARCH("vi phạm",{ref}))'], fill=RULE_RED, font=Font(color="C00000")
        )
        ws.conditional_formatting.add(ref, bad)
        ws.conditional_formatting.add(ref, FormulaRule(formula=[f"LEN({ref})>0"], fill=OK_GREEN))
