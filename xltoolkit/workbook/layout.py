"""Where everything sits in a template: sheets, columns, rows, input names and locked content.

This is pure data computed from (plan, agency, year). The template writer renders it with openpyxl;
the reader uses it to know the expected locked content and to recompute the fingerprint; the add-in
uses it to know where to write status. Keeping one layout means the three cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import textwrap
from dataclasses import dataclass, field
from functools import cached_property

from xltoolkit.plan.model import COMPARISON_LABELS, Agency, Measure, Plan
from xltoolkit.plan.rules import BUDGET_RULES, InputRule
from xltoolkit.workbook import names

TEMPLATE_FORMAT = "xltoolkit-template"
#: 2: base figures entered once (data elements), status cells, KT_ rule checks.
TEMPLATE_VERSION = "2"
SUPPORTED_TEMPLATE_VERSIONS = frozenset({"1", "2"})

GUIDE_SHEET = "Hướng dẫn"
DATA_SHEET = "Số liệu"
REPORT_SHEET = "Nhiệm vụ - Kinh phí"
RESULT_SHEET = "Kết quả kiểm tra"
META_SHEET = "_meta"

#: Sheets whose locked content the fingerprint covers (the result sheet is written by tools).
FINGERPRINTED_SHEETS = (GUIDE_SHEET, DATA_SHEET, REPORT_SHEET)

#: First row of the add-in's two columns (the block of base figures starts there, measures below it).
FIRST_DATA_ROW = 10
#: Header row of the measure table in a template without base figures (kept for old readers).
HEADER_ROW = 9


@dataclass(frozen=True)
class Cell:
    """A fixed (locked) cell. `formula` holds Excel formula text starting with '='."""

    sheet: str
    ref: str
    value: str | float | int | None = None
    formula: str | None = None
    role: str = "label"


@dataclass(frozen=True)
class Input:
    """An unlocked cell the officer fills, found by its workbook-level defined name."""

    name: str
    sheet: str
    ref: str
    kind: str  # numerator | denominator | element | status | reason | source | notes | task | budget_* | text
    code: str | None = None
    rule: InputRule | None = None
    required: bool = False
    label: str = ""
    #: For an element input: its status cell (a «Không có số liệu» mark there makes a blank acceptable).
    status_ref: str | None = None
    #: Element id for element/status/reason inputs.
    element: str | None = None


@dataclass(frozen=True)
class ElementCells:
    """Where one data element is typed: value, status and reason cells, and the row (block or measure)."""

    element: str
    value: str
    status: str
    reason: str
    in_block: bool


@dataclass
class TemplateLayout:
    plan: Plan
    agency: Agency
    year: int
    cells: list[Cell] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    merges: list[tuple[str, str]] = field(default_factory=list)
    measure_rows: dict[str, int] = field(default_factory=dict)
    goal_rows: dict[int, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    target_years: tuple[int, ...] = ()
    task_rows: list[int] = field(default_factory=list)
    budget_rows: dict[str, int] = field(default_factory=dict)
    #: Data sheet: where each element is typed, rows of the base-figure block and of the rule checks.
    element_cells: dict[str, ElementCells] = field(default_factory=dict)
    block_rows: dict[str, int] = field(default_factory=dict)
    check_rows: dict[str, int] = field(default_factory=dict)
    header_row: int = HEADER_ROW
    summary_ref: str = ""
    #: Names of formula cells (KT_<rule>, KT_TONG): defined in the workbook, never typed into.
    formula_names: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def measures(self) -> tuple[Measure, ...]:
        return self.plan.measures_for(self.agency)

    @property
    def has_data_sheet(self) -> bool:
        return bool(self.measures)

    @property
    def sheets(self) -> tuple[str, ...]:
        data = (DATA_SHEET,) if self.has_data_sheet else ()
        return (GUIDE_SHEET, *data, REPORT_SHEET, RESULT_SHEET, META_SHEET)

    @cached_property
    def input_by_name(self) -> dict[str, Input]:
        return {i.name: i for i in self.inputs}

    @property
    def last_data_row(self) -> int:
        return max(self.measure_rows.values(), default=FIRST_DATA_ROW)

    def meta(self, fingerprint: str, keyed: bool) -> dict[str, str]:
        """Key/value pairs of the veryHidden metadata sheet (all text, so every reader agrees)."""
        return {
            "format": TEMPLATE_FORMAT,
            "template_version": TEMPLATE_VERSION,
            "plan_id": self.plan.id,
            "plan_version": self.plan.version,
            "plan_digest": self.plan.digest,
            "agency_id": self.agency.id,
            "agency_code": self.agency.code or "",
            "agency_kind": self.agency.kind,
            "year": str(self.year),
            "measures": ",".join(m.code for m in self.measures),
            "fingerprint": fingerprint,
            "fingerprint_keyed": "1" if keyed else "0",
            # Appended (readers address the rows above by cell): the edition the template was made for.
            "edition": self.plan.edition.id if self.plan.edition else "",
            "agency_unit": self.agency.unit or "",
        }

    # ------------------------------------------------------------- fingerprint

    def canonical_lines(self) -> list[str]:
        """Locked content as sorted text lines; readers rebuild the same lines from a file."""
        lines = [canonical_cell(c.sheet, c.ref, c.formula or c.value) for c in self.cells]
        lines += [
            canonical_name(i.name, f"'{i.sheet}'!${i.ref}")
            for i in self.inputs
            if names.INPUT_NAME.match(i.name)
        ]
        lines += [f"merge\t{s}\t{r}" for s, r in self.merges]
        lines += [
            f"meta\t{k}\t{v}"
            for k, v in (
                ("plan_id", self.plan.id),
                ("agency_id", self.agency.id),
                ("year", str(self.year)),
                ("template_version", TEMPLATE_VERSION),
            )
        ]
        return sorted(line for line in lines if line)

    def fingerprint(self, secret: bytes | None = None) -> str:
        return fingerprint_lines(self.canonical_lines(), secret)


def fingerprint_lines(lines: list[str], secret: bytes | None) -> str:
    """SHA-256 of the canonical lines, or an HMAC when the province configured a secret."""
    payload = "\n".join(sorted(lines)).encode("utf-8")
    if secret:
        return hmac.new(secret, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


def canonical_value(value: object) -> str:
    """One text form for a cell value whichever library or application wrote or read it.

    openpyxl gives ints, calamine floats, LibreOffice may rewrite formulas' spacing and case;
    all of those must compare equal, while any real edit must not.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format(float(value), ".12g")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if text.startswith("="):
        return "f:" + text[1:].replace(" ", "").replace("_xlfn.", "").upper()
    return text


