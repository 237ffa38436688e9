"""Units that lag: the district matrix with a symbol beside every colour, a ranking per measure, a
scorecard per reporting unit, and the overview's list «Đơn vị cần quan tâm».

Decisions where the plan is silent:

- *Rank*: 1 is the best value in the measure's direction; equal values share a rank (1, 2, 2, 4);
  a unit without a usable value, marked «Không có số liệu», or with a small number has no rank.
- *Unit verdict*: the unit's own value against the province's milestone target of the year
  (plan/review.py `judge`); none for a small number.
- *Attention*: relative, so it still picks a few units in a year most units miss the targets: a
  unit is listed when it is among the last `BOTTOM` ranked units on at least a third of the measures
  it is ranked on (a measure counts when more than `BOTTOM` units are ranked and they are not all
  equal). The rule is printed on the overview; the number of targets missed is shown beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.results import ConsolidationResult, DistrictMeasure
from xltoolkit.plan.history import break_in, unit_continuation
from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.review import judge
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.summary.history import break_note, level_title, mark_break
from xltoolkit.summary.sheets import (
    F_BOLD,
    FIRST_ROW,
    INT,
    LINE_PT,
    NUM,
    STATUS_FILLS,
    TABLE_HEADER_ROW,
    TOTAL_FILL,
    Col,
    appendix_title,
    page_setup,
    print_pages,
    put,
    short_label,
    split_pages,
    style,
    table,
    text_lines,
)
from xltoolkit.workbook.styles import BOX, CENTER, FONT

RANKING_SHEET = "Xếp hạng"
SCORECARD_SHEET = "Theo đơn vị"

#: A symbol beside each status colour, so a black-and-white print still tells them apart.
STATUS_SYMBOLS: dict[str, str] = {
    "target_achieved": "✓",
    "substantial_progress": "▲",
    "moderate_progress": "►",
    "limited_progress": "▼",
    "deterioration": "✗",
    "not_available": "",
}
assert set(STATUS_SYMBOLS) == set(STATUS_LABELS)
#: A unit against the province (scorecard), and the last rank (ranking): signs no status uses.
VERSUS_MARKS = {True: "↑ tốt hơn", False: "↓ kém hơn"}
LAST_RANK_TEXT = "(cuối)"
SMALL_NUMBER_TEXT = "số nhỏ"
NO_DATA_TEXT = "Không có số liệu"
SMALL_FONT = Font(name=FONT, size=12, italic=True, color="7F7F7F")
VERDICT_MARK = {"met": "✓ Đạt", "not_met": "✗ Không đạt"}
#: «Nhóm cuối»: the last BOTTOM ranked units of a measure; a unit in it on at least ATTENTION_SHARE
#: of its ranked measures needs attention.
BOTTOM = 3
ATTENTION_SHARE = 1 / 3
LEFT = Alignment(horizontal="left", vertical="center")
WRAP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)


def attention_rule(year: int) -> str:
    return (
        f"Đơn vị được liệt kê khi đứng trong {BOTTOM} đơn vị cuối tỉnh (xếp hạng năm {year}) ở từ một "
        "phần ba số chỉ tiêu được xếp hạng của đơn vị trở lên; không tính chỉ tiêu đơn vị không có số "
        "liệu hoặc có số nhỏ."
    )


def ranks(plan: Plan, result: ConsolidationResult) -> dict[str, dict[str, int]]:
    """measure code -> {district id: rank} over the rankable units (1 = best)."""
    out: dict[str, dict[str, int]] = {}
    by_code: dict[str, list[tuple[str, float]]] = {}
    for d in result.districts:
        for dm in d.measures:
            if dm.rankable and dm.value is not None:
                by_code.setdefault(dm.code, []).append((d.agency, dm.value))
    for m in plan.measures:
        values = by_code.get(m.code, [])
        sign = -1 if m.higher_is_better else 1
        ordered = sorted(values, key=lambda av: sign * av[1])
        r: dict[str, int] = {}
        for i, (agency, v) in enumerate(ordered):
            prev = ordered[i - 1] if i else None
            r[agency] = r[prev[0]] if prev is not None and prev[1] == v else i + 1
        out[m.code] = r
    return out


@dataclass
class Attention:
    agency: str
    not_met: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)  # measures where the unit is in the bottom group
    ranked: int = 0  # measures the unit is ranked on (with a bottom group)


def unit_verdict(m: Measure, dm: DistrictMeasure, year: int) -> str | None:
    if not dm.rankable:
        return None
    return judge(m, dm.value, year).verdict


def attention(plan: Plan, result: ConsolidationResult) -> list[Attention]:
    """The units that lag (see the module docstring), most often in the bottom group first."""
    rk = ranks(plan, result)
    # measures with a bottom group: more units than it, and not all ranked equal
    grouped = {code for code, r in rk.items() if len(r) > BOTTOM and max(r.values()) != min(r.values())}
    out = []
    for d in result.districts:
        a = Attention(d.agency)
        for dm in d.measures:
            r = rk.get(dm.code, {})
            if dm.code not in plan.measure_by_code or d.agency not in r or dm.code not in grouped:
                continue
            a.ranked += 1
            if r[d.agency] > len(r) - BOTTOM:
                a.last.append(dm.code)
        if a.ranked and len(a.last) >= ATTENTION_SHARE * a.ranked:
            # judged for the units listed only: a national year has ~100,000 unit values
            a.not_met = [
                dm.code
                for dm in d.measures
                if dm.code in plan.measure_by_code
                and unit_verdict(plan.measure_by_code[dm.code], dm, result.year) == "not_met"
            ]
            out.append(a)
    rank = {d.id: i for i, d in enumerate(plan.districts)}
    return sorted(out, key=lambda a: (-len(a.last) / a.ranked, rank.get(a.agency, len(rank))))


def district_cell(ws: Worksheet, cell: Any, dm: DistrictMeasure | None, fmt: str) -> None:
    """A unit's value: coloured by status with its symbol; «số nhỏ» grey, uncoloured, unranked.
    (Styled through the style cache: one cell per measure and unit.)"""
    if dm is not None and (dm.no_data or dm.small_number):
        cell.value = NO_DATA_TEXT if dm.no_data else SMALL_NUMBER_TEXT
        cell.data_type = "s"
        style(cell, font=SMALL_FONT, border=BOX, alignment=CENTER)
        return
    status = dm.status.status if dm is not None else "not_available"
    symbol = STATUS_SYMBOLS.get(status, "")
    shown = f'{fmt}" {symbol}"' if symbol and dm is not None and dm.value is not None else fmt
    fill = STATUS_FILLS.get(status, STATUS_FILLS["not_available"])
    style(cell, fill=fill, border=BOX, alignment=CENTER, fmt=shown)


def ranking_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """Measures down, units across: each unit's rank (1 = best); the last rank marked «(cuối)»."""
    districts = result.districts
    cols = [
        Col("code", "Mã", 6),
        Col("name", "Chỉ tiêu", 34, wrap=True),
        Col("count", "Số đơn vị xếp hạng", 9),
    ]
    cols += [Col(d.agency, short_label(plan, d.agency), 9, INT) for d in districts]
    rk = ranks(plan, result)
    by_district = [{dm.code: dm for dm in d.measures} for d in districts]
    rows = []
    for m in plan.measures:
        row: list[Any] = [m.code, m.name, len(rk[m.code])]
        for d, bd in zip(districts, by_district, strict=True):
            dm = bd.get(m.code)
            if dm is not None and dm.small_number:
                row.append(SMALL_NUMBER_TEXT)
            else:
                row.append(rk[m.code].get(d.agency))
        rows.append(row)
    last = table(ws, cols, rows)
    for i, m in enumerate(plan.measures):
        r = rk[m.code]
        worst = max(r.values()) if r and max(r.values()) > min(r.values()) else None
        for j, d in enumerate(districts, start=4):
            c = ws.cell(row=FIRST_ROW + i, column=j)
            if c.value == SMALL_NUMBER_TEXT:
                c.font = SMALL_FONT
            elif worst is not None and r.get(d.agency) == worst:
                c.number_format = f'0" {LAST_RANK_TEXT}"'
                c.font = F_BOLD
                c.fill = STATUS_FILLS["limited_progress"]
    note = last + 2
    put(ws, note, 2, "Hạng 1: giá trị tốt nhất theo yêu cầu của chỉ tiêu; ô trống: không có số liệu; "
        "«số nhỏ»: mẫu số dưới ngưỡng, không xếp hạng.")  # fmt: skip
    page_setup(ws, landscape=True, freeze="D9", print_cols=len(cols), last_row=note)
    pages = split_pages(ws, len(cols), landscape=True, repeat_cols=2)
    appendix_title(
        ws, plan, result.year, pages, "Phụ lục IV",
        f"XẾP HẠNG CÁC ĐƠN VỊ {level_title(plan)} THEO CHỈ TIÊU NĂM {result.year}",
        "(Không xếp hạng đơn vị không có số liệu hoặc có số nhỏ)",
    )  # fmt: skip
    print_pages(ws, len(cols), landscape=True, repeat_cols=2, pages=pages)


