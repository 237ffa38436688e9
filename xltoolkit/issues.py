"""Validation issues: a stable English code for machines, a Vietnamese message for the officer.

Tests and tools key on `code`; the wording of `message` may improve without breaking anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One finding. `error` blocks use of the value (or the file); `warning` is shown only."""

    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    measure: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }
