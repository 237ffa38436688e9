"""Verdicts at milestones, roll-up to indicators, and the outlook to the next milestone.

The progress status (plan/status.py) says how fast a measure moves; a review year needs the plain
answer the plan asks for: was the target of this year met or not. Pure functions, no I/O, so the
consolidation, the summary and the report document cannot disagree.

Decisions where the plan is silent (documented because officers will ask):

- *Milestone*: a year with a dated target of the measure; a standing target (stated without a
  year, e.g. indicator 12) is a milestone every year. Outside a milestone the verdict is None and
  only the progress status speaks.
- *Verdict*: ``Measure.meets`` on values rounded to 12 significant digits (as the status does), so
  strict «dưới» stays strict: a value equal to the target is not met.
- *Gap*: target distance in the measure's unit (percentage points for %), signed so that positive
  means short of the target: ``target - value`` when higher is better, ``value - target`` otherwise.
  A value equal to a strict «dưới» target has gap 0 and is not met.
- *Indicator roll-up*: over the measures with a milestone that year. Any measure not met makes the
  indicator not met (a known shortfall does not become unknown because another part has no data);
  otherwise all met gives met, and a measure without a value leaves the indicator None (cannot be
  judged). An indicator without any milestone that year has verdict None and does not count.
- *Outlook*: towards the next dated target after the year. The latest value is carried forward at
  the observed compound annual rate, computed exactly as the status computes CAGR_obs (base year to
  latest year). None with fewer than two years of data, without a later dated target, or when the
  base is zero and the latest is not (a compound rate from nothing is not a forecast). A projected
  share is capped at the measure's scale (a proportion cannot pass 100%).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from xltoolkit.plan.model import COMPARISON_LABELS, Measure, Plan
from xltoolkit.plan.status import _nz, clean_series, round_sig

Verdict = Literal["met", "not_met"]

VERDICT_LABELS: dict[str, str] = {"met": "Đạt", "not_met": "Không đạt"}
OUTLOOK_LABELS: dict[bool, str] = {True: "có khả năng đạt", False: "có nguy cơ không đạt"}


# ------------------------------------------------------------------------------------------ verdicts


def milestone_target(measure: Measure, year: int) -> float | None:
    """The target that `year` is a milestone of, or None when the year is not a milestone."""
    if year in measure.targets:
        return measure.targets[year]
    return measure.standing_target


def gap_of(measure: Measure, value: float, target: float) -> float:
    """Distance to the target in the measure's unit; positive means short of the target."""
    v, t = round_sig(value), round_sig(target)
    return round_sig(t - v) if measure.higher_is_better else round_sig(v - t)


@dataclass(frozen=True)
class MeasureVerdict:
    code: str
    year: int
    value: float | None
    target: float | None  # the milestone target of the year (None: not a milestone)
    verdict: Verdict | None
    gap: float | None

    @property
    def milestone(self) -> bool:
        return self.target is not None

    @property
    def label(self) -> str | None:
        return VERDICT_LABELS[self.verdict] if self.verdict else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "year": self.year,
            "value": self.value,
            "target": self.target,
            "verdict": self.verdict,
            "gap": self.gap,
        }


def judge(measure: Measure, value: float | None, year: int) -> MeasureVerdict:
    """Verdict and gap of `value` for `year`; None verdict without a milestone or a usable value."""
    target = milestone_target(measure, year)
    usable = value is not None and math.isfinite(value)
    if target is None or not usable:
        return MeasureVerdict(measure.code, year, value, target, None, None)
    assert value is not None
    met = measure.meets(round_sig(value), round_sig(target))
    return MeasureVerdict(
        measure.code, year, value, target, "met" if met else "not_met", gap_of(measure, value, target)
    )


@dataclass(frozen=True)
class IndicatorVerdict:
    number: int
    verdict: Verdict | None
    measures: tuple[str, ...]  # codes of the measures with a milestone that year

    @property
    def has_target(self) -> bool:
        return bool(self.measures)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "verdict": self.verdict, "measures": list(self.measures)}


