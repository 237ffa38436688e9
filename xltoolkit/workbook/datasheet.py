"""Positions of the data sheet: base figures typed once, the measure table, and the rule checks.

Three parts, top to bottom: I. the base figures (every element used as a denominator, each typed once
with its status and reason cells); II. the measures (numerators typed in their row, denominators shown
by formula from part I); III. one check cell per validation rule, named KT_<rule>, that reads «Sai: …»
while the rule is broken. A line at the top counts the broken rules. Everything is plain formulas (IF,
AND, ISNUMBER, TRIM, COUNTIF), so the checks run in Excel, LibreOffice and WPS without macros or add-in.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from xltoolkit.plan.checks import NO_DATA
from xltoolkit.plan.model import DataElement, Measure, ValidationRule
from xltoolkit.plan.rules import InputRule, measure_rules
from xltoolkit.workbook import names
from xltoolkit.workbook.layout import (
    DATA_SHEET,
    FIRST_DATA_ROW,
    Cell,
    ElementCells,
    Input,
    TemplateLayout,
    _header_block,
    requirement_text,
)

SUMMARY_ROW = 4
SEVERITY_WORDS = {"error": "Lỗi", "warning": "Cảnh báo"}

DATA_HEADERS = {
    "code": "Mã",
    "name": "Chỉ tiêu",
    "unit": "Đơn vị tính",
    "requirement": "Yêu cầu",
    "numerator_label": "Tử số: nội dung",
    "numerator": "Tử số",
    "numerator_status": "Tình trạng tử số",
    "denominator_label": "Mẫu số: nội dung (lấy từ mục I)",
    "denominator": "Mẫu số (tự động)",
    "value": "Kết quả (tự động)",
    "source": "Nguồn số liệu",
    "notes": "Ghi chú, lý do",
    "addin_value": "Giá trị tính lại (tự động)",
    "addin_status": "So với mục tiêu (tự động)",
}
#: Columns of part I (base figures), reusing the sheet's columns; value/status/reason are inputs.
BLOCK = {"no": "A", "name": "B", "unit": "C", "value": "D", "status": "E", "reason": "G", "used": "H"}
BLOCK_MERGES = (("B", "B"), ("E", "F"), ("H", "J"))
BLOCK_HEADERS = {
    "no": "STT",
    "name": "Số liệu chung (nhập một lần)",
    "unit": "Đơn vị tính",
    "value": "Số liệu",
    "status": "Tình trạng",
    "reason": "Ghi chú, lý do (bắt buộc nếu không có số liệu)",
    "used": "Dùng cho chỉ tiêu",
}
CHECK = {"no": "A", "rule": "B", "severity": "C", "result": "E"}


def data_columns(lay: TemplateLayout) -> dict[str, str]:
    keys = ["code", "name", "unit", "requirement"]
    keys += [f"target_{y}" for y in lay.target_years]
    keys += ["numerator_label", "numerator", "numerator_status", "denominator_label", "denominator", "value"]
    keys += ["source", "notes", "addin_value", "addin_status"]
    return {k: get_column_letter(i) for i, k in enumerate(keys, start=1)}


def not_no_data(status_ref: str) -> str:
    return f'TRIM({status_ref})<>"{NO_DATA}"'


def data_sheet(lay: TemplateLayout) -> None:
    cols = lay.columns = data_columns(lay)
    s, last = DATA_SHEET, cols["notes"]
    _header_block(lay, s, "A", cols["numerator_label"])
    lay.merges += [(s, "A1:C1"), (s, "A2:C2")]
    lay.merges += [(s, f"{cols['numerator_label']}{r}:{last}{r}") for r in (1, 2, 3)]
    scope = lay.plan.scope_of(lay.agency)
    lay.cells += [
        Cell(s, "A5", "BÁO CÁO", role="title"),
        Cell(s, "A6", f"Kết quả thực hiện các chỉ tiêu về trẻ em năm {lay.year} ({scope})", role="title"),
        Cell(s, "A7", f"(Theo {lay.plan.name})", role="subtitle"),
    ]
    lay.merges += [(s, f"A{r}:{last}{r}") for r in (5, 6, 7)]
    elements = lay.plan.elements_for(lay.agency)
    in_block = _block_elements(lay.measures)
    row = _base_block(lay, [e for e in elements if e.id in in_block], FIRST_DATA_ROW - 1)
    row = _measure_table(lay, row + 1)
    _checks(lay, row + 1)


def _block_elements(measures: tuple[Measure, ...]) -> set[str]:
    """Every element some measure divides by: typed once in part I, shown by formula in the rows."""
    return {m.denominator_element for m in measures if m.denominator_element}


def _used_by(lay: TemplateLayout, element_id: str) -> str:
    codes = [m.code for m in lay.measures if element_id in (m.numerator_element, m.denominator_element)]
    return ", ".join(codes)


def _element_inputs(lay: TemplateLayout, e: DataElement, value: str, status: str, reason: str) -> None:
    s = DATA_SHEET
    rule = InputRule(field="element", label=e.name, whole=e.integer)
    lay.inputs += [
        Input(names.element(e.id), s, value, "element", None, rule, True, e.name, status, e.id),
        Input(names.status(e.id), s, status, "status", None, None, False, e.name, None, e.id),
        Input(names.reason(e.id), s, reason, "reason", None, None, False, e.name, None, e.id),
    ]
    lay.element_cells[e.id] = ElementCells(e.id, value, status, reason, in_block=value[0] == BLOCK["value"])


def _base_block(lay: TemplateLayout, elements: list[DataElement], row: int) -> int:
    s, last = DATA_SHEET, lay.columns["notes"]
    lay.cells.append(
        Cell(s, f"A{row}", "I. SỐ LIỆU CHUNG: nhập một lần, dùng cho nhiều chỉ tiêu ở mục II", role="section")
    )
    lay.merges.append((s, f"A{row}:{last}{row}"))
    row += 1
    for key, text in BLOCK_HEADERS.items():
        lay.cells.append(Cell(s, f"{BLOCK[key]}{row}", text, role="col-header"))
    lay.merges += [(s, f"{a}{row}:{b}{row}") for a, b in BLOCK_MERGES if a != b]
    for i, e in enumerate(elements, start=1):
        row += 1
        lay.block_rows[e.id] = row
        lay.cells += [
            Cell(s, f"{BLOCK['no']}{row}", f"I.{i}", role="code"),
            Cell(s, f"{BLOCK['name']}{row}", e.name, role="name"),
            Cell(s, f"{BLOCK['unit']}{row}", e.unit, role="unit"),
            Cell(s, f"{BLOCK['used']}{row}", _used_by(lay, e.id), role="label"),
        ]
        lay.merges += [(s, f"{a}{row}:{b}{row}") for a, b in BLOCK_MERGES if a != b]
        c = {k: f"{v}{row}" for k, v in BLOCK.items()}
        _element_inputs(lay, e, c["value"], c["status"], c["reason"])
    return row + 1


def _measure_table(lay: TemplateLayout, row: int) -> int:
    plan, s, cols = lay.plan, DATA_SHEET, lay.columns
    last = cols["notes"]
    lay.cells.append(Cell(s, f"A{row}", "II. CÁC CHỈ TIÊU: nhập tử số; mẫu số lấy từ mục I", role="section"))
    lay.merges.append((s, f"A{row}:{last}{row}"))
    row += 1
    lay.header_row = row
    for key, letter in cols.items():
        text = DATA_HEADERS.get(key) or f"Mục tiêu {key.removeprefix('target_')}"
        lay.cells.append(Cell(s, f"{letter}{row}", text, role="col-header"))
    current_goal = None
    for m in lay.measures:
        row += 1
        ind = plan.indicator_of[m.code]
        if ind.goal is not None and ind.goal != current_goal:
            current_goal = ind.goal
            goal = next((g for g in plan.goals if g.number == ind.goal), None)
            text = f"Mục tiêu {ind.goal}" + (f": {goal.name}" if goal else "")
            lay.cells.append(Cell(s, f"A{row}", text, role="goal"))
            lay.merges.append((s, f"A{row}:{last}{row}"))
            lay.goal_rows[ind.goal] = row
            row += 1
        _measure_row(lay, m, row)
    return row + 1


def _measure_row(lay: TemplateLayout, m: Measure, row: int) -> None:
    s, cols = DATA_SHEET, lay.columns
    lay.measure_rows[m.code] = row
    c = {k: f"{v}{row}" for k, v in cols.items()}
    lay.cells += [
        Cell(s, c["code"], m.code, role="code"),
        Cell(s, c["name"], m.name, role="name"),
        Cell(s, c["unit"], m.unit, role="unit"),
        Cell(s, c["requirement"], requirement_text(m), role="requirement"),
        Cell(s, c["numerator_label"], m.numerator, role="label"),
    ]
    for y in lay.target_years:
        t = m.target(y)
        if t is not None:
            lay.cells.append(Cell(s, c[f"target_{y}"], t, role="target"))
    num_id = m.numerator_element or ""
    if num_id not in lay.element_cells:  # typed here, in the measure's own row
        _element_inputs(
            lay, lay.plan.element_by_id[num_id], c["numerator"], c["numerator_status"], c["notes"]
        )
    else:  # typed in part I (or an earlier row): shown here by formula, locked
        at = lay.element_cells[num_id]
        value, status = _elsewhere(at.value, row), _elsewhere(at.status, row)
        lay.cells += [
            Cell(s, c["numerator"], formula=f'=IF(ISNUMBER({value}),{value},"")', role="formula-count"),
            Cell(s, c["numerator_status"], formula=f'=IF({status}="","",{status})', role="formula-text"),
        ]
    num = lay.element_cells[num_id]
    statuses = [_elsewhere(num.status, row)]
    rules = {r.field: r for r in measure_rules(m)}
    lay.inputs.append(
        Input(
            names.numerator(m.code), s, num.value, "numerator", m.code, rules["numerator"], True, m.numerator
        )
    )
    if m.denominator_element:
        den = lay.element_cells[m.denominator_element]
        statuses.append(_elsewhere(den.status, row))
        lay.cells += [
            Cell(s, c["denominator_label"], m.denominator, role="label"),
            Cell(
                s,
                c["denominator"],
                formula=f'=IF(ISNUMBER({_elsewhere(den.value, row)}),{_elsewhere(den.value, row)},"")',
                role="formula-count",
            ),
        ]
        lay.inputs.append(
            Input(
                names.denominator(m.code),
                s,
                den.value,
                "denominator",
                m.code,
                rules["denominator"],
                True,
                m.denominator or "",
            )
        )
        n, d, scale = c["numerator"], c["denominator"], format(m.scale, "g")
        compute = f'IF(AND(ISNUMBER({n}),ISNUMBER({d}),{d}>0),{n}/{d}*{scale},"")'
    else:
        compute = f'IF(ISNUMBER({c["numerator"]}),{c["numerator"]},"")'
    marked = ",".join(f'TRIM({ref})="{NO_DATA}"' for ref in statuses)
    formula = f'=IF(OR({marked}),"{NO_DATA}",{compute})'
    lay.cells.append(Cell(s, c["value"], formula=formula, role="formula"))
    lay.inputs.append(Input(names.source(m.code), s, c["source"], "source", m.code))
    lay.inputs.append(Input(names.notes(m.code), s, c["notes"], "notes", m.code))


def _elsewhere(ref: str, row: int) -> str:
    """A reference from a measure row: absolute when it points to another row (part I), so the rows'
    formulas are the same formula copied down, as Excel stores them (shared formulas)."""
    col = ref.rstrip("0123456789")
    at = int(ref[len(col) :])
    return ref if at == row else f"${col}${at}"


# --------------------------------------------------------------------------------- rule checks


def _side_formula(
    lay: TemplateLayout, side_elements: tuple[str, ...], refs: tuple[str, ...], constant: float
) -> str:
    figures = lay.plan.agency_figures(lay.agency)
    parts = [lay.element_cells[e].value for e in side_elements]
    parts += [format(figures[r] or 0, "g") for r in refs]
    if constant or not parts:
        parts.append(format(constant, "g"))
    return "+".join(parts)


def check_formula(lay: TemplateLayout, rule: ValidationRule) -> str:
    """«Sai: message» while the rule is broken; empty while it holds or any figure is blank or marked."""
    known = []
    for e in rule.elements:
        at = lay.element_cells[e]
        known += [f"ISNUMBER({at.value})", not_no_data(at.status)]
    left = _side_formula(lay, rule.left_side.elements, rule.left_side.agency_refs, rule.left_side.constant)
    right = _side_formula(
        lay, rule.right_side.elements, rule.right_side.agency_refs, rule.right_side.constant
    )
    op = "=" if rule.operator == "==" else rule.operator
    message = rule.message.replace('"', "'")
    return f'=IF(AND({",".join(known)}),IF(({left}){op}({right}),"","Sai: {message}"),"")'


def rule_text(lay: TemplateLayout, rule: ValidationRule) -> str:
    """The rule in words, with the figures' names and STT of part I, for the check table."""
    words = {"<": "<", "<=": "≤", "==": "=", ">=": "≥", ">": ">"}

    def side(elements: tuple[str, ...], refs: tuple[str, ...], constant: float) -> str:
        names_ = [lay.plan.element_by_id[e].name for e in elements]
        names_ += [
            f"số xã theo kế hoạch ({format(lay.plan.agency_figures(lay.agency)[r] or 0, 'g')})" for r in refs
        ]
        if constant or not names_:
            names_.append(format(constant, "g"))
        return " + ".join(
            f"«{n}»" if not n[0].isdigit() and not n.startswith("số xã theo") else n for n in names_
        )

    lhs = side(rule.left_side.elements, rule.left_side.agency_refs, rule.left_side.constant)
    rhs = side(rule.right_side.elements, rule.right_side.agency_refs, rule.right_side.constant)
    return f"{lhs} {words[rule.operator]} {rhs}"


