"""Coverage, no data and small numbers on the year's result: what a provincial figure rests on.

Set on the result built from the ledger (`outcome.build_result`), from the same accepted values:
per measure, how many units the official value covers (`Coverage`); per district and measure,
whether the unit marked its figure «Không có số liệu» and whether its denominator is below the
plan's `min_denominator` («số nhỏ»: the value is shown, but gets no status, verdict or rank). The
provincial figure itself is unaffected by small numbers: every usable district stays in its sums.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xltoolkit.consolidation.ledger import Ledger
from xltoolkit.consolidation.outcome import result_from
from xltoolkit.consolidation.results import ConsolidationResult, Coverage
from xltoolkit.plan.aggregate import (
    Figure,
    agency_series,
    element_series,
    provincial_figures,
    trends_and_rows,
    with_values,
)
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import assess
from xltoolkit.validation.batch import gc_paused

__all__ = ["annotate", "build_result", "earlier_series", "result_and_counts"]


def build_result(
    led: Ledger, plan: Plan, year: int, folder_hashes: tuple[str, ...] | list[str] = ()
) -> ConsolidationResult:
    """The year's result from the ledger, with coverage, no-data and small-number marks set."""
    return result_and_counts(led, plan, year, folder_hashes)[0]


def result_and_counts(
    led: Ledger, plan: Plan, year: int, folder_hashes: tuple[str, ...] | list[str] = ()
) -> tuple[ConsolidationResult, pd.DataFrame]:
    """`build_result`, and the ledger's counts up to `year` it was built from (`Ledger.counts`), which
    the summary's history tables read too: one read of a national ledger instead of two."""
    # one read and one computation of the values serve the result and its marks (a national
    # year has over 100,000 rows); the objects made for them are kept, none is garbage, so the
    # cyclic collector would only walk them again and again
    with gc_paused():
        counts = led.counts(upto_year=year, plan_id=plan.id)
        hist, rows = trends_and_rows(counts.copy(), plan)
        result = result_from(led, plan, year, folder_hashes, hist)
        return _annotate(result, hist.figures, rows[rows["year"] == year], plan, year), counts


def annotate(result: ConsolidationResult, values: pd.DataFrame, plan: Plan, year: int) -> ConsolidationResult:
    """Set `MeasureResult.coverage` and `DistrictMeasure.no_data` / `small_number` from `values`
    (the accepted rows of `year`); a small number's status becomes «not available» (no verdict)."""
    rows = with_values(values, plan)
    return _annotate(result, provincial_figures(values, plan), rows[rows["year"] == year], plan, year)


def _annotate(
    result: ConsolidationResult,
    figures: dict[tuple[int, str], Figure],
    rows: pd.DataFrame,
    plan: Plan,
    year: int,
) -> ConsolidationResult:
    """`annotate` from the figures and the `with_values` rows of the year, computed already."""
    expected = len(plan.for_year(year).districts)
    for mr in result.measures:
        fig = figures.get((year, mr.code))
        mr.coverage = Coverage(fig.reporting, fig.expected) if fig else Coverage(0, expected)
    marks = _marks(rows, plan)
    unknown = {m.code: assess(m, {}, year) for m in plan.measures}
    for dr in result.districts:
        own = marks.get(dr.agency)
        if own is None:
            continue
        for dm in dr.measures:
            small, dm.no_data = own.get(dm.code, (False, False))
            if small and dm.value is not None:
                dm.small_number = True
                dm.status = unknown[dm.code]  # no status, hence no colour, verdict or rank
    return result


def _marks(rows: pd.DataFrame, plan: Plan) -> dict[str, dict[str, tuple[bool, bool]]]:
    """agency -> code -> (small number, no data), for the units and measures marked either way
    (few of a year's rows); the last row of an agency and measure counts, as in the year's values."""
    rows = rows.drop_duplicates(["agency", "code"], keep="last")
    minimum = {
        m.code: m.min_denominator
        for m in plan.measures
        if m.denominator_element and m.min_denominator is not None
    }
    den = rows["denominator"]
    rows = rows.assign(small=np.isfinite(den) & (den < rows["code"].map(minimum)))
    marked = rows[rows["small"] | rows["no_data"]]
    out: dict[str, dict[str, tuple[bool, bool]]] = {}
    for a, c, small, no_data in zip(
        marked["agency"], marked["code"], marked["small"].tolist(), marked["no_data"].tolist(), strict=True
    ):
        out.setdefault(a, {})[c] = (small, no_data)
    return out


def earlier_series(led: Ledger, plan: Plan, year: int) -> dict[tuple[str, str], dict[int, float]]:
    """Each unit's own history before `year`: measure values by code and element values by element
    id (ids never look like measure codes), for the year-on-year checks of the validator."""
    out = agency_series(led.values(upto_year=year - 1, plan_id=plan.id), plan)
    for key, series in element_series(led.element_values(upto_year=year - 1, plan_id=plan.id)).items():
        out.setdefault(key, {}).update({y: v for y, v in series.items() if math.isfinite(v)})
    return out