def canonical_name(name: str, destination: str) -> str:
    """A defined name and where it points, with quoting and '$' removed ('Số liệu'!$H$11 -> Số liệu!H11)."""
    dest = destination.replace("$", "").replace("'", "")
    return f"name\t{name}\t{dest}"


def canonical_cell(sheet: str, ref: str, value: object) -> str:
    v = canonical_value(value)
    return f"cell\t{sheet}\t{ref}\t{v}" if v else ""


def _fmt_number(x: float) -> str:
    """Vietnamese number text (decimal comma) for labels such as 'Dưới 9,5'."""
    s = format(x, "g")
    return s.replace(".", ",")


def requirement_text(m: Measure) -> str:
    label = COMPARISON_LABELS[m.comparison]
    if m.standing_target is not None and not m.targets:
        suffix = "%" if m.unit == "%" else ""
        return f"{label} {_fmt_number(m.standing_target)}{suffix} (hằng năm)"
    return label


def build_layout(plan: Plan, agency: Agency, year: int) -> TemplateLayout:
    lay = TemplateLayout(plan=plan, agency=agency, year=year)
    lay.target_years = tuple(sorted({y for m in plan.measures for y in m.targets}))
    _guide(lay)
    if lay.has_data_sheet:
        from xltoolkit.workbook.datasheet import data_sheet

        data_sheet(lay)
    _report_sheet(lay)
    return lay


# ------------------------------------------------------------------ sheet builders


