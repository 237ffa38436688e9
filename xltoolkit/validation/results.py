"""Result objects of validation: one FileReport per returned workbook, gathered in a ValidationReport.

They carry everything downstream tools need (the consolidator uses `values`, `tasks`, `budget`,
`integrity_ok`; the add-in and the CLI render `issues`) so nobody has to re-read a workbook.
`to_dict()` is the documented machine contract of `xltoolkit validate --json`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from xltoolkit.issues import Issue

VALUE_COLUMNS = [
    "agency",
    "year",
    "code",
    "numerator",
    "denominator",
    "value",
    "source",
    "notes",
    "blocked",
    "no_data",
]
#: One data element of a file: its value (NaN: blank, not a number or no data), the status cell's
#: text, the reason given, and whether an error at its cell forbids using it.
ELEMENT_COLUMNS = ["element", "value", "status", "reason", "blocked"]


def empty_values() -> pd.DataFrame:
    """The `values` frame of a file that yielded no measures (same columns, so concat just works)."""
    return pd.DataFrame(
        {
            "agency": pd.Series(dtype="object"),
            "year": pd.Series(dtype="Int64"),
            "code": pd.Series(dtype="object"),
            "numerator": pd.Series(dtype="float64"),
            "denominator": pd.Series(dtype="float64"),
            "value": pd.Series(dtype="float64"),
            "source": pd.Series(dtype="object"),
            "notes": pd.Series(dtype="object"),
            "blocked": pd.Series(dtype="bool"),
            "no_data": pd.Series(dtype="bool"),
        }
    )


#: One measure row of a file, in VALUE_COLUMNS order.
ValueRow = tuple[Any, ...]


def rows_frame(rows: list[ValueRow]) -> pd.DataFrame:
    if not rows:
        return empty_values()
    df = pd.DataFrame.from_records(rows, columns=VALUE_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    for col in ("numerator", "denominator", "value"):
        df[col] = df[col].astype("float64")
    df["blocked"] = df["blocked"].astype(bool)
    df["no_data"] = df["no_data"].astype(bool)
    return df


@dataclass
class FileReport:
    """Validation outcome of one workbook (or of in-memory sheet values sent by the add-in).

    `integrity_ok` False means the file must not be used at all (not a template, another agency's or
    year's file, changed locked content...). Otherwise each measure row in `values` says through
    `blocked` whether an error forbids using that measure; other measures stay usable.
    """

    path: str
    agency: str | None = None
    year: int | None = None
    issues: list[Issue] = field(default_factory=list)
    sha256: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    value_rows: list[ValueRow] = field(default_factory=list, repr=False)  # VALUE_COLUMNS order
    element_rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False)  # ELEMENT_COLUMNS
    tasks: list[dict[str, Any]] = field(default_factory=list)
    budget: dict[str, float | None] | None = None
    difficulties: str | None = None
    integrity_ok: bool = False
    reporter: str | None = None
    phone: str | None = None

    @property
    def valid(self) -> bool:
        return not any(i.is_error for i in self.issues)

    @property
    def values(self) -> pd.DataFrame:
        """One row per measure (VALUE_COLUMNS); built on access, only by those who need it."""
        return rows_frame(self.value_rows)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "agency": self.agency,
            "year": self.year,
            "valid": self.valid,
            "issues": [i.to_dict() for i in self.issues],
        }


@dataclass
class ValidationReport:
    """All files of one run, in the order given (folders expanded in name order)."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    @property
    def stats(self) -> dict[str, int]:
        codes = Counter(i.code for i in self.issues)
        return {
            "files": len(self.files),
            "valid_files": sum(f.valid for f in self.files),
            "invalid_files": sum(not f.valid for f in self.files),
            "errors": sum(i.is_error for i in self.issues),
            "warnings": sum(not i.is_error for i in self.issues),
            **{f"code:{c}": n for c, n in sorted(codes.items())},
        }

    def values(self) -> pd.DataFrame:
        """All measure rows of files whose integrity holds (the consolidator's input)."""
        return rows_frame([r for f in self.files if f.integrity_ok for r in f.value_rows])

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files]}

    def by_path(self, path: str | Path) -> FileReport:
        key = str(path)
        return next(f for f in self.files if f.path == key)
