"""Whether a returned file carries any figure, so that a blank form never replaces a report.

Units reply with the blank template attached, or it is saved by mistake into the folder of returns
(this year's or, found later, a past year's). Received last, it would become the unit's report and
blank out every figure of a report already consolidated. A file that carries nothing the officer
could have typed (no element value, no «no data» mark, no measure count, no task result, budget or
difficulty) is therefore refused when the unit already has an accepted report with figures for that
year; on its own, as the unit's only file, it is still recorded as its report (and shows its errors).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from xltoolkit.consolidation.ledger import Ledger
from xltoolkit.consolidation.results import issue_to_dict
from xltoolkit.consolidation.stored import Record
from xltoolkit.issues import Issue, issue


def _given(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def report_has_figures(rep: Any) -> bool:
    """A FileReport with anything typed in its inputs (element values or marks, counts, narrative)."""
    for _element, value, status, *_ in getattr(rep, "element_rows", None) or ():
        if _given(value) or status is not None:
            return True
    for row in getattr(rep, "value_rows", None) or ():
        if _given(row[3]) or _given(row[4]):
            return True
    return narrative_has_content(
        {"tasks": rep.tasks or [], "budget": rep.budget, "difficulties": rep.difficulties}
    )


def narrative_has_content(narrative: dict[str, Any] | str | None) -> bool:
    """Task results, budget figures or difficulties written in a report's narrative part."""
    if isinstance(narrative, str):
        try:
            narrative = json.loads(narrative)
        except ValueError:
            return True  # unreadable: never taken for blank
    if not isinstance(narrative, dict):
        return False
    tasks = narrative.get("tasks") or []
    budget = narrative.get("budget") or {}
    return (
        any(isinstance(t, dict) and t.get("result") for t in tasks)
        or any(_given(v) for v in (budget.values() if isinstance(budget, dict) else ()))
        or bool(narrative.get("difficulties"))
    )


def blank_issue(year: int, received_at: str) -> Issue:
    """The reason a blank file was not taken as the unit's report of `year`."""
    try:
        when = f"{datetime.fromisoformat(received_at):%H:%M ngày %d/%m/%Y}"
    except (ValueError, TypeError):
        when = str(received_at)
    return issue("blank-report", year=year, received=when)


def refuse_blank_forms(led: Ledger, records: list[Record], figures: list[bool]) -> None:
    """Refuse each new blank form of a unit and year that has a report with figures (accepted in
    the ledger, or among this run's files), saying which report stands (consolidation/blank.py)."""
    with_figures: dict[tuple[str | None, int | None], str] = {}
    for r, has in zip(records, figures, strict=True):
        if has and r.integrity_ok:
            with_figures.setdefault((r.agency, r.year), r.received_at.isoformat())
    for r, has in zip(records, figures, strict=True):
        if has or not r.integrity_ok or r.agency is None or r.year is None:
            continue
        standing = with_figures.get((r.agency, r.year)) or next(
            (
                when
                for _, when, counts, narrative in led.accepted_reports(r.agency, r.year)
                if counts or narrative_has_content(narrative)
            ),
            None,
        )
        if standing is not None:
            r.refused = True
            r.errors += 1
            r.report["issues"] = [*r.report["issues"], issue_to_dict(blank_issue(r.year, standing))]
