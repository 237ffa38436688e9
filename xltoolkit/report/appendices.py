"""The report's appendices as tables: the measures, the reporting units, the files received.

Agencies by name in the plan's order; file hashes are not printed (the ledger keeps them).
"""

from __future__ import annotations

from datetime import datetime

from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.plan.model import Plan
from xltoolkit.plan.review import (
    VERDICT_LABELS,
    YearReview,
    format_decimal,
    format_target,
    format_value,
    measure_decimals,
    next_target,
)
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.report.document import Table

STATE_LABELS = {
    "accepted": "Được sử dụng",
    "superseded": "Đã được thay thế",
    "rejected": "Không sử dụng được",
}


def _gap_cell(decimals: int, gap: float | None) -> str:
    if gap is None:
        return "—"
    if gap == 0:
        return "0"
    return f"{'thiếu' if gap > 0 else 'vượt'} {format_decimal(abs(gap), decimals)}"


def measures_table(result: ConsolidationResult, plan: Plan, review: YearReview) -> Table:
    year = result.year
    by_code = {m.code: m for m in result.measures}
    later = sorted({y for m in plan.measures for y in m.targets if y > year})
    rows = []
    for m in plan.measures:
        mr, rev = by_code.get(m.code), review.measures.get(m.code)
        if mr is None or rev is None:
            continue
        v = rev.verdict
        if v.target is not None:
            when = str(year) if year in m.targets else "hằng năm"
            target = f"{format_target(m, v.target)} ({when})"
        elif mr.status.target is not None:
            target = f"{format_target(m, mr.status.target)} ({mr.status.milestone_year or 'hằng năm'})"
        else:
            target = "—"
        judged = VERDICT_LABELS[v.verdict] if v.verdict else STATUS_LABELS[mr.status.status]
        o = rev.outlook
        if o is not None:
            word = "Có khả năng đạt" if o.on_track else "Có nguy cơ không đạt"
            outlook = f"{word} ({format_value(m, o.projected)})"
        else:
            outlook = "—" if next_target(m, year) else ""
        rows.append(
            (m.code, m.name, m.unit, target, format_value(m, mr.value), _gap_cell(measure_decimals(m), v.gap),
             judged, outlook)
        )  # fmt: skip
    horizon = f"Dự báo năm {later[0]}" if later else "Dự báo"
    return Table(
        label="Phụ lục I",
        title=f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NĂM {year}",
        columns=(
            ("Mã", 1.2),
            ("Chỉ tiêu", 7.9),
            ("Đơn vị tính", 2.4),
            ("Mục tiêu", 3.4),
            (f"Kết quả năm {year}", 2.2),
            ("Chênh lệch so với mục tiêu", 2.3),
            ("Đánh giá", 2.4),
            (horizon, 3.4),
        ),
        rows=tuple(rows),
        note=(
            "Chênh lệch tính theo đơn vị của chỉ tiêu (với tỷ lệ % là điểm phần trăm). "
            "Đánh giá «Đạt»/«Không đạt» ở năm có mục tiêu; năm khác ghi mức tiến bộ so với "
            "mục tiêu gần nhất. Dự báo: kết quả mới nhất tiếp tục theo tốc độ tăng bình quân hằng năm "
            "đã đạt từ năm đầu có số liệu."
        ),
        landscape=True,
    )


def _first_received(result: ConsolidationResult) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for s in result.submissions:
        if s.agency and s.year == result.year and s.state != "rejected":
            first[s.agency] = min(first.get(s.agency, s.received_at), s.received_at)
    return first


def _money_cell(x: object) -> str:
    if isinstance(x, int | float) and not isinstance(x, bool):
        return format_decimal(float(x), 1)
    return ""


def units_table(result: ConsolidationResult, plan: Plan) -> Table:
    first = _first_received(result)
    budget = {b.get("agency"): b for b in result.budget}
    late, received = set(result.late), set(result.received)
    deadline = plan.deadline_for(result.year)
    rows = []
    for i, a in enumerate(plan.agencies, 1):
        when = first.get(a.id)
        state = "Chưa gửi" if a.id not in received else "Gửi muộn" if a.id in late else "Đúng hạn"
        b = budget.get(a.id, {})
        rows.append(
            (str(i), plan.body_name(a), f"{when:%d/%m/%Y}" if when and a.id in received else "", state,
             _money_cell(b.get("state")), _money_cell(b.get("mobilised")))
        )  # fmt: skip
    return Table(
        label="Phụ lục II",
        title=f"TÌNH HÌNH BÁO CÁO VÀ KINH PHÍ CỦA CÁC CƠ QUAN, ĐƠN VỊ NĂM {result.year}",
        columns=(
            ("STT", 1.4),
            ("Cơ quan, đơn vị", 5.3),
            ("Ngày nhận", 2.4),
            ("Thời hạn", 2.3),
            ("Ngân sách nhà nước (triệu đồng)", 2.6),
            ("Huy động (triệu đồng)", 2.5),
        ),
        rows=tuple(rows),
        note=f"Hạn gửi báo cáo: ngày {deadline:%d/%m/%Y}; «Ngày nhận»: ngày nhận tệp đầu tiên sử dụng được.",
    )


def submissions_table(result: ConsolidationResult, plan: Plan) -> Table:
    rank = {a.id: i for i, a in enumerate(plan.agencies)}
    subs = sorted(result.submissions, key=lambda s: (rank.get(s.agency or "", len(rank)), s.received_at))
    rows = []
    for i, s in enumerate(subs, 1):
        agency = plan.agency_by_id.get(s.agency or "")
        who = plan.body_name(agency) if agency else "Không xác định"
        state = STATE_LABELS.get(s.state, s.state) + (" (gửi muộn)" if s.late else "")
        rows.append(
            (str(i), who, s.original_name, f"{s.received_at:%d/%m/%Y %H:%M}", state, str(s.errors),
             str(s.warnings))
        )  # fmt: skip
    return Table(
        label="Phụ lục III",
        title=f"CÁC TỆP BÁO CÁO ĐÃ NHẬN NĂM {result.year}",
        columns=(
            ("STT", 1.3),
            ("Cơ quan, đơn vị", 4.6),
            ("Tệp", 7.6),
            ("Thời điểm nhận", 3.0),
            ("Tình trạng", 4.5),
            ("Số lỗi", 1.6),
            ("Số cảnh báo", 2.2),
        ),
        rows=tuple(rows),
        note="Mỗi tệp được lưu trữ nguyên trạng trong sổ theo dõi cùng mã băm (SHA-256) để đối chiếu.",
        landscape=True,
    )


def appendices(result: ConsolidationResult, plan: Plan, review: YearReview) -> tuple[Table, ...]:
    return (measures_table(result, plan, review), units_table(result, plan), submissions_table(result, plan))
