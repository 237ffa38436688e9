"""Series across a change of the reporting units: where a table's years break, and the former
districts rebuilt from the communes that now report.

From 2025 the communes of the merged Tây Ninh report instead of Long An's districts. A multi-year table
must say where its years change meaning, and a district row of 2021-2024 can only be carried on by
the communes lying wholly inside that district. Everything here comes from the plan's editions and its
units file (another province's change is another file), and is pure: values in, typed rows out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from xltoolkit.errors import PlanError
from xltoolkit.plan.aggregate import rate, with_values, year_plan
from xltoolkit.plan.model import Edition, Plan
from xltoolkit.plan.units import (
    Continuation,
    UnitRegistry,
    continuation,
    district_rebuildable,
    load_units,
    wholly_within,
)

#: The sign of a break, beside the first year after it (column headers, chart categories, legends).
BREAK_MARK = "†"
#: What a change of the reporting units is called; its date and the new level come from the plan.
BREAK_TITLE = "Sắp xếp đơn vị hành chính"
LEVEL_NAMES: dict[str, str] = {"district": "cấp huyện", "commune": "cấp xã"}


@dataclass(frozen=True)
class LocalTerms:
    """How the documents of a year name its local reporting units: a 2026 report speaks of communes.

    `level` «cấp xã» (headers, sheet tab «Cấp xã»), `unit` the short noun in compact headers
    («Chênh lệch (xã − sở, ngành)»), `units` the plural in running text, `bodies` their People's
    Committees as a report's heading names them.
    """

    level: str
    unit: str
    units: str
    bodies: str


LOCAL_TERMS: dict[str, LocalTerms] = {
    "district": LocalTerms(
        "cấp huyện", "huyện", "huyện, thị xã, thành phố", "Ủy ban nhân dân các huyện, thị xã, thành phố"
    ),
    "commune": LocalTerms("cấp xã", "xã", "xã, phường", "Ủy ban nhân dân các xã, phường"),
}


def local_terms(plan: Plan) -> LocalTerms:
    """The terms of the level reporting under `plan` (an edition): communes as soon as any reports."""
    kinds = {a.kind for a in plan.districts}
    return LOCAL_TERMS["commune" if "commune" in kinds else "district"]


CONTINUATION_LABELS: dict[str, str] = {
    "same": "Nối tiếp huyện cũ",
    "part": "Thuộc trọn một huyện cũ",
    "none": "Không so sánh được với huyện cũ",
}
Source = Literal["district", "communes", "none"]


def base_plan(plan: Plan) -> Plan:
    """The plan as written (with its editions), also from one year's view of it."""
    return plan._base if plan._base is not None else plan


_REGISTRIES: dict[str, UnitRegistry] = {}


def registry(plan: Plan) -> UnitRegistry | None:
    """The plan's units file, loaded once; None for a plan without one."""
    base = base_plan(plan)
    if not base.units_file:
        return None
    path = base.units_path()
    key = str(path)
    if key not in _REGISTRIES:
        _REGISTRIES[key] = load_units(path)
    return _REGISTRIES[key]


# ------------------------------------------------------------------------------------------ breaks


@dataclass(frozen=True)
class ChangeBreak:
    """A change of the reporting units between two reporting years: `year` is the first year after."""

    year: int
    on: date
    edition: str
    level: str  # the level reporting from `year`: "district" | "commune"
    province: str

    @property
    def label(self) -> str:
        """«Sắp xếp đơn vị hành chính, 1/7/2025»."""
        return f"{BREAK_TITLE}, {self.on.day}/{self.on.month}/{self.on.year}"

    @property
    def legend(self) -> str:
        level = LEVEL_NAMES.get(self.level, self.level)
        where = f" (tỉnh {self.province})" if self.province else ""
        return f"{BREAK_MARK} {self.label}: từ năm {self.year} số liệu do {level} báo cáo{where}"

    def spans(self, years: Iterable[int]) -> bool:
        """True when a table of these years has years on both sides of the break."""
        ys = list(years)
        return bool(ys) and min(ys) < self.year <= max(ys)

    def to_dict(self) -> dict[str, str | int]:
        return {"year": self.year, "on": self.on.isoformat(), "edition": self.edition, "label": self.label}