def scorecard_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """One block per unit (a page each): its values over the years against the target and the
    province, its verdict and its rank."""
    years = sorted({y for d in result.districts for dm in d.measures for y in dm.trend})
    # One A4 landscape page wide at the minimum scale, whatever the number of years (names wrap).
    year_w = 7.0
    name_w = max(24.0, 40.0 - max(0, len(years) - 5) * (year_w + 0.6))
    cols = [
        Col("code", "Mã", 6),
        Col("name", "Chỉ tiêu", name_w, wrap=True),
        Col("target", "Mục tiêu năm mốc", 8),
    ]
    cols += [Col(f"y_{y}", y, year_w, NUM) for y in years]
    cols += [
        Col("province", f"Toàn tỉnh năm {result.year}", 8, NUM),
        Col("verdict", "So với mục tiêu", 10, wrap=True),
        Col("vs_province", "So với toàn tỉnh", 10, wrap=True),
        Col("rank", "Hạng", 6),
    ]
    province = {m.code: m for m in result.measures}
    rk = ranks(plan, result)
    blocks: list[tuple[str, list[list[Any]], list[str]]] = []
    for d in result.districts:
        rows, fmts = [], []
        for dm in d.measures:
            m = plan.measure_by_code.get(dm.code)
            if m is None or not (dm.trend or dm.value is not None or dm.small_number or dm.no_data):
                continue
            rows.append(_scorecard_row(m, dm, province.get(m.code), rk, d.agency, years, result.year))
            fmts.append(m.code)
        blocks.append((d.agency, rows, fmts))
    _write_blocks(ws, plan, cols, blocks)
    brk = break_in(plan, years)
    mark_break(ws, TABLE_HEADER_ROW, {y: 4 + i for i, y in enumerate(years)}, brk)
    last = break_note(ws, ws.max_row + 2, 1, brk) if brk is not None else ws.max_row
    page_setup(ws, landscape=True, freeze="C9", print_cols=len(cols), last_row=last)
    pages = split_pages(ws, len(cols), landscape=True, repeat_cols=2)
    appendix_title(
        ws, plan, result.year, pages, "Phụ lục V",
        f"KẾT QUẢ CÁC CHỈ TIÊU CỦA TỪNG ĐƠN VỊ {level_title(plan)} QUA CÁC NĂM",
        "(✓ đạt, ✗ không đạt mục tiêu năm mốc; ↑ tốt hơn, ↓ kém hơn toàn tỉnh; «số nhỏ»: không đánh giá)",
    )  # fmt: skip
    print_pages(ws, len(cols), landscape=True, repeat_cols=2, pages=pages)


