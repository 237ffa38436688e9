"""The summary sheets that list things: district matrix, submissions, validation issues, narratives
and budget. Each starts at `TABLE_HEADER_ROW` with its key in column A (agency id, or measure code for
the district matrix), built from the blocks in `summary_sheets.py`."""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult
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
    filename,
    header_block,
    page_setup,
    put,
    short_label,
    status_cell,
    table,
)

DISTRICTS_SHEET = "Cấp huyện"
SUBMISSIONS_SHEET = "Tiếp nhận"
ISSUES_SHEET = "Lỗi kiểm tra"
NARRATIVES_SHEET = "Nhiệm vụ"
BUDGET_SHEET = "Kinh phí"

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
    """Measure × district matrix (measures down, so it fits an A4 landscape page), coloured by status."""
    districts = result.districts
    cols = [Col("code", "Mã", 6), Col("name", "Chỉ tiêu", 40, wrap=True), Col("unit", "Đơn vị tính", 11)]
    cols += [Col(d.agency, short_label(plan, d.agency), 10, NUM) for d in districts]
    header_block(
        ws,
        plan,
        result.year,
        len(cols),
        f"KẾT QUẢ CÁC CHỈ TIÊU THEO ĐƠN VỊ CẤP HUYỆN NĂM {result.year}",
        "(Màu ô theo mức đánh giá tiến độ so với mục tiêu; ô trống: chưa có số liệu dùng được)",
    )
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
        for j, bd in enumerate(by_district, start=4):
            dm = bd.get(m.code)
            status_cell(ws.cell(row=FIRST_ROW + i, column=j), dm.status.status if dm else "not_available")
    legend_row = last + 2
    put(ws, legend_row, 2, "Chú thích màu:").font = F_BOLD
    for i, (key, label) in enumerate(STATUS_LABELS.items(), start=1):
        c = put(ws, legend_row + i, 2, label)
        status_cell(c, key)
    page_setup(
        ws, landscape=True, freeze="D9", print_cols=len(cols), last_row=legend_row + len(STATUS_LABELS)
    )


SUBMISSION_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 34, wrap=True),
    Col("file", "Tệp nhận được", 34, wrap=True),
    Col("received_at", "Thời điểm nhận", 18),
    Col("state", "Tình trạng", 16),
    Col("late", "Nộp muộn", 10),
    Col("errors", "Số lỗi", 8, INT),
    Col("warnings", "Số cảnh báo", 10, INT),
    Col("sha256", "Mã băm SHA-256 (12 ký tự đầu)", 16),
)


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
        s.sha256[:12],
    ]


def submissions_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Every file received (accepted, rejected, recent superseded ones), then agencies that sent nothing."""
    deadline = plan.deadline_for(result.year)
    header_block(
        ws,
        plan,
        result.year,
        len(SUBMISSION_COLS),
        f"TÌNH HÌNH TIẾP NHẬN BÁO CÁO NĂM {result.year}",
        f"(Hạn gửi: ngày {deadline:%d/%m/%Y})",
    )
    rows: list[list[Any]] = []
    by_agency: dict[str, list[Any]] = {}
    for s in result.submissions:
        by_agency.setdefault(s.agency or "~", []).append(s)
    for key in sorted(by_agency):
        subs = sorted(by_agency[key], key=lambda s: (s.received_at, s.sha256))
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
    for agency in result.missing:
        rows.append(
            [agency, agency_label(plan, agency), "", None, SUBMISSION_STATES["missing"], "", "", "", ""]
        )
    last = table(ws, SUBMISSION_COLS, rows)
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(SUBMISSION_COLS), last_row=last)


ISSUE_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 28, wrap=True),
    Col("file", "Tệp", 30, wrap=True),
    Col("state", "Tình trạng tệp", 14),
    Col("valid", "Tệp hợp lệ", 9),
    Col("severity", "Mức độ", 10),
    Col("sheet", "Trang", 16),
    Col("cell", "Ô", 8),
    Col("code", "Mã lỗi", 20),
    Col("message", "Nội dung", 70, wrap=True),
)
SEVERITY_COL = 1 + [c.key for c in ISSUE_COLS].index("severity")
#: The stable English issue code stays in its column for programs, hidden: people read "Nội dung".
ISSUE_CODE_COL = 1 + [c.key for c in ISSUE_COLS].index("code")


def issues_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Every validation finding (errors and warnings), by agency and file; clean files have no row."""
    header_block(
        ws,
        plan,
        result.year,
        len(ISSUE_COLS),
        f"KẾT QUẢ KIỂM TRA TỆP BÁO CÁO NĂM {result.year}",
        "(Lỗi: số liệu không được dùng để tổng hợp; cảnh báo: cần xem lại)",
    )
    rows: list[list[Any]] = []
    total = 0
    files = sorted(result.file_issues, key=lambda f: (f.agency or "~", f.path))
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
            c.fill = STATUS_FILLS["deterioration"]
        elif c.value == SEVERITY_LABELS["warning"]:
            c.fill = STATUS_FILLS["moderate_progress"]
    ws.column_dimensions[get_column_letter(ISSUE_CODE_COL)].hidden = True
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(ISSUE_COLS), last_row=last)