def roll_up(number: int, verdicts: list[MeasureVerdict]) -> IndicatorVerdict:
    """An indicator's verdict from its measures' verdicts (see the module docstring)."""
    judged = [v for v in verdicts if v.milestone]
    codes = tuple(v.code for v in judged)
    if not judged:
        return IndicatorVerdict(number, None, codes)
    if any(v.verdict == "not_met" for v in judged):
        return IndicatorVerdict(number, "not_met", codes)
    if all(v.verdict == "met" for v in judged):
        return IndicatorVerdict(number, "met", codes)
    return IndicatorVerdict(number, None, codes)


# ------------------------------------------------------------------------------------------ outlook


@dataclass(frozen=True)
class Outlook:
    year: int
    projected: float
    on_track: bool
    target: float
    rate: float  # observed compound annual rate (CAGR_obs)

    @property
    def label(self) -> str:
        return f"Dự báo năm {self.year}: {OUTLOOK_LABELS[self.on_track]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "projected": self.projected,
            "on_track": self.on_track,
            "target": self.target,
            "rate": self.rate,
        }


def next_target(measure: Measure, year: int) -> tuple[int, float] | None:
    later = sorted((y, t) for y, t in measure.targets.items() if y > year)
    return later[0] if later else None


def outlook(measure: Measure, series: Mapping[int, float | None], year: int) -> Outlook | None:
    """The latest value carried to the next dated target at the observed compound annual rate."""
    nxt = next_target(measure, year)
    data = clean_series(series, year)
    if nxt is None or len(data) < 2:
        return None
    t0, tl = min(data), max(data)
    y0, yl = data[t0], data[tl]
    if y0 == 0 and yl != 0:
        return None
    target_year, target = nxt
    try:
        rate = round_sig((_nz(yl) / _nz(y0)) ** (1.0 / (tl - t0)) - 1.0)
        projected = round_sig(yl * (1.0 + rate) ** (target_year - tl))
    except (OverflowError, ZeroDivisionError):
        return None
    if not (math.isfinite(rate) and math.isfinite(projected)):
        return None
    if measure.proportion:
        projected = min(projected, measure.scale)
    return Outlook(target_year, projected, measure.meets(projected, round_sig(target)), target, rate)


# ------------------------------------------------------------------------------------------ the year


@dataclass(frozen=True)
class ReviewSummary:
    year: int
    indicators_met: int
    indicators_with_target: int
    measures_met: int
    measures_with_target: int
    final: bool  # the last year of the plan: «tổng kết»; otherwise «sơ kết»

    @property
    def kind_label(self) -> str:
        return "tổng kết" if self.final else "sơ kết"

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "indicators_met": self.indicators_met,
            "indicators_with_target": self.indicators_with_target,
            "measures_met": self.measures_met,
            "measures_with_target": self.measures_with_target,
        }


@dataclass(frozen=True)
class MeasureReview:
    verdict: MeasureVerdict
    outlook: Outlook | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.verdict,
            "gap": self.verdict.gap,
            "outlook": self.outlook.to_dict() if self.outlook else None,
        }


@dataclass(frozen=True)
class YearReview:
    """Everything the consolidation adds for a year: per measure, per indicator, the review counts."""

    year: int
    measures: dict[str, MeasureReview]
    indicators: tuple[IndicatorVerdict, ...]
    review: ReviewSummary | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "measures": {c: m.to_dict() for c, m in self.measures.items()},
            "indicators": [i.to_dict() for i in self.indicators],
            "review": self.review.to_dict() if self.review else None,
        }


