"""The summary sheets that list things: district matrix, submissions, validation issues, narratives
and budget. Each starts at `TABLE_HEADER_ROW` with its key in column A (agency id, or measure code for
the district matrix), built from the blocks in `summary_sheets.py`."""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.plan.history import local_terms
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.summary.sheets import (
    F_BOLD,
    FIRST_ROW,
    INT,
    MONEY,
    NUM,
    STATUS_FILLS,
    TABLE_HEADER_ROW,
    TOTAL_FILL,
    Col,
    agency_label,
    appendix_title,
    filename,
    page_setup,
    print_pages,
    put,
    restyle,
    short_label,
    split_pages,
    status_cell,
    table,
)

#: The sheet of the local units' values; named for the level reporting that year (`units_level_sheet`).
DISTRICTS_SHEET = "Cấp huyện"
SUBMISSIONS_SHEET = "Tiếp nhận"
ISSUES_SHEET = "Lỗi kiểm tra"
NARRATIVES_SHEET = "Nhiệm vụ"
BUDGET_SHEET = "Kinh phí"


def units_level_sheet(plan: Plan) -> str:
    """«Cấp huyện» to 2024, «Cấp xã» when the communes report: the tab says who is in it."""
    level = local_terms(plan).level
    return level[:1].upper() + level[1:]


#: Hidden row above the district matrix header holding the agency id of each district column.
DISTRICT_KEY_ROW = TABLE_HEADER_ROW - 1

SUBMISSION_STATES: dict[str, str] = {
    "accepted": "Đã tiếp nhận",
    "superseded": "Đã được thay thế",
    "rejected": "Bị từ chối",
    "missing": "Chưa gửi",
}
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}