def _header_block(lay: TemplateLayout, sheet: str, left: str, right: str) -> None:
    """The national header block of Vietnamese administrative documents (Nghị định 30/2020)."""
    plan, agency = lay.plan, lay.agency
    # A district or commune is its own body (no superior line); a department sits under the province.
    superior = "" if agency.is_local else f"UBND TỈNH {plan.province.upper()}"
    body = plan.body_name(agency).upper()
    add = lay.cells.append
    if superior:
        add(Cell(sheet, f"{left}1", superior, role="header-superior"))
    add(Cell(sheet, f"{left}2", body, role="header-body"))
    add(Cell(sheet, f"{right}1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", role="header-nation"))
    add(Cell(sheet, f"{right}2", "Độc lập - Tự do - Hạnh phúc", role="header-motto"))
    add(
        Cell(
            sheet,
            f"{right}3",
            f"{plan.place_of(agency)}, ngày ..... tháng ..... năm {lay.year}",
            role="header-date",
        )
    )


def _guide(lay: TemplateLayout) -> None:
    plan, agency, year = lay.plan, lay.agency, lay.year
    s = GUIDE_SHEET
    consolidator = plan.agency_by_id[plan.consolidator].name
    d = plan.deadline_for(year)
    scope = plan.scope_of(agency)
    n = len(lay.measures)
    lines: list[tuple[str, str]] = [
        ("title", f"HƯỚNG DẪN ĐIỀN BÁO CÁO NĂM {year}"),
        ("subtitle", plan.name),
        ("text", f"Đơn vị báo cáo: {plan.body_name(agency)}"),
        ("text", f"Hạn gửi: ngày {d:%d/%m/%Y}. Gửi tệp này (định dạng .xlsx) về {consolidator}."),
        ("head", "1. Cần điền những gì"),
    ]
    if n:
        lines += [
            ("text", f"- Trang «{DATA_SHEET}»: {n} chỉ tiêu, số liệu {scope}, năm {year}."),
            ("text", "  Mỗi dòng nhập Tử số và Mẫu số là số nguyên không âm (ví dụ 1250),"),
            ("text", "  không dùng dấu chấm, dấu phẩy phân cách hàng nghìn, không gõ ký hiệu %."),
            ("text", "  Cột «Kết quả» tự tính từ Tử số và Mẫu số; không cần tính tay."),
            ("text", "  Ghi nguồn số liệu (ví dụ: sổ sách, phần mềm, điều tra) và ghi chú nếu có."),
        ]
    lines += [
        ("text", f"- Trang «{REPORT_SHEET}»: kết quả thực hiện từng nhiệm vụ được giao,"),
        ("text", "  kinh phí đã sử dụng trong năm (triệu đồng) theo nguồn, khó khăn và kiến nghị."),
        *(("text", line) for line in _edition_guide(plan, agency)),
        ("head", "2. Ý nghĩa màu sắc"),
        ("legend-required", "Ô nền vàng: bắt buộc nhập, chưa có số liệu."),
        ("legend-input", "Ô nền trắng có viền: ô nhập liệu (đã nhập hoặc không bắt buộc)."),
        ("legend-locked", "Ô nền xám: nội dung cố định của kế hoạch, không sửa được."),
        ("legend-error", "Ô nền đỏ (sau khi kiểm tra): số liệu sai, xem trang «Kết quả kiểm tra»."),
        ("head", "3. Kiểm tra trước khi gửi"),
        ("text", "- Trên thanh công cụ Excel, chọn thẻ «Trẻ em», bấm nút «Kiểm tra»."),
        ("text", f"- Sửa các lỗi được liệt kê ở trang «{RESULT_SHEET}», rồi kiểm tra lại."),
        ("head", "4. Lưu ý"),
        ("text", "- Không đổi tên trang, không chèn hoặc xóa dòng, cột; không mở khóa bảo vệ trang."),
        ("text", "- Không dùng tệp của đơn vị khác hoặc của năm khác."),
        ("text", "- Nếu sao chép số liệu từ tệp khác, chỉ dán giá trị (Paste Values)."),
    ]
    for i, (role, text) in enumerate(lines, start=1):
        lay.cells.append(Cell(s, f"A{i}", text, role=f"guide-{role}"))