def review_year(plan: Plan, year: int, series: Mapping[str, Mapping[int, float | None]]) -> YearReview:
    """Verdicts, outlooks, indicator roll-up and (in a review year) the counts, for `year`.

    `series`: measure code -> {year: provincial value}. A measure without a value for `year` itself
    gets no verdict and no outlook (an old value is not presented as this year's result).
    """
    measures: dict[str, MeasureReview] = {}
    indicators = []
    for ind in plan.indicators:
        verdicts = []
        for m in ind.measures:
            s = series.get(m.code, {})
            value = s.get(year)
            v = judge(m, value, year)
            verdicts.append(v)
            measures[m.code] = MeasureReview(v, outlook(m, s, year) if v.value is not None else None)
        indicators.append(roll_up(ind.number, verdicts))
    summary = None
    if year in plan.review_years:
        judged = [m.verdict for m in measures.values() if m.verdict.milestone]
        summary = ReviewSummary(
            year,
            indicators_met=sum(i.verdict == "met" for i in indicators),
            indicators_with_target=sum(i.has_target for i in indicators),
            measures_met=sum(v.verdict == "met" for v in judged),
            measures_with_target=len(judged),
            final=year >= plan.period[1],
        )
    return YearReview(year, measures, tuple(indicators), summary)


# ------------------------------------------------------------------------------------------ numbers


def _decimals_of(x: float) -> int:
    text = format(round_sig(x), "f").rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def measure_decimals(measure: Measure) -> int:
    """Decimals to show a measure's values with: the plan's own choice when it states one, else one
    more than its most precise target (so 0,053 can be told from «dưới 0,05»), at least one."""
    if measure.decimals is not None:
        return measure.decimals
    targets = [*measure.targets.values()]
    if measure.standing_target is not None:
        targets.append(measure.standing_target)
    return max([1, *(_decimals_of(t) + 1 for t in targets)])


def format_decimal(value: float, decimals: int, *, comma: bool = True) -> str:
    """Fixed decimals, Vietnamese decimal comma and '.' thousands grouping (for reading)."""
    text = f"{round_sig(value):,.{decimals}f}"
    if not comma:
        return text.replace(",", "")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


MAX_DECIMALS = 6


def _telling_decimals(value: float, decimals: int, marks: list[float]) -> int:
    """More decimals while the rounded value would read as one of `marks` (a target, or 0 for a gap)
    that it is not: 8,96 against «Dưới 9» must not print as 9,0."""
    while decimals < MAX_DECIMALS and any(
        round(value, decimals) == round(mark, decimals) and round_sig(value) != round_sig(mark)
        for mark in marks
    ):
        decimals += 1
    return decimals


def format_value(measure: Measure, value: float | None, *, comma: bool = True) -> str:
    """A measure's value for print: '96,90', '0,054'; '—' when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    targets = [
        *measure.targets.values(),
        *([measure.standing_target] if measure.standing_target is not None else []),
    ]
    return format_decimal(value, _telling_decimals(value, measure_decimals(measure), targets), comma=comma)


def format_target(measure: Measure, target: float) -> str:
    """A target as the plan words it: 'Dưới 0,05', 'Đạt tối thiểu 80' (no trailing zeros)."""
    text = format(round_sig(target), "f").rstrip("0").rstrip(".")
    return f"{COMPARISON_LABELS[measure.comparison]} {text.replace('.', ',')}"


def unit_suffix(measure: Measure) -> str:
    return "%" if measure.unit == "%" else f" {measure.unit}"


def gap_unit(measure: Measure) -> str:
    return "điểm phần trăm" if measure.unit == "%" else measure.unit


def format_gap(measure: Measure, gap: float | None) -> str:
    """A gap in words: 'còn thiếu 3,00 điểm phần trăm' / 'vượt 1,2 điểm phần trăm' / 'bằng mục tiêu'."""
    if gap is None:
        return "—"
    if gap == 0:
        return "bằng mục tiêu"
    amount = format_decimal(abs(gap), _telling_decimals(abs(gap), measure_decimals(measure), [0.0]))
    return f"{'còn thiếu' if gap > 0 else 'vượt'} {amount} {gap_unit(measure)}"
