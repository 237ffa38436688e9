"""The rows the ledger stores for a new submission (`Record`), as `Ledger.add` writes them.

A national collection's first run writes some 300,000 of them in one go. The validator hands over
plain values (text, whole-number years, floats, booleans, None), so those pass through an inline
check of their type; anything else (a frame's NaN or pd.NA, numbers as text) takes the general
conversion of `num` / `text`, and is stored as it always was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from xltoolkit.validation.results import VALUE_COLUMNS


@dataclass
class Record:
    """A new submission to write (one file, once validated)."""

    sha256: str
    agency: str | None
    year: int | None
    original_name: str
    received_at: datetime
    archive_path: str
    integrity_ok: bool
    valid: bool
    errors: int
    warnings: int
    report: dict[str, Any]
    narrative: dict[str, Any] = field(default_factory=dict)
    values: pd.DataFrame | list[tuple[Any, ...]] | None = None  # rows in `aggregate_cols()` order
    plan_id: str | None = None
    received_given: bool = False
    #: (element, value, status, reason, blocked) per data element of the file.
    elements: list[tuple[Any, ...]] = field(default_factory=list)
    #: Refused although readable (a blank form received after the unit's report: consolidation/blank.py).
    refused: bool = False


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True)


def dumps(obj: Any) -> str:
    """A report or narrative as stored: keys sorted, text as it is, anything else as its str()."""
    return _ENCODER.encode(obj)


def num(x: Any) -> float | None:
    if type(x) is float:
        return None if x != x else x
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def text(x: Any) -> str | None:
    if type(x) is str:
        return x
    if x is None or (isinstance(x, float) and x != x) or x is pd.NA:
        return None
    return str(x)


def flag(x: Any) -> int:
    """A stored 0/1 (None and pd.NA: 0)."""
    return int(x is not None and x is not pd.NA and bool(x))


def value_rows(values: pd.DataFrame | list[tuple[Any, ...]] | None) -> list[tuple[Any, ...]]:
    """Value rows as tuples in `aggregate_cols()` order, from a frame or from the validator's tuples."""
    if values is None:
        return []
    if isinstance(values, pd.DataFrame):
        if not len(values):
            return []
        cols = [values[c].tolist() if c in values else [None] * len(values) for c in VALUE_COLUMNS]
        return list(zip(*cols, strict=True))
    width = len(VALUE_COLUMNS)
    return [tuple(r) if len(r) == width else (*r, False) for r in values]  # rows without no_data


def state(r: Record) -> str:
    """A new submission's state before `Ledger.resolve`: usable files are pending, others rejected."""
    return "pending" if r.integrity_ok and r.agency and r.year is not None and not r.refused else "rejected"


def submission_row(r: Record, seq: int, recorded_at: str) -> tuple[Any, ...]:
    """The submissions row of `r`, in the column order of `Ledger.add`'s INSERT."""
    return (
        r.sha256,
        r.agency,
        r.year,
        r.original_name,
        r.received_at.isoformat(),
        recorded_at,
        seq,
        r.archive_path,
        int(r.integrity_ok),
        int(r.valid),
        r.errors,
        r.warnings,
        state(r),
        dumps(r.report),
        dumps(r.narrative),
        r.plan_id,
        int(r.received_given),
    )


def observation_rows(r: Record) -> list[tuple[Any, ...]]:
    """The observations rows of `r`: a row's own agency and year where given, else the file's."""
    sha, agency, year = r.sha256, r.agency, r.year
    return [
        (
            sha,
            a if type(a) is str and a else (text(a) or agency),
            y if type(y) is int else (int(y) if num(y) is not None else year),
            c if type(c) is str else str(c),
            (n if n == n else None) if type(n) is float else num(n),
            (d if d == d else None) if type(d) is float else num(d),
            (v if v == v else None) if type(v) is float else num(v),
            src if src is None or type(src) is str else text(src),
            notes if notes is None or type(notes) is str else text(notes),
            int(b) if type(b) is bool else flag(b),
            int(nd) if type(nd) is bool else flag(nd),
        )
        for a, y, c, n, d, v, src, notes, b, nd in value_rows(r.values)
    ]


def element_rows(r: Record) -> list[tuple[Any, ...]]:
    """The elements rows of `r`."""
    sha, agency, year = r.sha256, r.agency, r.year
    return [
        (
            sha,
            agency,
            year,
            e if type(e) is str else str(e),
            (v if v == v else None) if type(v) is float else num(v),
            st if st is None or type(st) is str else text(st),
            why if why is None or type(why) is str else text(why),
            1 if b else 0,
        )
        for e, v, st, why, b in r.elements
    ]