def _scorecard_row(
    m: Measure,
    dm: DistrictMeasure,
    prov: Any,
    rk: dict[str, dict[str, int]],
    agency: str,
    years: Sequence[int],
    year: int,
) -> list[Any]:
    target = m.targets.get(year, m.standing_target)
    series = {**dm.trend, **({year: dm.value} if dm.value is not None else {})}
    pv = prov.value if prov is not None else None
    if dm.small_number or dm.no_data:
        verdict = SMALL_NUMBER_TEXT if dm.small_number else NO_DATA_TEXT
        versus = ""
    else:
        v = unit_verdict(m, dm, year)
        verdict = VERDICT_MARK[v] if v else ""
        versus = ""
        if dm.value is not None and pv is not None and dm.value != pv:
            better = (dm.value > pv) == m.higher_is_better
            versus = VERSUS_MARKS[better]
    rank = rk.get(m.code, {}).get(agency)
    total = len(rk.get(m.code, {}))
    return [
        m.code,
        m.name,
        "" if target is None else f"{target:g}".replace(".", ","),
        *(series.get(y) for y in years),
        pv,
        verdict,
        versus,
        f"{rank}/{total}" if rank else "",
    ]


def _write_blocks(
    ws: Worksheet, plan: Plan, cols: list[Col], blocks: list[tuple[str, list[list[Any]], list[str]]]
) -> None:
    """The header once (repeated on every printed page), then each unit's name row and its rows,
    a page break before every unit but the first."""
    from xltoolkit.summary.measures import number_format

    table(ws, cols, [])
    r = TABLE_HEADER_ROW
    nums = [c.key for c in cols if c.key.startswith("y_") or c.key == "province"]
    for k, (agency, rows, codes) in enumerate(blocks):
        if k:
            ws.row_breaks.append(Break(id=r))
        r += 1
        # The unit's name flows over the empty cells of its row (no merge: merges are slow to write).
        put(ws, r, 1, f"Đơn vị: {plan.body_name(plan.agency_by_id[agency])}", alignment=LEFT)
        for j in range(1, len(cols) + 1):
            style(ws.cell(row=r, column=j), font=F_BOLD, fill=TOTAL_FILL, alignment=LEFT)
        lineage = unit_continuation(plan, agency)
        if lineage is not None:
            # a new commune: its own years start with it; say whether a former district runs on
            r += 1
            text = f"Chuỗi số liệu: {lineage.reason}"
            put(ws, r, 1, text, alignment=WRAP_LEFT).font = SMALL_FONT
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(cols))
            width = sum(c.width for c in cols) * 0.9
            ws.row_dimensions[r].height = text_lines(text, width) * LINE_PT + 2
        if not rows:
            r += 1
            put(ws, r, 2, "Chưa có số liệu.")
            continue
        formats = []
        for code in codes:
            fmt = number_format(plan.measure_by_code[code])
            formats.append(dict.fromkeys(nums, fmt))
        r = table(ws, cols, rows, header_row=r, header=False, formats=formats)
