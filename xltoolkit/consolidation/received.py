"""Received times: when each returned file counts as received, for lateness and for ordering
resubmissions (the file received last is an agency's accepted word).

Recorded when a hash is first seen: the file's modification time, unless the officer gives one
(`received_at`). A correction given later for a known file updates its recorded time, and later runs
keep it without the option. A modification time further in the future than any clock error explains
(a file dated 2099) is not trusted: the file counts as received when it was first seen, and a
`received-in-future` warning says so; otherwise such a file would stay the accepted submission for
ever and every real correction would be marked superseded.

`received_at` keys: an agency id, an official agency code, or a file name; or one value for all.
A date without a time means midnight; lateness compares the received *date* with the deadline.

An officer-given time is kept for ever and decides which file is an agency's accepted word, so one
that cannot be true is refused before anything is recorded (`received-at-out-of-range`, exit 2):
later than now by more than the clock tolerance of file times (a typed 2062 for 2026, or the day and
month swapped into next year), or earlier than 1 January of the year before the reporting year (a
1900, a 2016). The year before stays open on purpose: a previous year's report found in this year's
folder (late, or sent again) is taken in by this run and keeps its own true received date, often in
that year's December.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import Issue, issue, message
from xltoolkit.plan.model import Plan

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})

When = date | datetime | str
ReceivedAt = Mapping[str, When] | When | None

#: How far ahead of this machine's clock a file's modification time may be and still be believed:
#: the clocks of an agency's computer and of the server are often off by days or weeks (and by time
#: zones); a file dated months or years ahead is no clock error.
FUTURE_TOLERANCE = timedelta(days=31)
FUTURE = "received-in-future"
OUT_OF_RANGE = "received-at-out-of-range"


def to_datetime(value: When) -> datetime:
    """Naive local time to the second: the ledger compares received times as ISO text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    try:
        if len(text) == 10 and "/" in text:  # 20/12/2026, as officers write it
            return datetime.strptime(text, "%d/%m/%Y")
        return to_datetime(datetime.fromisoformat(text))
    except ValueError:
        raise XltoolkitError(
            "bad-received-at",
            f"Ngày nhận '{value}' không đúng dạng; dùng NNNN-TT-NN (ví dụ 2026-12-20) hoặc NN/TT/NNNN.",
        ) from None


def parse_received_at(items: Sequence[str]) -> dict[str, datetime] | datetime | None:
    """CLI form: ``KEY=DATE`` (repeatable) or a single ``DATE`` for every file."""
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        return to_datetime(items[0])
    out: dict[str, datetime] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise XltoolkitError(
                "bad-received-at",
                f"'{item}': dùng dạng MÃ-CƠ-QUAN=NGÀY (ví dụ h-ben-luc=2026-12-20), "
                "hoặc một ngày cho tất cả.",
            )
        out[key.strip()] = to_datetime(value)
    return out


def received_window(year: int | None, first_year: int, now: datetime) -> tuple[datetime, datetime]:
    """The received times an officer may give for a consolidation of `year` (both ends included).

    From 1 January of the year before the reporting year (never before the plan's first year), to
    `now` plus the clock tolerance the file times get (`FUTURE_TOLERANCE`): the same allowance for a
    server clock that is behind, no new constant. Without a year (a plan not narrowed to one), the
    plan's first year is the only lower bound.
    """
    start = first_year if year is None else max(year - 1, first_year)
    return datetime(start, 1, 1), to_datetime(now) + FUTURE_TOLERANCE


def _shown(when: datetime) -> str:
    return f"{when:%d/%m/%Y}" if when.time() == datetime.min.time() else f"{when:%d/%m/%Y %H:%M}"


def check_received_at(
    when: datetime, year: int | None, first_year: int, now: datetime, key: str | None = None
) -> datetime:
    """`when` if it lies in `received_window`, else the usage error naming the value (and the agency
    or file it was given for): a wrong date silently kept would decide lateness and resubmissions."""
    lo, hi = received_window(year, first_year, now)
    if lo <= when <= hi:
        return when
    whom = f" cho «{key}»" if key else ""
    if when > hi:
        text = message(
            OUT_OF_RANGE,
            "future",
            value=_shown(when),
            whom=whom,
            now=_shown(to_datetime(now)),
            days=FUTURE_TOLERANCE.days,
        )
    else:
        text = message(
            OUT_OF_RANGE,
            "past",
            value=_shown(when),
            whom=whom,
            earliest=_shown(lo),
            year=year if year is not None else first_year,
        )
    raise XltoolkitError(OUT_OF_RANGE, text)


class Overrides:
    """Officer-given received times, looked up by file name, then agency id/code, then for all.

    Every time is checked against `received_window` of the plan's year here, before the consolidation
    touches the archive or the ledger. `now`: the clock to judge by (tests give one).
    """

    def __init__(self, received_at: ReceivedAt, plan: Plan, now: datetime | None = None):
        self.all: datetime | None = None
        self.by_key: dict[str, datetime] = {}
        if received_at is None:
            return
        clock = now if now is not None else datetime.now()

        def checked(value: When, key: str | None) -> datetime:
            return check_received_at(to_datetime(value), plan.year, plan.period[0], clock, key)

        if isinstance(received_at, Mapping):
            for key, value in received_at.items():
                when = checked(value, key)
                if Path(key).suffix.lower() in SPREADSHEET_SUFFIXES:
                    self.by_key[Path(key).name] = when
                else:
                    self.by_key[plan.agency(key).id] = when
        else:
            self.all = checked(received_at, None)

    def get(self, name: str, agency: str | None) -> datetime | None:
        if name in self.by_key:
            return self.by_key[name]
        if agency and agency in self.by_key:
            return self.by_key[agency]
        return self.all


def received_time(
    path: Path, agency: str | None, known: Any, overrides: Overrides, now: datetime
) -> tuple[datetime, bool, bool]:
    """A new record's received time, whether the officer gave it, and whether the file's own time
    was in the future and not trusted (then the time it was first seen, `now`, stands in).

    The officer's time comes first, then the time first recorded (a file validated again), then the
    file's modification time.
    """
    given = overrides.get(path.name, agency)
    if given is not None:
        return given, True, False
    if known is not None:
        return datetime.fromisoformat(known["received_at"]), bool(known["received_given"]), False
    mtime = datetime.fromtimestamp(os.stat(path).st_mtime).replace(microsecond=0)
    if mtime > now + FUTURE_TOLERANCE:
        return now.replace(microsecond=0), False, True
    return mtime, False, False


def future_issue(path: Path) -> Issue:
    """The warning recorded with a file whose modification time was not believed."""
    stamp = datetime.fromtimestamp(os.stat(path).st_mtime)
    return issue(FUTURE, stamp=f"{stamp:%d/%m/%Y}")