def _edition_guide(plan: Plan, agency: Agency) -> tuple[str, ...]:
    """The edition's own guide lines (e.g. how a commune fills commune counts), for local units."""
    if plan.edition is None or not agency.is_local:
        return ()
    # Short lines like the rest of the guide: a row's height does not grow with wrapped text everywhere.
    return tuple(
        part for line in plan.edition.guide for part in textwrap.wrap(line, 80, subsequent_indent="  ")
    )


def _report_sheet(lay: TemplateLayout) -> None:
    plan, year, s = lay.plan, lay.year, REPORT_SHEET
    _header_block(lay, s, "A", "C")
    lay.merges += [(s, "A1:B1"), (s, "A2:B2")]
    lay.cells += [
        Cell(s, "A5", "BÁO CÁO KẾT QUẢ THỰC HIỆN NHIỆM VỤ VÀ KINH PHÍ", role="title"),
        Cell(s, "A6", f"Năm {year}", role="title"),
        Cell(s, "A7", f"Kính gửi: {plan.agency_by_id[plan.consolidator].name}", role="subtitle"),
        Cell(s, "A8", "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐƯỢC GIAO", role="section"),
        Cell(s, "A9", "STT", role="col-header"),
        Cell(s, "B9", "Nhiệm vụ được giao theo Kế hoạch", role="col-header"),
        Cell(s, "C9", "Kết quả thực hiện trong năm", role="col-header"),
    ]
    lay.merges += [(s, "A5:C5"), (s, "A6:C6"), (s, "A7:C7")]
    row = 10
    for i, task in enumerate(plan.tasks_for(lay.agency), start=1):
        lay.cells += [Cell(s, f"A{row}", i, role="task-no"), Cell(s, f"B{row}", task, role="task")]
        lay.inputs.append(Input(names.task(i), s, f"C{row}", "task", str(i), None, True, task))
        lay.task_rows.append(row)
        row += 1
    row += 1
    lay.cells += [
        Cell(s, f"A{row}", "II. KINH PHÍ THỰC HIỆN KẾ HOẠCH TRONG NĂM (triệu đồng)", role="section"),
    ]
    row += 1
    lay.cells += [
        Cell(s, f"A{row}", "STT", role="col-header"),
        Cell(s, f"B{row}", "Nguồn kinh phí", role="col-header"),
        Cell(s, f"C{row}", "Số tiền (triệu đồng)", role="col-header"),
    ]
    row += 1
    first = row
    labels = {"budget_state": "Ngân sách nhà nước", "budget_mobilised": "Huy động từ tổ chức, cá nhân"}
    for i, rule in enumerate(BUDGET_RULES, start=1):
        lay.cells += [
            Cell(s, f"A{row}", i, role="task-no"),
            Cell(s, f"B{row}", labels[rule.field], role="label"),
        ]
        name = names.BUDGET_NAMES[rule.field]
        lay.inputs.append(Input(name, s, f"C{row}", rule.field, None, rule, True, rule.label))
        lay.budget_rows[rule.field] = row
        row += 1
    lay.cells += [
        Cell(s, f"B{row}", "Tổng cộng", role="total-label"),
        Cell(s, f"C{row}", formula=f"=SUM(C{first}:C{row - 1})", role="total"),
    ]
    lay.budget_rows["total"] = row
    row += 2
    lay.cells.append(Cell(s, f"A{row}", "III. KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ", role="section"))
    row += 1
    difficulties = Input(names.DIFFICULTIES, s, f"B{row}", "text", None, None, False, "Khó khăn, kiến nghị")
    lay.inputs.append(difficulties)
    lay.merges.append((s, f"B{row}:C{row}"))
    row += 2
    lay.cells += [
        Cell(s, f"A{row}", "Người lập biểu:", role="label"),
        Cell(s, f"A{row + 1}", "Điện thoại:", role="label"),
    ]
    lay.inputs += [
        Input(names.REPORTER, s, f"B{row}", "text", None, None, False, "Người lập biểu"),
        Input(names.PHONE, s, f"B{row + 1}", "text", None, None, False, "Điện thoại"),
    ]
    lay.cells.append(Cell(s, f"C{row}", "THỦ TRƯỞNG ĐƠN VỊ", role="signature"))
    lay.cells.append(Cell(s, f"C{row + 1}", "(Ký, ghi rõ họ tên, đóng dấu)", role="signature-note"))
