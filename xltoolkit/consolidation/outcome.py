"""The provincial result of a year, built from the ledger alone (not from a folder), so a file
removed after intake still counts and the add-in can ask for it without any folder.

Completeness: `received` = agencies with an accepted submission for the year (an agency whose only
files failed integrity checks is `missing`: nothing usable arrived); `late` = received agencies whose
*first* usable file arrived after the deadline (a later correction does not make an agency late).

Status: computed only for a value of the year itself; a measure without a usable value this year is
``not_available`` (an old value is not presented as this year's status).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from xltoolkit.consolidation.ledger import Ledger, to_submission
from xltoolkit.consolidation.results import (
    BudgetLine,
    ConsolidationResult,
    DistrictMeasure,
    DistrictResult,
    FileOutcome,
    MeasureResult,
    Narrative,
    TaskResult,
    issue_from_dict,
)
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.aggregate import MAX_MAGNITUDE, Trends, trends
from xltoolkit.plan.model import Plan
from xltoolkit.plan.review import review_year
from xltoolkit.plan.status import assess, judge

__all__ = ["build_result", "result_from"]


def _measure_results(plan: Plan, year: int, hist: Trends) -> list[MeasureResult]:
    out = []
    for m in plan.measures:
        fig = hist.figures.get((year, m.code))
        trend = {y: v for y, v in hist.provincial.get(m.code, {}).items() if y <= year}
        value = fig.value if fig else None
        status = assess(m, trend if value is not None else {}, year)
        out.append(
            MeasureResult(
                code=m.code,
                value=value,
                district_aggregate=fig.district_aggregate if fig else None,
                department_value=fig.department_value if fig else None,
                source=fig.source if fig else "none",
                status=status,
                numerator_sum=fig.numerator_sum if fig else None,
                denominator_sum=fig.denominator_sum if fig else None,
                districts_used=fig.districts_used if fig else [],
                districts_excluded=fig.districts_excluded if fig else [],
                reconciliation_flag=fig.reconciliation_flag if fig else False,
                trend=trend,
            )
        )
    return out


def _district_results(plan: Plan, year: int, hist: Trends) -> list[DistrictResult]:
    """Every district of the plan, with its own value (None if missing or blocked) and status."""
    # per measure, not per unit (a national plan has 3,321 units): the milestone of the year, and
    # the (frozen) status of a unit without this year's value, assessed on nothing
    measures = []
    for m in plan.measures:
        milestone = m.milestone(year)
        measures.append((m, milestone, judge(m, milestone, {})))
    out = []
    for d in plan.districts:
        ms = []
        for m, milestone, unknown in measures:
            known = hist.by_agency.get((d.id, m.code))
            series = {y: v for y, v in known.items() if y <= year} if known else {}
            value = series.get(year)
            status = unknown if value is None else judge(m, milestone, _in_order(series))
            ms.append(DistrictMeasure(m.code, value, status, trend=series))
        out.append(DistrictResult(d.id, ms))
    return out


def _in_order(series: dict[int, float]) -> dict[int, float]:
    """A unit's own series as `clean_series` gives it: its values come from `with_values`, finite
    and rounded already, so only the order of the years is left to make sure of."""
    return series if len(series) < 2 else dict(sorted(series.items()))


def apply_review(result: ConsolidationResult, plan: Plan) -> ConsolidationResult:
    """Add the review of the year (verdicts, gaps, outlooks, indicators, counts) to `result`.

    Per measure, from the provincial series already in the result: nothing per file.
    """
    series = {m.code: {**m.trend, result.year: m.value} for m in result.measures}
    rev = review_year(plan, result.year, series)
    for m in result.measures:
        mr = rev.measures.get(m.code)
        if mr is not None:
            m.verdict, m.gap, m.outlook = mr.verdict.verdict, mr.verdict.gap, mr.outlook
    result.indicators = list(rev.indicators)
    result.review = rev.review
    result.year_review = rev
    return result


def _other_year(file_year: int, year: int) -> Issue:
    """A file of another year found in this year's folder: recorded under its own year, said so."""
    return issue("other-year", file_year=file_year, year=year)


def _outcome(row: dict[str, Any], year: int) -> FileOutcome:
    """A ledger row's stored report as a typed outcome (plus the other-year note where it applies)."""
    d = json.loads(row["report"])
    issues = [issue_from_dict(i) for i in d.get("issues") or []]
    if row["year"] is not None and row["year"] != year:
        issues.append(_other_year(row["year"], year))
    return FileOutcome(
        path=str(d.get("path") or row["original_name"]),
        agency=d.get("agency"),
        year=d.get("year"),
        valid=bool(d.get("valid")),
        issues=issues,
        sha256=row["sha256"],
        state=row["state"],
    )


def _money(x: Any) -> float | None:
    """A budget amount that can be summed: a finite number within `MAX_MAGNITUDE` (else None)."""
    if not isinstance(x, int | float) or isinstance(x, bool):
        return None
    f = float(x)
    return f if math.isfinite(f) and abs(f) <= MAX_MAGNITUDE else None


def _narrative(agency: str, stored: str | None) -> tuple[Narrative, BudgetLine]:
    n = json.loads(stored or "{}")
    tasks = [
        TaskResult(str(t.get("task") or ""), str(t.get("result") or ""))
        for t in n.get("tasks") or []
        if isinstance(t, dict)
    ]
    b = n.get("budget") or {}
    return (
        Narrative(agency, tasks, n.get("difficulties")),
        BudgetLine(agency, _money(b.get("state")), _money(b.get("mobilised"))),
    )


def build_result(
    led: Ledger, plan: Plan, year: int, folder_hashes: Sequence[str] = ()
) -> ConsolidationResult:
    """The year's result from the ledger alone (also usable without a folder, e.g. by the add-in)."""
    return result_from(
        led, plan, year, folder_hashes, trends(led.counts(upto_year=year, plan_id=plan.id), plan)
    )


def result_from(
    led: Ledger, plan: Plan, year: int, folder_hashes: Sequence[str], hist: Trends
) -> ConsolidationResult:
    """`build_result` from the trends of the accepted values up to `year`, read already by a
    caller that reads more from them (`coverage.build_result`)."""
    rows = led.submissions(year, folder_hashes)
    deadline = plan.deadline_for(year)
    subs = [to_submission(r, plan.deadline_for(r["year"]) if r["year"] else None) for r in rows]
    this_year = [r for r in rows if r["year"] == year and r["agency"] in plan.agency_by_id]
    accepted = {r["agency"]: r for r in this_year if r["state"] == "accepted"}
    first: dict[str, datetime] = {}
    for r in this_year:
        if r["state"] != "rejected":
            t = datetime.fromisoformat(r["received_at"])
            first[r["agency"]] = min(first.get(r["agency"], t), t)
    order = [a.id for a in plan.agencies]
    received = [a for a in order if a in accepted]
    late = [a for a in received if first[a].date() > deadline]
    missing = [a for a in order if a not in accepted]

    pairs = [_narrative(a, accepted[a]["narrative"]) for a in received]
    result = ConsolidationResult(
        year=year,
        plan_id=plan.id,
        received=received,
        late=late,
        missing=missing,
        measures=_measure_results(plan, year, hist),
        districts=_district_results(plan, year, hist),
        submissions=subs,
        file_issues=[_outcome(r, year) for r in rows],
        narratives=[n for n, _ in pairs],
        budget=[b for _, b in pairs],
    )
    return apply_review(result, plan)