def _checks(lay: TemplateLayout, row: int) -> None:
    s, last = DATA_SHEET, lay.columns["notes"]
    rules = lay.plan.rules_for(lay.agency)
    lay.cells.append(
        Cell(s, f"A{row}", "III. KIỂM TRA SỐ LIỆU (tự động, theo các quy tắc của Kế hoạch)", role="section")
    )
    lay.merges.append((s, f"A{row}:{last}{row}"))
    row += 1
    header = {"no": "STT", "rule": "Quy tắc", "severity": "Mức độ", "result": "Kết quả kiểm tra"}
    for key, text in header.items():
        lay.cells.append(Cell(s, f"{CHECK[key]}{row}", text, role="col-header"))
    lay.merges += [(s, f"C{row}:D{row}"), (s, f"E{row}:{last}{row}")]
    first = row + 1
    for i, rule in enumerate(rules, start=1):
        row += 1
        lay.check_rows[rule.id] = row
        lay.cells += [
            Cell(s, f"{CHECK['no']}{row}", f"III.{i}", role="code"),
            Cell(s, f"{CHECK['rule']}{row}", rule_text(lay, rule), role="name"),
            Cell(s, f"{CHECK['severity']}{row}", SEVERITY_WORDS[rule.severity], role="unit"),
            Cell(s, f"{CHECK['result']}{row}", formula=check_formula(lay, rule), role="check"),
        ]
        lay.merges += [(s, f"C{row}:D{row}"), (s, f"E{row}:{last}{row}")]
        lay.formula_names[names.check(rule.id)] = (s, f"{CHECK['result']}{row}")
    rng = f"{CHECK['result']}{first}:{CHECK['result']}{max(row, first)}"
    count = f'COUNTIF({rng},"Sai*")'
    ok = "Kiểm tra tự động: chưa phát hiện số liệu mâu thuẫn."
    bad = '" quy tắc bị vi phạm: xem các ô tô đỏ và mục III ở cuối trang."'
    summary = f'=IF({count}=0,"{ok}","Kiểm tra tự động: có "&{count}&{bad})'
    lay.summary_ref = f"A{SUMMARY_ROW}"
    lay.cells.append(Cell(s, lay.summary_ref, formula=summary, role="summary"))
    lay.merges.append((s, f"A{SUMMARY_ROW}:{last}{SUMMARY_ROW}"))
    lay.formula_names[names.CHECK_SUMMARY] = (s, lay.summary_ref)
