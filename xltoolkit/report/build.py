"""Draft the year's report from the consolidation: the text an officer would otherwise retype.

Everything here is drafted from data (the plan, the consolidation, the review); the officer edits
the Word file before signing. Agencies appear in the plan's order and by name, never by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from xltoolkit.consolidation.results import ConsolidationResult, MeasureResult, Narrative, TaskResult
from xltoolkit.plan.history import local_terms
from xltoolkit.plan.model import Indicator, Measure, Plan
from xltoolkit.plan.review import (
    VERDICT_LABELS,
    MeasureReview,
    YearReview,
    format_decimal,
    format_gap,
    format_target,
    format_value,
    unit_suffix,
)
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.report.appendices import appendices
from xltoolkit.report.document import Block, ReportDocument, Signature

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def reporting_period(plan: Plan, year: int) -> tuple[date, date]:
    """Nghị định 09/2019/NĐ-CP, Điều 12: 15 December of the previous year to 14 December."""
    return date(year - 1, 12, 15), date(year, 12, 14)


def period_sentence(plan: Plan, year: int) -> str:
    start, end = reporting_period(plan, year)
    return (
        f"Thời gian lấy số liệu: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y} "
        "(theo Điều 12 Nghị định số 09/2019/NĐ-CP ngày 24/01/2019 của Chính phủ quy định "
        "về chế độ báo cáo của cơ quan hành chính nhà nước)."
    )


def report_kind(plan: Plan, year: int) -> str:
    if year in plan.review_years:
        return "final" if year >= plan.period[1] else "mid_term"
    return "annual"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def subject(plan: Plan, year: int) -> str:
    kind, lo = report_kind(plan, year), plan.period[0]
    what = plan.name  # the plan's title, capitalised as a document name
    if kind == "mid_term":
        return f"Sơ kết giai đoạn {lo}-{year} thực hiện {what}"
    if kind == "final":
        return f"Tổng kết giai đoạn {lo}-{year} thực hiện {what}"
    return f"Kết quả thực hiện {what} năm {year}"


# ------------------------------------------------------------------------------------ results text


def _value_text(m: Measure, value: float | None) -> str:
    return "chưa có số liệu" if value is None else f"{format_value(m, value)}{unit_suffix(m)}"


def measure_sentence(m: Measure, mr: MeasureResult, rev: MeasureReview, year: int) -> str:
    """'Tỷ lệ …: 96,90% (mục tiêu năm 2025: Đạt tối thiểu 99,9%) — Không đạt, còn thiếu …'."""
    v = rev.verdict
    text = f"{m.name}: {_value_text(m, mr.value)}"
    if v.target is not None:
        when = f"năm {year}" if year in m.targets else "hằng năm"
        text += f" (mục tiêu {when}: {_lower_first(format_target(m, v.target))}{unit_suffix(m)})"
        if v.verdict is not None:
            text += f" — {VERDICT_LABELS[v.verdict]}"
            if v.verdict == "not_met":
                text += f", {format_gap(m, v.gap)}"
    else:
        st = mr.status
        if st.target is not None and st.milestone_year is not None:
            target = _lower_first(format_target(m, st.target))
            text += f" (mục tiêu năm {st.milestone_year}: {target}{unit_suffix(m)})"
        text += f" — {STATUS_LABELS[st.status]}"
    if rev.outlook is not None:
        text += f"; {rev.outlook.label[0].lower()}{rev.outlook.label[1:]}"
    return text + "."


def _indicator_blocks(
    ind: Indicator, result: ConsolidationResult, review: YearReview, year: int
) -> list[Block]:
    by_code = {m.code: m for m in result.measures}
    verdict = next((i for i in review.indicators if i.number == ind.number), None)
    head = f"Chỉ tiêu {ind.number}: {ind.name}"
    if verdict is not None and verdict.verdict is not None:
        head += f" — {VERDICT_LABELS[verdict.verdict]}"
    out = [Block("heading3", head)]
    for m in ind.measures:
        mr = by_code.get(m.code)
        if mr is not None:
            out.append(Block("bullet", measure_sentence(m, mr, review.measures[m.code], year)))
    return out


def results_section(result: ConsolidationResult, plan: Plan, review: YearReview) -> list[Block]:
    year = result.year
    out = [Block("heading1", "I. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU, CHỈ TIÊU")]
    s = review.review
    if s is not None:
        out.append(
            Block(
                "body",
                f"Đến năm {year}, có {s.indicators_met}/{s.indicators_with_target} chỉ tiêu có mục tiêu "
                f"năm {year} đạt mục tiêu; xét theo từng nội dung chỉ tiêu, {s.measures_met}/"
                f"{s.measures_with_target} nội dung đạt. Chi tiết tại Phụ lục I.",
            )
        )
    goals = {g.number: g.name for g in plan.goals}
    numbers: list[int | None] = [*sorted({i.goal for i in plan.indicators if i.goal is not None})] or [None]
    for k, goal in enumerate(numbers, 1):
        inds = [i for i in plan.indicators if i.goal == goal or goal is None]
        if goal is not None:
            out.append(Block("heading2", f"{k}. Mục tiêu {goal}: {goals.get(goal, '')}".rstrip(": ")))
        for ind in inds:
            out.extend(_indicator_blocks(ind, result, review, year))
    return out


# ------------------------------------------------------------------------------------ narratives


def _ordered(plan: Plan, items: Iterable[Narrative]) -> list[Narrative]:
    rank = {a.id: i for i, a in enumerate(plan.agencies)}
    return sorted(items, key=lambda d: rank.get(d.agency or "", len(rank)))


def _task_lines(tasks: list[TaskResult]) -> list[tuple[str, str]]:
    out = []
    for t in tasks:
        task, res = (t.task or "").strip(), (t.result or "").strip()
        if task or res:
            out.append((task.rstrip(".;: "), res))
    return out


def tasks_section(result: ConsolidationResult, plan: Plan) -> list[Block]:
    """Departments one by one; districts grouped by their shared task, each result attributed."""
    out = [Block("heading1", "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ, GIẢI PHÁP")]
    narratives = _ordered(plan, result.narratives)
    k = 0
    districts: dict[str, list[str]] = {}
    for n in narratives:
        agency = plan.agency_by_id.get(n.agency or "")
        if agency is None:
            continue
        lines = _task_lines(n.tasks)
        if agency.is_local:
            for task, res in lines:
                if res:
                    districts.setdefault(task, []).append(f"{plan.body_name(agency)}: {res}")
            continue
        if not lines:
            continue
        k += 1
        out.append(Block("heading2", f"{k}. {agency.name}"))
        out.extend(Block("bullet", f"{task}: {res or 'chưa báo cáo kết quả'}") for task, res in lines)
    if districts:
        k += 1
        out.append(Block("heading2", f"{k}. {local_terms(plan).bodies}"))
        for task, results in districts.items():
            out.append(Block("bullet", task))
            out.extend(Block("body", f"+ {r}") for r in results)
    if k == 0:
        out.append(Block("body", "Chưa có cơ quan, đơn vị nào báo cáo kết quả thực hiện nhiệm vụ."))
    return out


def _money(x: object) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0.0


def budget_section(result: ConsolidationResult, plan: Plan) -> list[Block]:
    state = sum(_money(b.state) for b in result.budget)
    mob = sum(_money(b.mobilised) for b in result.budget)
    total = state + mob
    out = [Block("heading1", "III. KINH PHÍ THỰC HIỆN")]
    if total == 0:
        out.append(Block("body", f"Các cơ quan, đơn vị chưa báo cáo kinh phí thực hiện năm {result.year}."))
        return out
    reported = sum(1 for b in result.budget if b.state is not None or b.mobilised is not None)
    out.append(
        Block(
            "body",
            f"Tổng kinh phí thực hiện Kế hoạch năm {result.year} do {reported} cơ quan, đơn vị báo cáo là "
            f"{format_decimal(total, 1)} triệu đồng, trong đó: ngân sách nhà nước {format_decimal(state, 1)} "
            f"triệu đồng ({format_decimal(100 * state / total, 1)}%); huy động từ tổ chức, cá nhân "
            f"{format_decimal(mob, 1)} triệu đồng ({format_decimal(100 * mob / total, 1)}%). "
            "Chi tiết theo cơ quan, đơn vị tại Phụ lục II.",
        )
    )
    return out


def difficulties_section(result: ConsolidationResult, plan: Plan) -> list[Block]:
    """Each difficulty raised once, with the agencies that raised it."""
    raised: dict[str, list[str]] = {}
    for n in _ordered(plan, result.narratives):
        agency = plan.agency_by_id.get(n.agency or "")
        text = n.difficulties
        if agency is None or not isinstance(text, str):
            continue
        for line in text.splitlines():
            item = line.strip().lstrip("-–•+* ").strip().rstrip(".;")
            if item:
                who = raised.setdefault(item, [])
                if agency.label not in who:
                    who.append(agency.label)
    out = [Block("heading1", "IV. KHÓ KHĂN, VƯỚNG MẮC")]
    if not raised:
        out.append(Block("body", "Các cơ quan, đơn vị không nêu khó khăn, vướng mắc."))
    for item, who in raised.items():
        names = ", ".join(who) if len(who) <= 4 else f"{', '.join(who[:3])} và {len(who) - 3} đơn vị khác"
        out.append(Block("bullet", f"{item} ({names})."))
    return out


def proposals_section() -> list[Block]:
    return [
        Block("heading1", "V. KIẾN NGHỊ, ĐỀ XUẤT"),
        Block("placeholder", "(Cán bộ tổng hợp ghi kiến nghị, đề xuất trước khi trình ký.)"),
        Block("body", "1. …"),
        Block("body", "2. …"),
    ]


# ------------------------------------------------------------------------------------ the document


def _intro(result: ConsolidationResult, plan: Plan) -> list[Block]:
    basis = f"Thực hiện {plan.document}" if plan.document else f"Thực hiện {plan.name}"
    issuer = plan.agency_by_id[plan.consolidator].name
    total = len(plan.agencies)
    late = f", trong đó {len(result.late)} đơn vị gửi sau hạn" if result.late else ""
    return [
        Block("body", f"{basis}; {issuer} báo cáo kết quả thực hiện như sau:"),
        Block(
            "body",
            f"{period_sentence(plan, result.year)} Số liệu được tổng hợp từ báo cáo của "
            f"{len(result.received)}/{total} cơ quan, đơn vị{late} (Phụ lục II, Phụ lục III).",
        ),
    ]


def build_report(result: ConsolidationResult, plan: Plan, review: YearReview) -> ReportDocument:
    """The year's report document, drafted from the consolidation and the review of the year; from
    the plan as in force that year, so issuer, place, «Kính gửi» and «Nơi nhận» are the edition's."""
    year = result.year
    plan = plan.for_year(year)
    info = plan.report
    issuer = plan.agency_by_id[plan.consolidator]
    place = info.place or plan.province
    body = [
        *_intro(result, plan),
        *results_section(result, plan, review),
        *tasks_section(result, plan),
        *budget_section(result, plan),
        *difficulties_section(result, plan),
        *proposals_section(),
        Block("body", f"Trên đây là báo cáo {_lower_first(subject(plan, year))}./."),
    ]
    return ReportDocument(
        year=year,
        kind=report_kind(plan, year),
        parent_body=(info.parent_body or plan.issuer).upper(),
        issuing_body=issuer.name.upper(),
        number=f"Số:      /BC-{info.symbol}" if info.symbol else "Số:      /BC",
        place_date=f"{place}, ngày      tháng      năm {year}",
        title="BÁO CÁO",
        subject=subject(plan, year),
        recipients=info.recipients,
        period=period_sentence(plan, year),
        body=tuple(body),
        distribution=info.distribution,
        signature=Signature(info.signer_authority, info.signer_title or "GIÁM ĐỐC", info.signer_name),
        appendices=appendices(result, plan, review),
    )