def districts_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Measure × district matrix (measures down), coloured by status with a symbol beside the colour;
    «số nhỏ» grey and uncoloured. Split into readable pages across, code and name repeated."""
    from xltoolkit.summary.history import level_title
    from xltoolkit.summary.measures import number_format
    from xltoolkit.summary.units import STATUS_SYMBOLS, district_cell

    districts = result.districts
    cols = [Col("code", "Mã", 6), Col("name", "Chỉ tiêu", 34, wrap=True), Col("unit", "Đơn vị tính", 9)]
    cols += [Col(d.agency, short_label(plan, d.agency), 10, NUM) for d in districts]
    by_district = [{m.code: m for m in d.measures} for d in districts]
    rows = [
        [m.code, m.name, m.unit] + [(bd[m.code].value if m.code in bd else None) for bd in by_district]
        for m in plan.measures
    ]
    last = table(ws, cols, rows)
    for j, d in enumerate(districts, start=4):
        put(ws, DISTRICT_KEY_ROW, j, d.agency)
    ws.row_dimensions[DISTRICT_KEY_ROW].hidden = True
    for i, m in enumerate(plan.measures):
        fmt = number_format(m)
        for j, bd in enumerate(by_district, start=4):
            district_cell(ws, ws.cell(row=FIRST_ROW + i, column=j), bd.get(m.code), fmt)
    legend_row = last + 2
    put(ws, legend_row, 2, "Chú thích (màu và ký hiệu):").font = F_BOLD
    for i, (key, label) in enumerate(STATUS_LABELS.items(), start=1):
        symbol = STATUS_SYMBOLS.get(key, "")
        c = put(ws, legend_row + i, 2, f"{symbol} {label}".strip())
        status_cell(c, key)
    put(
        ws,
        legend_row + len(STATUS_LABELS) + 1,
        2,
        "số nhỏ: mẫu số dưới ngưỡng, không đánh giá, không xếp hạng",
    )
    end = legend_row + len(STATUS_LABELS) + 1
    page_setup(ws, landscape=True, freeze="D9", print_cols=len(cols), last_row=end)
    pages = split_pages(ws, len(cols), landscape=True, repeat_cols=2)
    appendix_title(
        ws,
        plan,
        result.year,
        pages,
        "Phụ lục III",
        f"KẾT QUẢ CÁC CHỈ TIÊU THEO ĐƠN VỊ {level_title(plan)} NĂM {result.year}",
        "(Màu và ký hiệu theo mức đánh giá tiến độ; ô trống: chưa có số liệu dùng được)",
    )
    print_pages(ws, len(cols), landscape=True, repeat_cols=2, pages=pages)


def agency_rank(plan: Plan) -> dict[str, int]:
    """Plan order of the agencies (departments, then districts as the plan lists them)."""
    return {a.id: i for i, a in enumerate(plan.agencies)}


def finish(
    ws: Worksheet,
    plan: Plan,
    year: int,
    ncols: int,
    last: int,
    label: str,
    title: str,
    subtitle: str,
    *,
    landscape: bool = True,
    freeze: str | None = "C9",
) -> None:
    """Hide the key column A (agency ids stay for programs, not for print), title, print setup."""
    ws.column_dimensions["A"].hidden = True
    page_setup(ws, landscape=landscape, freeze=freeze, print_cols=ncols, last_row=last)
    pages = split_pages(ws, ncols, landscape=landscape)
    appendix_title(ws, plan, year, [(2 if a == 1 else a, b) for a, b in pages], label, title, subtitle)
    print_pages(ws, ncols, landscape=landscape, pages=pages)


SUBMISSION_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 30, wrap=True),
    Col("file", "Tệp nhận được", 30, wrap=True),
    Col("received_at", "Thời điểm nhận", 17),
    Col("state", "Tình trạng", 14, wrap=True),
    Col("late", "Nộp muộn", 9),
    Col("errors", "Số lỗi", 7, INT),
    Col("warnings", "Số cảnh báo", 9, INT),
    Col("sha256", "Mã băm SHA-256", 66),
)
#: The hash column: kept for the record (hidden, so it does not print).
SHA_COL = len(SUBMISSION_COLS)


#: Superseded files listed one by one per agency; older ones are counted in one row (the ledger
#: keeps them all). Keeps the sheet readable, and the write fast when an agency resends many times.
SUPERSEDED_DETAIL_MAX = 3
#: Issue rows written at most; the rest are counted in a final note (each file's own result sheet
#: and `xltoolkit validate` list everything).
ISSUE_ROWS_MAX = 2000


def _submission_row(plan: Plan, s: Any) -> list[Any]:
    return [
        s.agency or "",
        agency_label(plan, s.agency),
        s.original_name,
        s.received_at,
        SUBMISSION_STATES.get(s.state, s.state),
        s.late,
        s.errors,
        s.warnings,
        s.sha256,
    ]


def submissions_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Every file received (accepted, rejected, recent superseded ones) and every agency that sent
    nothing, in the plan's order; files of no known agency last."""
    deadline = plan.deadline_for(result.year)
    rows: list[list[Any]] = []
    rank = agency_rank(plan)
    by_agency: dict[str, list[Any]] = {}
    for s in result.submissions:
        by_agency.setdefault(s.agency or "~", []).append(s)
    missing = set(result.missing)
    for key in sorted(set(by_agency) | missing, key=lambda a: (rank.get(a, len(rank)), a)):
        if key in missing:
            rows.append(
                [key, agency_label(plan, key), "", None, SUBMISSION_STATES["missing"], "", "", "", ""]
            )
        subs = sorted(by_agency.get(key, []), key=lambda s: (s.received_at, s.sha256))
        old = [s for s in subs if s.state == "superseded"]
        hidden = old[:-SUPERSEDED_DETAIL_MAX] if len(old) > SUPERSEDED_DETAIL_MAX else []
        if hidden:
            agency = None if key == "~" else key
            rows.append(
                [
                    agency or "",
                    agency_label(plan, agency),
                    f"{len(hidden)} tệp gửi trước đó (lưu trong sổ theo dõi)",
                    hidden[-1].received_at,
                    SUBMISSION_STATES["superseded"],
                    "",
                    sum(s.errors for s in hidden),
                    sum(s.warnings for s in hidden),
                    "",
                ]
            )
        skip = {id(s) for s in hidden}
        rows += [_submission_row(plan, s) for s in subs if id(s) not in skip]
    last = table(ws, SUBMISSION_COLS, rows)
    ws.column_dimensions[get_column_letter(SHA_COL)].hidden = True
    finish(
        ws,
        plan,
        result.year,
        len(SUBMISSION_COLS),
        last,
        "Biểu 01",
        f"TÌNH HÌNH TIẾP NHẬN BÁO CÁO NĂM {result.year}",
        f"(Hạn gửi: ngày {deadline:%d/%m/%Y}; mã băm của từng tệp được lưu trong sổ theo dõi và trong tệp)",
    )


ISSUE_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 22, wrap=True),
    Col("file", "Tệp", 22, wrap=True),
    Col("state", "Tình trạng tệp", 12, wrap=True),
    Col("valid", "Tệp hợp lệ", 8),
    Col("severity", "Mức độ", 9),
    Col("sheet", "Trang", 12, wrap=True),
    Col("cell", "Ô", 6),
    Col("code", "Mã lỗi", 20),
    Col("message", "Nội dung", 37, wrap=True),
)
SEVERITY_COL = 1 + [c.key for c in ISSUE_COLS].index("severity")
#: The stable English issue code stays in its column for programs, hidden: people read "Nội dung".
ISSUE_CODE_COL = 1 + [c.key for c in ISSUE_COLS].index("code")


