"""Target status of a measure: the Open SDG / Statistics Canada progress measure.

Pure functions, no I/O: the consolidator, the summary writer and the Excel add-in all call `assess`,
so a status shown in a district's workbook and in the provincial summary cannot disagree.

Method (for the value of year `t`, judged against `measure.milestone(t)`):

1. ``target_achieved`` when the latest value meets the milestone (`Measure.meets`, strict for "<").
2. Otherwise, with fewer than two years of data: ``not_available``.
3. If the earliest value already met the target and the latest does not: ``deterioration``.
4. Otherwise the observed and required compound annual growth rates are compared::

       CAGR_obs = (y_t / y_0) ** (1 / (t - t_0)) - 1
       CAGR_req = (target / y_0) ** (1 / (T - t_0)) - 1
       R = d * CAGR_obs / |CAGR_req|          d = +1 if higher is better (">="), else -1

   with zero base, latest or target replaced by ``ZERO_SUBSTITUTE`` (0.001) so ratios exist.
   R >= 0.95 substantial, 0.60 <= R < 0.95 moderate, 0 <= R < 0.60 limited, R < 0 deterioration.

Decisions where the method is silent (documented here because officers will ask):

- *Which values count*: only years ``<= t`` with a finite value; the latest is the most recent such
  year (so a missing current value falls back to the last one reported, and `latest_year` shows it).
- *T for a standing target or a past milestone*: a standing target (no year) and a dated target
  whose year is already behind the latest data are both due *now*, so ``T = latest year``: the
  required pace is the pace that would have reached the target by now. Since ``t > t_0`` here,
  ``T - t_0 > 0`` always.
- *CAGR_req = 0* (the base equals the target but does not meet it, e.g. strict "<" with base 9.5
  against "< 9.5"): any improvement would be enough, so R is undefined (``ratio = None``) and the
  category follows the sign of the observed movement: improving -> substantial, no change ->
  limited, worsening -> deterioration.
- *Floating point*: values are rounded to 12 significant digits before `meets`, and R before the
  thresholds, so a rate computed as 9.500000000000002 still counts as 9.5 and R = 0.95 computed as
  0.9499999999999999 lands in ``substantial_progress`` as documented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from xltoolkit.plan.model import Measure

ZERO_SUBSTITUTE = 0.001
SUBSTANTIAL = 0.95
MODERATE = 0.60
SIGNIFICANT_DIGITS = 12

STATUSES = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
    "not_available",
)


#: Progress categories (Open SDG / Statistics Canada progress measure) and their Vietnamese labels.
STATUS_LABELS: dict[str, str] = {
    "target_achieved": "Đã đạt mục tiêu",
    "substantial_progress": "Tiến bộ đáng kể",
    "moderate_progress": "Tiến bộ vừa phải",
    "limited_progress": "Tiến bộ hạn chế",
    "deterioration": "Đi xuống",
    "not_available": "Chưa đủ số liệu",
}


@dataclass(frozen=True, init=False)
class StatusResult:
    """A measure's status for one year, with the components an officer needs to check it by hand."""

    status: str
    milestone_year: int | None
    target: float | None
    base_year: int | None = None
    base: float | None = None
    latest_year: int | None = None
    latest: float | None = None
    cagr_observed: float | None = None
    cagr_required: float | None = None
    ratio: float | None = None

    def __init__(
        self,
        status: str,
        milestone_year: int | None,
        target: float | None,
        base_year: int | None = None,
        base: float | None = None,
        latest_year: int | None = None,
        latest: float | None = None,
        cagr_observed: float | None = None,
        cagr_required: float | None = None,
        ratio: float | None = None,
    ) -> None:
        # the generated __init__ of a frozen dataclass writes each field through object.__setattr__;
        # one dict update is a fraction of that, and a national year makes one per unit and measure
        self.__dict__.update(
            status=status,
            milestone_year=milestone_year,
            target=target,
            base_year=base_year,
            base=base,
            latest_year=latest_year,
            latest=latest,
            cagr_observed=cagr_observed,
            cagr_required=cagr_required,
            ratio=ratio,
        )

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "label": self.label,
            "milestone_year": self.milestone_year,
            "target": self.target,
            "base_year": self.base_year,
            "base": self.base,
            "latest_year": self.latest_year,
            "latest": self.latest,
            "cagr_observed": self.cagr_observed,
            "cagr_required": self.cagr_required,
            "ratio": self.ratio,
        }


def round_sig(x: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """Round to `digits` significant digits: removes float noise before boundary comparisons."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _nz(x: float) -> float:
    return ZERO_SUBSTITUTE if x == 0 else x


def category(ratio: float) -> str:
    """Category of a progress ratio R (already rounded)."""
    if ratio >= SUBSTANTIAL:
        return "substantial_progress"
    if ratio >= MODERATE:
        return "moderate_progress"
    if ratio >= 0:
        return "limited_progress"
    return "deterioration"


def clean_series(series: Mapping[int, float | None], year: int) -> dict[int, float]:
    """Years up to `year` with a finite value, rounded, in year order."""
    out: dict[int, float] = {}
    for y in sorted(series):
        v = series[y]
        if y > year or v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out[int(y)] = round_sig(f)
    return out


def assess(measure: Measure, series: Mapping[int, float | None], year: int) -> StatusResult:
    """Status of `measure` for `year` from its yearly values (`series`: year -> value in the unit).

    Never raises on odd data: anything that cannot be judged is ``not_available``.
    """
    return judge(measure, measure.milestone(year), clean_series(series, year))


def judge(
    measure: Measure, milestone: tuple[int | None, float | None], data: dict[int, float]
) -> StatusResult:
    """`assess` of a series already cleaned (`clean_series`) against a milestone already looked up
    (`Measure.milestone`): both are the same for every unit of a year, which a national collection
    judges once per unit and measure."""
    milestone_year, target = milestone
    if target is None or not data:
        latest_year = max(data) if data else None
        return StatusResult(
            "not_available",
            milestone_year,
            target,
            latest_year=latest_year,
            latest=data.get(latest_year) if latest_year is not None else None,
        )
    t0, tl = min(data), max(data)
    y0, yl = data[t0], data[tl]
    if measure.meets(yl, target):
        return StatusResult("target_achieved", milestone_year, target, t0, y0, tl, yl)
    if tl == t0:
        return StatusResult("not_available", milestone_year, target, latest_year=tl, latest=yl)
    base = partial(StatusResult, milestone_year=milestone_year, target=target, base_year=t0, base=y0)
    base = partial(base, latest_year=tl, latest=yl)
    d = 1.0 if measure.higher_is_better else -1.0
    horizon = milestone_year if milestone_year is not None and milestone_year >= tl else tl
    cagr_obs = round_sig((_nz(yl) / _nz(y0)) ** (1.0 / (tl - t0)) - 1.0)
    cagr_req = round_sig((_nz(target) / _nz(y0)) ** (1.0 / (horizon - t0)) - 1.0)
    if measure.meets(y0, target):
        return base("deterioration", cagr_observed=cagr_obs, cagr_required=cagr_req)
    if cagr_req == 0:
        moved = d * cagr_obs
        status = (
            "deterioration" if moved < 0 else "limited_progress" if moved == 0 else "substantial_progress"
        )
        return base(status, cagr_observed=cagr_obs, cagr_required=cagr_req, ratio=None)
    ratio = round_sig(d * cagr_obs / abs(cagr_req))
    return base(category(ratio), cagr_observed=cagr_obs, cagr_required=cagr_req, ratio=ratio)