NARRATIVE_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 24, wrap=True),
    Col("no", "STT", 6, INT),
    Col("task", "Nhiệm vụ được giao", 50, wrap=True),
    Col("result", "Kết quả thực hiện", 60, wrap=True),
)


def narratives_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Task results and difficulties as the agencies wrote them (always stored as text)."""
    header_block(
        ws,
        plan,
        result.year,
        len(NARRATIVE_COLS),
        f"KẾT QUẢ THỰC HIỆN NHIỆM VỤ; KHÓ KHĂN, KIẾN NGHỊ NĂM {result.year}",
        "(Tổng hợp nguyên văn từ báo cáo của các cơ quan, đơn vị)",
    )
    rows: list[list[Any]] = []
    for n in sorted(result.narratives, key=lambda n: n.agency):
        label = agency_label(plan, n.agency)
        for i, t in enumerate(n.tasks, start=1):
            rows.append([n.agency, label, i, t.task, t.result])
        if n.difficulties:
            rows.append([n.agency, label, None, "Khó khăn, vướng mắc và kiến nghị", n.difficulties])
    last = table(ws, NARRATIVE_COLS, rows)
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(NARRATIVE_COLS), last_row=last)


BUDGET_COLS = (
    Col("agency", "Mã đơn vị", 14),
    Col("name", "Cơ quan, đơn vị", 40, wrap=True),
    Col("state", "Ngân sách nhà nước (triệu đồng)", 18, MONEY),
    Col("mobilised", "Huy động từ tổ chức, cá nhân (triệu đồng)", 18, MONEY),
    Col("total", "Tổng cộng (triệu đồng)", 18, MONEY),
)
#: Key of the budget total row: its label, written in column A (merged over the name column).
BUDGET_TOTAL_KEY = "Tổng cộng toàn tỉnh"


def budget_totals(result: ConsolidationResult) -> tuple[float, float]:
    """Σ state budget and Σ mobilised funds over all agencies (a blank counts as nothing)."""
    state = sum(b.state or 0.0 for b in result.budget)
    mobilised = sum(b.mobilised or 0.0 for b in result.budget)
    return state, mobilised


def budget_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Budget by agency and source, with the provincial total by source in the last row."""
    header_block(
        ws,
        plan,
        result.year,
        len(BUDGET_COLS),
        f"KINH PHÍ THỰC HIỆN KẾ HOẠCH NĂM {result.year}",
        "(Đơn vị tính: triệu đồng)",
    )
    rows: list[list[Any]] = []
    for b in sorted(result.budget, key=lambda b: b.agency):
        total = None if b.state is None and b.mobilised is None else (b.state or 0.0) + (b.mobilised or 0.0)
        rows.append([b.agency, agency_label(plan, b.agency), b.state, b.mobilised, total])
    state, mob = budget_totals(result)
    rows.append([BUDGET_TOTAL_KEY, "", state, mob, state + mob])
    last = table(ws, BUDGET_COLS, rows)
    ws.merge_cells(start_row=last, start_column=1, end_row=last, end_column=2)
    ws.row_dimensions[last].height = 20  # one line once merged over the name column
    for j in range(1, len(BUDGET_COLS) + 1):
        c = ws.cell(row=last, column=j)
        c.font, c.fill = F_BOLD, TOTAL_FILL
    page_setup(ws, landscape=False, freeze="C9", print_cols=len(BUDGET_COLS), last_row=last)