def issues_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Every validation finding (errors and warnings), by agency and file; clean files have no row."""
    rows: list[list[Any]] = []
    total = 0
    rank = agency_rank(plan)
    files = sorted(result.file_issues, key=lambda f: (rank.get(f.agency or "", len(rank)), f.path))
    for f in files:
        state = SUBMISSION_STATES.get(f.state, f.state)
        base = [f.agency or "", agency_label(plan, f.agency), filename(f.path), state, f.valid]
        for i in f.issues:
            total += 1
            if len(rows) >= ISSUE_ROWS_MAX:
                continue
            rows.append([*base, SEVERITY_LABELS[i.severity], i.sheet or "", i.cell or "", i.code, i.message])
    last = table(ws, ISSUE_COLS, rows)
    if not rows:
        last = FIRST_ROW
        put(ws, last, 2, "Không có lỗi hoặc cảnh báo nào.")
    elif total > len(rows):
        last += 1
        put(
            ws,
            last,
            2,
            f"… và {total - len(rows)} lỗi, cảnh báo khác: xem trang «Kết quả kiểm tra» của từng tệp.",
        )
    for r in range(FIRST_ROW, last + 1):
        c = ws.cell(row=r, column=SEVERITY_COL)
        if c.value == SEVERITY_LABELS["error"]:
            restyle(c, "fill", STATUS_FILLS["deterioration"])
        elif c.value == SEVERITY_LABELS["warning"]:
            restyle(c, "fill", STATUS_FILLS["moderate_progress"])
    ws.column_dimensions[get_column_letter(ISSUE_CODE_COL)].hidden = True
    finish(
        ws,
        plan,
        result.year,
        len(ISSUE_COLS),
        last,
        "Biểu 02",
        f"KẾT QUẢ KIỂM TRA TỆP BÁO CÁO NĂM {result.year}",
        "(Lỗi: số liệu không được dùng để tổng hợp; cảnh báo: cần xem lại)",
    )


NARRATIVE_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 22, wrap=True),
    Col("no", "STT", 5, INT),
    Col("task", "Nhiệm vụ được giao", 42, wrap=True),
    Col("result", "Kết quả thực hiện", 57, wrap=True),
)


def narratives_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Task results and difficulties as the agencies wrote them (always stored as text)."""
    rows: list[list[Any]] = []
    rank = agency_rank(plan)
    for n in sorted(result.narratives, key=lambda n: rank.get(n.agency, len(rank))):
        label = agency_label(plan, n.agency)
        for i, t in enumerate(n.tasks, start=1):
            rows.append([n.agency, label, i, t.task, t.result])
        if n.difficulties:
            rows.append([n.agency, label, None, "Khó khăn, vướng mắc và kiến nghị", n.difficulties])
    last = table(ws, NARRATIVE_COLS, rows)
    finish(
        ws,
        plan,
        result.year,
        len(NARRATIVE_COLS),
        last,
        "Phụ lục VI",
        f"KẾT QUẢ THỰC HIỆN NHIỆM VỤ; KHÓ KHĂN, KIẾN NGHỊ NĂM {result.year}",
        "(Tổng hợp nguyên văn từ báo cáo của các cơ quan, đơn vị)",
    )


BUDGET_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 34, wrap=True),
    Col("state", "Ngân sách nhà nước (triệu đồng)", 16, MONEY),
    Col("mobilised", "Huy động từ tổ chức, cá nhân (triệu đồng)", 16, MONEY),
    Col("total", "Tổng cộng (triệu đồng)", 16, MONEY),
)
#: Key of the budget total row (column A, hidden with the agency ids); its label in the name column.
BUDGET_TOTAL_KEY = "Tổng cộng toàn tỉnh"
BUDGET_TOTAL_LABEL = "Tổng cộng toàn tỉnh"


def budget_totals(result: ConsolidationResult) -> tuple[float, float]:
    """Σ state budget and Σ mobilised funds over all agencies (a blank counts as nothing)."""
    state = sum(b.state or 0.0 for b in result.budget)
    mobilised = sum(b.mobilised or 0.0 for b in result.budget)
    return state, mobilised


def budget_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Budget by agency and source, with the provincial total by source in the last row."""
    rows: list[list[Any]] = []
    rank = agency_rank(plan)
    for b in sorted(result.budget, key=lambda b: rank.get(b.agency, len(rank))):
        total = None if b.state is None and b.mobilised is None else (b.state or 0.0) + (b.mobilised or 0.0)
        rows.append([b.agency, agency_label(plan, b.agency), b.state, b.mobilised, total])
    state, mob = budget_totals(result)
    rows.append([BUDGET_TOTAL_KEY, BUDGET_TOTAL_LABEL, state, mob, state + mob])
    last = table(ws, BUDGET_COLS, rows)
    for j in range(1, len(BUDGET_COLS) + 1):
        c = ws.cell(row=last, column=j)
        c.font, c.fill = F_BOLD, TOTAL_FILL
    finish(
        ws,
        plan,
        result.year,
        len(BUDGET_COLS),
        last,
        "Phụ lục VII",
        f"KINH PHÍ THỰC HIỆN KẾ HOẠCH NĂM {result.year}",
        "(Đơn vị tính: triệu đồng)",
        landscape=False,
    )