def _level(plan: Plan, year: int) -> str | None:
    try:
        kinds = {a.kind for a in year_plan(plan, year).districts}
    except PlanError:  # nobody reported under the plan that year (e.g. before its units began)
        return None
    return "commune" if "commune" in kinds else ("district" if kinds else None)


def _changed_units(base: Plan, before: Edition, after: Edition) -> Edition:
    """The first edition after `before` (up to `after`) that changed who reports."""
    editions = list(base.all_editions)
    start = editions.index(before) if before in editions else 0
    for e in editions[start + 1 :]:
        if e.units != before.units or (e.province or base.province) != (before.province or base.province):
            return e
        if e == after:
            break
    return after


def change_breaks(plan: Plan, years: Iterable[int]) -> list[ChangeBreak]:
    """The breaks between consecutive years of `years`: where the level of the reporting units changes
    (districts to communes), dated by the edition that brought the change in."""
    base = base_plan(plan)
    ys = sorted(set(years))
    out: list[ChangeBreak] = []
    for a, b in itertools.pairwise(ys):
        la, lb = _level(base, a), _level(base, b)
        if la is None or lb is None or la == lb:
            continue
        ea, eb = base.edition_for(a), base.edition_for(b)
        e = _changed_units(base, ea, eb)
        on = e.valid_from or base.deadline_for(b)
        out.append(ChangeBreak(b, on, e.id, lb, e.province or base.province))
    return out


def break_in(plan: Plan, years: Iterable[int]) -> ChangeBreak | None:
    """The (first) break a table of these years spans, if any: the one to mark."""
    ys = sorted(set(years))
    if len(ys) < 2:
        return None
    found = [b for b in change_breaks(plan, range(ys[0], ys[-1] + 1)) if b.spans(ys)]
    return found[0] if found else None


# --------------------------------------------------------------------------------- units' lineage


def unit_continuation(plan: Plan, agency_id: str) -> Continuation | None:
    """How a reporting unit's own series relates to the former districts (None: a unit that is not in
    the units file, e.g. a district of the plan as written, whose series simply runs on)."""
    reg = registry(plan)
    agency = plan.agency_by_id.get(agency_id)
    unit = agency.unit if agency is not None and agency.unit else agency_id
    if reg is None or unit not in reg.by_id or reg.by_id[unit].level != "commune":
        return None
    return continuation(reg, unit)


# -------------------------------------------------------------------------------- former districts


def sum_by_district(
    counts: Mapping[str, tuple[float, float | None]], within: Mapping[str, str | None]
) -> dict[str, tuple[float, float | None, tuple[str, ...]]]:
    """Σ numerator and Σ denominator of the communes wholly inside each former district, with the
    communes summed; communes of no single district (`within` None or absent) are counted nowhere.
    A denominator sum is None when any summed commune has none (a count measure)."""
    out: dict[str, tuple[float, float | None, tuple[str, ...]]] = {}
    for unit in sorted(counts):
        district = within.get(unit)
        if district is None:
            continue
        num, den = counts[unit]
        n0, d0, members = out.get(district, (0.0, 0.0, ()))
        d1 = None if d0 is None or den is None else d0 + den
        out[district] = (n0 + num, d1, (*members, unit))
    return out


@dataclass(frozen=True)
class DistrictYear:
    """One former district's figure of one measure in one year."""

    numerator: float | None
    denominator: float | None
    value: float | None
    source: Source
    summed: tuple[str, ...] = ()  # communes whose counts were summed (source "communes")


