"""Release testing, session 6: an officer-given received time that cannot be true is refused.

`consolidate --received-at h-ben-luc=2062-12-20` (2026 typed as 2062) was taken silently: the ledger
keeps an officer's time for ever, so the agency's file stayed «received» decades ahead, late, and the
accepted word over every real correction. A time later than now by more than the clock tolerance
file times already get, or earlier than 1 January of the year before the reporting year, is now a
usage error (exit 2) naming the value, before anything is archived or recorded.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.cli.main import main
from xltoolkit.consolidation.intake import consolidate
from xltoolkit.consolidation.received import (
    FUTURE_TOLERANCE,
    OUT_OF_RANGE,
    Overrides,
    check_received_at,
    received_window,
)
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.workspace import ledger_path

from .corpus import clean_return

YEAR = 2024
AGENCY = "h-ben-luc"
FIRST = 2021  # the bundled plan's first year (checked below)

_NOW = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2100, 12, 31))
_WHEN = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31))
_YEAR = st.integers(FIRST, 2030)


def _refused(when: datetime, year: int, now: datetime) -> XltoolkitError | None:
    try:
        check_received_at(when, year, FIRST, now, "h-ben-luc")
    except XltoolkitError as e:
        return e
    return None


def test_the_bundled_plan_starts_in_2021(plan: Plan) -> None:
    assert plan.period[0] == FIRST


@given(year=_YEAR, now=_NOW, when=_WHEN)
def test_no_time_past_the_clock_tolerance_or_before_the_year_before_is_taken(
    year: int, now: datetime, when: datetime
) -> None:
    err = _refused(when, year, now)
    too_late = when > now.replace(microsecond=0) + FUTURE_TOLERANCE
    too_early = when < datetime(max(year - 1, FIRST), 1, 1)
    assert (err is not None) == (too_late or too_early)
    if err is not None:
        assert err.code == OUT_OF_RANGE
        assert f"{when:%d/%m/%Y}" in err.message and "«h-ben-luc»" in err.message
        assert "{" not in err.message and "…" not in err.message  # every placeholder filled


@given(year=st.integers(FIRST + 1, 2030), now=_NOW, data=st.data())
def test_any_time_from_the_year_before_to_a_month_ahead_is_taken(
    year: int, now: datetime, data: st.DataObject
) -> None:
    """Late files of earlier years, a previous year's report found in this folder, a server clock up
    to a month behind: all legitimate, all kept as given."""
    lo = datetime(year - 1, 1, 1)
    hi = now.replace(microsecond=0) + FUTURE_TOLERANCE
    if lo > hi:
        return
    when = data.draw(st.datetimes(min_value=lo, max_value=hi))
    assert _refused(when, year, now) is None


@given(year=_YEAR, now=_NOW)
def test_the_window_holds_the_deadline_once_it_has_passed(year: int, now: datetime) -> None:
    lo, hi = received_window(year, FIRST, now)
    deadline = datetime(year, 12, 15, 23, 59)
    assert lo <= deadline
    if now >= deadline:
        assert deadline <= hi
    assert hi - now.replace(microsecond=0) == FUTURE_TOLERANCE  # the file times' tolerance, reused


@pytest.mark.parametrize(
    ("given_value", "shown"),
    [
        ({"h-ben-luc": "2062-12-20"}, "20/12/2062"),  # 2026 typed as 2062
        ({"h-ben-luc": "20/12/2027"}, "20/12/2027"),  # a year ahead
        ("1900-01-01", "01/01/1900"),  # one value for all files
        ({"h-ben-luc": date(2016, 12, 14)}, "14/12/2016"),  # 2026 typed as 2016
    ],
)
def test_the_api_refuses_before_anything_is_recorded(
    tmp_path: Path, plan: Plan, given_value: object, shown: str
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    clean_return(src, plan, YEAR, AGENCY)
    ws = tmp_path / "ws"
    with pytest.raises(XltoolkitError) as e:
        consolidate(src, YEAR, plan=plan, workspace=ws, received_at=given_value)  # type: ignore[arg-type]
    assert e.value.code == OUT_OF_RANGE and shown in e.value.message
    assert not ledger_path(ws).exists() and not (ws / "archive").exists()


def test_the_cli_says_which_value_and_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    args = ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(tmp_path / "ws")]
    res = CliRunner().invoke(main, [*args, "--received-at", "h-ben-luc=2062-12-20", "--json"])
    assert res.exit_code == 2, res.output
    err = json.loads(res.output)["error"]
    assert err["code"] == OUT_OF_RANGE and "20/12/2062" in err["message"] and "h-ben-luc" in err["message"]
    text = CliRunner().invoke(main, [*args, "--received-at", "01/01/1900"])
    assert text.exit_code == 2 and "01/01/1900" in text.output and "Traceback" not in text.output
    assert not ledger_path(tmp_path / "ws").exists()


def test_a_previous_years_report_keeps_its_own_received_date(tmp_path: Path, plan: Plan) -> None:
    """The year before the reporting year is open: a 2023 report found in the 2024 folder was
    received in December 2023, and the officer says so."""
    src = tmp_path / "in"
    src.mkdir()
    os.replace(clean_return(tmp_path / "new", plan, YEAR, AGENCY), src / "clean.xlsx")
    os.replace(clean_return(tmp_path / "old", plan, YEAR - 1, AGENCY), src / "cu-2023.xlsx")
    given_at = {"cu-2023.xlsx": "2023-12-10", AGENCY: f"{YEAR}-12-12"}
    r = consolidate(src, YEAR, plan=plan, workspace=tmp_path / "ws", received_at=given_at)
    got = {s.original_name: s.received_at for s in r.submissions}
    assert got == {"clean.xlsx": datetime(YEAR, 12, 12), "cu-2023.xlsx": datetime(2023, 12, 10)}


def test_a_clock_a_few_days_behind_does_not_stop_the_officer(plan: Plan) -> None:
    now = datetime(2026, 12, 10, 9, 0)
    ahead = now + timedelta(days=20)
    got = Overrides({"tn-so-yt": ahead}, plan.for_year(2026), now=now)
    assert got.get("x.xlsx", "tn-so-yt") == ahead
    with pytest.raises(XltoolkitError) as e:
        Overrides(now + FUTURE_TOLERANCE + timedelta(days=1), plan.for_year(2026), now=now)
    assert e.value.code == OUT_OF_RANGE
