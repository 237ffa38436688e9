"""What a sample report is filled with: trajectories around each measure's target, district counts,
task results, budget and contact details. `sample.py` decides which agency sends what and when; this
module only makes the figures and texts, all from the random generator it is given (so seeded runs
repeat exactly)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import openpyxl

from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.checks import evaluate_rules
from xltoolkit.plan.model import Agency, Measure, Plan
from xltoolkit.workbook import names as input_names

#: Denominator size relative to a district's live births, found by words of the denominator label
#: (first match wins), so another plan's measures still get plausible sizes.
DENOMINATOR_FACTORS: tuple[tuple[str, float], ...] = (
    ("trẻ đẻ sống", 1.0),
    ("mẹ nhiễm hiv", 0.004),
    ("khuyết tật", 0.08),
    ("thiên tai", 0.03),
    ("hoàn cảnh đặc biệt", 1.1),
    ("độ tuổi hoàn thành", 1.0),
    ("cơ sở giáo dục", 0.025),
    ("trường học", 0.02),
    ("học sinh tiểu học", 7.0),
    ("trung học cơ sở", 5.5),
    ("dưới 1 tuổi", 1.0),
    ("nông thôn", 3.3),
    ("thành thị", 1.2),
    ("được cân", 4.5),
    ("dưới 5 tuổi", 5.0),
    ("5 tuổi", 1.0),
    ("đến 8 tuổi", 8.5),
    ("07 tuổi", 10.0),
    ("11 tuổi", 7.0),
    ("5 đến 17", 13.0),
    ("trẻ em", 18.0),
)
COMMUNE_WORDS = "xã, phường"
TREND_KINDS = ("achieve", "improve", "stall", "worsen")

SOURCES = (
    "Sổ sách thống kê của Trạm Y tế xã",
    "Phần mềm quản lý chuyên ngành",
    "Báo cáo của UBND cấp xã",
    "Điều tra, rà soát cuối năm",
    "Hệ thống thông tin quản lý giáo dục",
)
TASK_RESULTS = (
    "Đã triển khai đầy đủ; tổ chức {n} lớp tập huấn cho {k} lượt người tham gia.",
    "Hoàn thành; phối hợp kiểm tra tại {n} xã, phường, thị trấn.",
    "Đang triển khai; đã thực hiện khoảng {p}% khối lượng công việc theo kế hoạch.",
    "Đã tổ chức {n} đợt truyền thông, tiếp cận khoảng {k} lượt trẻ em và cha mẹ.",
)
DIFFICULTIES = (
    "- Kinh phí bố trí còn hạn chế so với nhu cầu.\n"
    "- Đội ngũ làm công tác trẻ em cấp xã kiêm nhiệm nhiều việc.",
    "Số liệu một số chỉ tiêu chưa có hệ thống thu thập thống nhất; đề nghị Sở hướng dẫn cụ thể.",
    "+ Cần bổ sung tài liệu truyền thông; + đề nghị tập huấn thêm về phần mềm quản lý.",
    "",
)


# ------------------------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Trajectory:
    kind: str
    start: float
    end: float  # value in the last sample year

    def at(self, i: int, n: int) -> float:
        return self.start + (self.end - self.start) * (i / max(n - 1, 1))


def reference_target(m: Measure, year: int) -> float:
    _, t = m.milestone(year)
    if t is not None:
        return t
    return m.scale * (0.9 if m.higher_is_better else 0.05)


def trajectory(m: Measure, kind: str, last_year: int, rng: random.Random) -> Trajectory:
    """Start and end values (in the measure's unit) around the target, by kind of trend."""
    t = reference_target(m, last_year)
    top = m.scale if m.proportion else (m.plausible_max or m.scale)
    if m.higher_is_better:
        gap = max(min(t * rng.uniform(0.04, 0.15), t * 0.9), 0.05 * m.scale / 100)
        start = t - gap
        end = {
            "achieve": min(t + gap * rng.uniform(0.05, 0.3), top),
            "improve": start + gap * rng.uniform(0.55, 0.95),
            "stall": start + gap * rng.uniform(-0.05, 0.05),
            "worsen": start - gap * rng.uniform(0.3, 0.6),
        }[kind]
    else:
        start = t * rng.uniform(1.15, 1.45)
        gap = start - t
        end = {
            "achieve": t - gap * rng.uniform(0.05, 0.3),
            "improve": start - gap * rng.uniform(0.55, 0.95),
            "stall": start - gap * rng.uniform(-0.05, 0.05),
            "worsen": start + gap * rng.uniform(0.3, 0.6),
        }[kind]
    return Trajectory(kind, max(min(start, top), 0.0), max(min(end, top), 0.0))


def denominator_base(m: Measure, births: int, communes: int) -> int:
    label = (m.denominator or m.numerator).lower()
    if COMMUNE_WORDS in label:
        return communes
    factor = next((f for word, f in DENOMINATOR_FACTORS if word in label), 10.0)
    return max(int(births * factor), 1)


@dataclass
class SampleDistrict:
    agency: Agency
    births: int
    communes: int
    bias: dict[str, float]  # per-measure relative deviation from the provincial rate


def sample_units(plan: Plan, years: tuple[int, ...], rng: random.Random) -> dict[str, SampleDistrict]:
    """Every local reporting unit of the years' editions (districts to 2024, communes from 2025).

    A commune's size follows its lineage: its share of the births of the former districts it was
    formed from, so the provincial counts run on across the change as a real province's would.
    """
    local: dict[str, Agency] = {}
    for year in years:
        for a in plan.for_year(year).districts:
            local.setdefault(a.id, a)
    out: dict[str, SampleDistrict] = {}
    for a in local.values():  # districts first: a commune's size is read from theirs
        if a.kind == "district" or a.unit is None:
            bias = {m.code: rng.gauss(0, 0.08) for m in plan.measures}
            out[a.id] = SampleDistrict(a, rng.randint(1500, 6000), a.communes or rng.randint(8, 20), bias)
    shares = _lineage_births(plan, [a for a in local.values() if a.id not in out], out)
    for a in local.values():
        if a.id not in out:
            bias = {m.code: rng.gauss(0, 0.1) for m in plan.measures}
            births = shares.get(a.id) or rng.randint(300, 900)
            out[a.id] = SampleDistrict(a, max(int(births * rng.uniform(0.85, 1.15)), 60), 1, bias)
    return out


def _lineage_births(
    plan: Plan, communes: list[Agency], districts: dict[str, SampleDistrict]
) -> dict[str, float]:
    """Commune id -> births shared out from the former districts it was formed from (even split)."""
    if not plan.units_file or not communes:
        return {}
    from xltoolkit.plan.editions import unit_registry
    from xltoolkit.plan.units import district_successors, former_districts

    reg = unit_registry(plan)
    by_unit = {d.agency.unit: d for d in districts.values() if d.agency.unit}
    out: dict[str, float] = {}
    for c in communes:
        total = 0.0
        for district_id in former_districts(reg, c.unit or c.id) if (c.unit or c.id) in reg.by_id else ():
            d = by_unit.get(district_id)
            if d is not None:
                total += d.births / max(len(district_successors(reg, district_id)), 1)
        if total:
            out[c.id] = total
    return out


def district_counts(
    m: Measure, d: SampleDistrict, rate: float, year_index: int, rng: random.Random
) -> tuple[int, int | None]:
    growth = 1 + 0.01 * year_index * (1 if d.births % 2 else -1)
    base = denominator_base(m, int(d.births * growth), d.communes)
    den = max(int(base * rng.uniform(0.97, 1.03)), 1) if m.denominator else None
    r = rate * (1 + d.bias[m.code] + rng.gauss(0, 0.02))
    if m.proportion:
        r = min(max(r, 0.0), m.scale)
    if den is None:
        return max(round(r), 0), None
    if m.proportion and den < SMALL_COUNT:
        num = _successes(den, r / m.scale, f"{d.agency.id}/{m.code}/{year_index}")
    else:
        num = round(den * r / m.scale)
    if m.proportion:
        num = min(num, den)
    return max(num, 0), den


#: Below this many cases a proportion is drawn case by case: a commune counting itself (1 commune)
#: meets a standard or not, rather than rounding 80 % up to «1 of 1» in every commune.
SMALL_COUNT = 20


def _successes(n: int, p: float, key: str) -> int:
    """How many of `n` cases meet the standard, each with probability `p`; its own seeded stream, so
    the other sample figures stay as they were."""
    rng = random.Random(key)
    return sum(rng.random() < p for _ in range(n))


# ------------------------------------------------------------------------------------------- filling


def named_cells(wb: openpyxl.Workbook) -> dict[str, tuple[str, str]]:
    out = {}
    for name, dn in wb.defined_names.items():
        dest = next(iter(dn.destinations), None)
        if dest:
            out[name] = (dest[0], dest[1].replace("$", ""))
    return out


def set_named(wb: openpyxl.Workbook, names: dict[str, tuple[str, str]], name: str, value: Any) -> None:
    if name not in names:
        raise XltoolkitError("sample-template-mismatch", f"Biểu mẫu không có ô tên {name}.")
    sheet, ref = names[name]
    cell = wb[sheet][ref]
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def fill_report(
    wb: openpyxl.Workbook, names: dict[str, tuple[str, str]], plan: Plan, agency: Agency, rng: random.Random
) -> None:
    for i, _task in enumerate(plan.tasks_for(agency), start=1):
        text = rng.choice(TASK_RESULTS).format(
            n=rng.randint(2, 30), k=rng.randint(50, 3000), p=rng.randint(40, 95)
        )
        set_named(wb, names, input_names.task(i), text)
    set_named(wb, names, input_names.BUDGET_STATE, round(rng.uniform(40, 900), 2))
    mobilised = round(rng.uniform(0, 300), 1) if rng.random() < 0.8 else 0
    set_named(wb, names, input_names.BUDGET_MOBILISED, mobilised)
    difficulty = rng.choice(DIFFICULTIES)
    if difficulty and input_names.DIFFICULTIES in names:
        set_named(wb, names, input_names.DIFFICULTIES, difficulty)
    if input_names.REPORTER in names:
        set_named(
            wb,
            names,
            input_names.REPORTER,
            rng.choice(("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Nam", "Phạm Thu Hà")),
        )
        set_named(wb, names, input_names.PHONE, f"0272 3{rng.randint(100000, 999999)}")


# ------------------------------------------------------------------------------------------- elements


def element_values(plan: Plan, agency: Agency, counts: dict[str, tuple[int, int | None]]) -> dict[str, int]:
    """One value per data element from per-measure counts (the first measure naming an element
    decides it), then made consistent with the plan's rules: one child total per district."""
    values: dict[str, int] = {}
    for m in plan.measures_for(agency):
        num, den = counts[m.code]
        if m.numerator_element:
            values.setdefault(m.numerator_element, num)
        if m.denominator_element and den is not None:
            values.setdefault(m.denominator_element, den)
    return make_consistent(plan, agency, values)


def make_consistent(plan: Plan, agency: Agency, values: dict[str, int]) -> dict[str, int]:
    """Repair broken rules by raising the smaller side (or setting an administrative count), a few
    passes, so nested figures (age groups, deaths by age) hold as in a real report."""
    values = dict(values)
    rules = plan.rules_for(agency)
    # figures an administrative count fixes (communes): never raised, the other side gives way
    pinned = {r.left_side.elements[0] for r in rules if r.operator == "==" and len(r.left_side.elements) == 1}
    for _ in range(10):
        broken = evaluate_rules(plan, values, agency=agency, rules=rules)
        if not broken:
            break
        for v in broken:
            r = plan.rule_by_id[v.rule]
            gap = math.ceil(abs(v.left - v.right))
            if r.operator == "==" and len(r.left_side.elements) == 1:
                values[r.left_side.elements[0]] = int(v.right)
            elif r.operator in ("<", "<=") and r.right_side.elements and r.right_side.elements[-1] in pinned:
                left = r.left_side.elements[-1]
                values[left] = max(values[left] - gap - (1 if r.operator == "<" else 0), 0)
            elif r.operator in ("<", "<=") and r.right_side.elements:
                values[r.right_side.elements[-1]] += gap + (1 if r.operator == "<" else 0)
            elif r.operator in (">", ">=") and r.left_side.elements:
                values[r.left_side.elements[-1]] += gap + (1 if r.operator == ">" else 0)
    return values


def counts_from(
    plan: Plan, measures: tuple[Measure, ...], values: dict[str, int]
) -> dict[str, tuple[int, int | None]]:
    """(numerator, denominator) of each measure, read from the element values."""
    out: dict[str, tuple[int, int | None]] = {}
    for m in measures:
        num = values.get(m.numerator_element or "", 0)
        den = values.get(m.denominator_element or "") if m.denominator_element else None
        out[m.code] = (num, den)
    return out