@dataclass(frozen=True)
class FormerDistrict:
    """A former district: its plan agency, the communes wholly inside it, those partly inside."""

    unit: str
    agency: str | None
    name: str
    inside: tuple[str, ...]  # reporting communes wholly inside (sorted)
    across: tuple[str, ...]  # reporting communes with part of it and part of another district
    rebuildable: bool  # its communes rebuild it exactly (no commune mixes it with another)


@dataclass(frozen=True)
class FormerDistrictTable:
    """«Theo huyện cũ»: years × (district, measure) figures, and what the commune sums leave out."""

    years: list[int]
    districts: list[FormerDistrict]
    figures: dict[tuple[str, str, int], DistrictYear]  # (district unit, measure code, year)

    def to_dict(self) -> dict[str, object]:
        return {
            "years": self.years,
            "districts": [d.__dict__ for d in self.districts],
            "figures": {f"{u}|{c}|{y}": f.__dict__ for (u, c, y), f in sorted(self.figures.items())},
        }


def former_districts(plan: Plan, communes: Iterable[str]) -> list[FormerDistrict]:
    """The plan's districts (as written) with the reporting communes inside and across each."""
    reg = registry(plan)
    base = base_plan(plan)
    if reg is None:
        return []
    within: dict[str, str | None] = {}
    touched: dict[str, set[str]] = {}
    for c in sorted(set(communes)):
        if c not in reg.by_id:
            continue
        within[c] = wholly_within(reg, c)
        for p in reg.by_id[c].from_:
            former = reg.by_id[p.unit]
            d = former.id if former.level == "district" else former.parent
            if d is not None:
                touched.setdefault(d, set()).add(c)
    out = []
    for a in base.agencies:
        if a.kind != "district" or not a.unit or a.unit not in reg.by_id:
            continue
        near = touched.get(a.unit, set())
        inside = tuple(sorted(c for c in near if within.get(c) == a.unit))
        across = tuple(sorted(c for c in near if within.get(c) != a.unit))
        out.append(FormerDistrict(a.unit, a.id, a.name, inside, across, district_rebuildable(reg, a.unit)))
    return out


def former_district_table(values: pd.DataFrame, plan: Plan) -> FormerDistrictTable:
    """Each former district's figures: its own return in a district year, the sum of the communes
    wholly inside it in a commune year (counts summed, the rate recomputed from the sums). Rows that
    are blocked, marked no data or not whole are left out, as in the provincial sum."""
    base = base_plan(plan)
    df = with_values(values, base)
    df = df[df["usable"] & df["code"].isin(base.measure_by_code)]
    years = sorted({int(y) for y in df["year"]})
    communes = {
        a.unit or a.id: a.id for y in years for a in year_plan(base, y).districts if a.kind == "commune"
    }
    districts = former_districts(base, communes)
    by_agency = {d.agency: d.unit for d in districts}
    within = {c: d.unit for d in districts for c in d.inside}
    unit_of = {agency: unit for unit, agency in communes.items()}
    figures: dict[tuple[str, str, int], DistrictYear] = {}
    for (year, code), g in df.groupby(["year", "code"], sort=True):
        y, c = int(str(year)), str(code)
        m = base.measure_by_code[c]
        local = {a.id for a in year_plan(base, y).districts}
        counts: dict[str, tuple[float, float | None]] = {}
        for agency, num, den in zip(g["agency"], g["numerator"], g["denominator"], strict=True):
            if agency not in local:
                continue
            d = None if not m.denominator or math.isnan(den) else float(den)
            if agency in by_agency:
                unit = by_agency[agency]
                value = rate(float(num), d, m.scale, has_denominator=bool(m.denominator))
                figures[(unit, c, y)] = DistrictYear(float(num), d, value, "district")
            elif agency in unit_of:
                counts[unit_of[agency]] = (float(num), d)
        for unit, (num_sum, den_sum, members) in sum_by_district(counts, within).items():
            value = rate(num_sum, den_sum, m.scale, has_denominator=bool(m.denominator))
            figures[(unit, c, y)] = DistrictYear(num_sum, den_sum, value, "communes", members)
    return FormerDistrictTable(years, districts, figures)
