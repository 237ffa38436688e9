"""Coverage, no data and small numbers on the year's result: what a provincial figure rests on.

Set on the result built from the ledger (`outcome.build_result`), from the same accepted values:
per measure, how many units the official value covers (`Coverage`); per district and measure,
whether the unit marked its figure «Không có số liệu» and whether its denominator is below the
plan's `min_denominator` («số nhỏ»: the value is shown, but gets no status, verdict or rank). The
provincial figure itself is unaffected by small numbers: every usable district stays in its sums.
"""

from __future__ import annotations

import math

import pandas as pd

from xltoolkit.consolidation.ledger import Ledger
from xltoolkit.consolidation.outcome import build_result as _build_result
from xltoolkit.consolidation.results import ConsolidationResult, Coverage
from xltoolkit.plan.aggregate import (
    agency_series,
    element_series,
    provincial_figures,
    small_number,
    with_values,
)
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import assess

__all__ = ["annotate", "build_result", "earlier_series"]


def build_result(
    led: Ledger, plan: Plan, year: int, folder_hashes: tuple[str, ...] | list[str] = ()
) -> ConsolidationResult:
    """The year's result from the ledger, with coverage, no-data and small-number marks set."""
    result = _build_result(led, plan, year, folder_hashes)
    return annotate(result, led.values(year=year, plan_id=plan.id), plan, year)


def annotate(result: ConsolidationResult, values: pd.DataFrame, plan: Plan, year: int) -> ConsolidationResult:
    """Set `MeasureResult.coverage` and `DistrictMeasure.no_data` / `small_number` from `values`
    (the accepted rows of `year`); a small number's status becomes «not available» (no verdict)."""
    figures = provincial_figures(values, plan)
    expected = len(plan.for_year(year).districts)
    for mr in result.measures:
        fig = figures.get((year, mr.code))
        mr.coverage = Coverage(fig.reporting, fig.expected) if fig else Coverage(0, expected)
    df = with_values(values, plan)
    df = df[df["year"] == year]
    rows = {
        (a, c): (float(d) if d == d else None, bool(n))
        for a, c, d, n in zip(df["agency"], df["code"], df["denominator"], df["no_data"], strict=True)
    }
    for dr in result.districts:
        for dm in dr.measures:
            m = plan.measure_by_code.get(dm.code)
            den, no_data = rows.get((dr.agency, dm.code), (None, False))
            dm.no_data = no_data
            if m is None or dm.value is None or not m.denominator_element:
                continue
            if small_number(den, m.min_denominator):
                dm.small_number = True
                dm.status = assess(m, {}, year)  # no status, hence no colour, verdict or rank
    return result


def earlier_series(led: Ledger, plan: Plan, year: int) -> dict[tuple[str, str], dict[int, float]]:
    """Each unit's own history before `year`: measure values by code and element values by element
    id (ids never look like measure codes), for the year-on-year checks of the validator."""
    out = agency_series(led.values(upto_year=year - 1, plan_id=plan.id), plan)
    for key, series in element_series(led.element_values(upto_year=year - 1, plan_id=plan.id)).items():
        out.setdefault(key, {}).update({y: v for y, v in series.items() if math.isfinite(v)})
    return out
