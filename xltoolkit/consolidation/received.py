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
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})

When = date | datetime | str
ReceivedAt = Mapping[str, When] | When | None

#: How far ahead of this machine's clock a file's modification time may be and still be believed:
#: the clocks of an agency's computer and of the server are often off by days or weeks (and by time
#: zones); a file dated months or years ahead is no clock error.
FUTURE_TOLERANCE = timedelta(days=31)
FUTURE = "received-in-future"


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


class Overrides:
    """Officer-given received times, looked up by file name, then agency id/code, then for all."""

    def __init__(self, received_at: ReceivedAt, plan: Plan):
        self.all: datetime | None = None
        self.by_key: dict[str, datetime] = {}
        if received_at is None:
            return
        if isinstance(received_at, Mapping):
            for key, value in received_at.items():
                when = to_datetime(value)
                if Path(key).suffix.lower() in SPREADSHEET_SUFFIXES:
                    self.by_key[Path(key).name] = when
                else:
                    self.by_key[plan.agency(key).id] = when
        else:
            self.all = to_datetime(received_at)

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
