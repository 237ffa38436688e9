"""Result objects of the consolidation stage, shared by the consolidator, the summary workbook
writer, the CLI and the add-in. Core functions return these; adapters only render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xltoolkit.plan.status import StatusResult


@dataclass
class MeasureResult:
    """Provincial figure of one measure for the year."""

    code: str
    value: float | None  # official: the lead department's figure where reported, else district aggregate
    district_aggregate: float | None  # Σ numerators / Σ denominators × scale over usable districts
    department_value: float | None
    source: str  # "department" | "districts" | "none"
    status: StatusResult
    numerator_sum: float | None = None
    denominator_sum: float | None = None
    districts_used: list[str] = field(default_factory=list)
    districts_excluded: list[str] = field(default_factory=list)  # blocking error on this measure
    reconciliation_flag: bool = False
    trend: dict[int, float] = field(default_factory=dict)  # year -> official provincial value

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "value": self.value,
            "district_aggregate": self.district_aggregate,
            "department_value": self.department_value,
            "source": self.source,
            "status": self.status.status,
            "milestone_year": self.status.milestone_year,
            "target": self.status.target,
            "status_detail": self.status.to_dict(),
            "districts_used": self.districts_used,
            "districts_excluded": self.districts_excluded,
            "reconciliation_flag": self.reconciliation_flag,
            "trend": {str(y): v for y, v in sorted(self.trend.items())},
        }


@dataclass
class DistrictMeasure:
    code: str
    value: float | None
    status: StatusResult

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "value": self.value, "status": self.status.status}


@dataclass
class DistrictResult:
    agency: str
    measures: list[DistrictMeasure]

    def to_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "measures": [m.to_dict() for m in self.measures]}


@dataclass
class Submission:
    """One returned file as recorded in the ledger."""

    agency: str | None
    year: int | None
    sha256: str
    original_name: str
    received_at: datetime
    state: str  # "accepted" | "superseded" | "rejected"
    late: bool = False
    superseded_by: str | None = None  # sha256 of the newer submission
    errors: int = 0
    warnings: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "year": self.year,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "received_at": self.received_at.isoformat(),
            "state": self.state,
            "late": self.late,
            "superseded_by": self.superseded_by,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class ConsolidationResult:
    year: int
    plan_id: str
    received: list[str]
    late: list[str]
    missing: list[str]
    measures: list[MeasureResult]
    districts: list[DistrictResult]
    submissions: list[Submission] = field(default_factory=list)
    file_issues: list[dict[str, Any]] = field(default_factory=list)  # FileReport.to_dict() of each file
    # {agency, tasks: [{task, result}], difficulties}
    narratives: list[dict[str, Any]] = field(default_factory=list)
    budget: list[dict[str, Any]] = field(default_factory=list)  # {agency, state, mobilised}
    summary_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "plan": self.plan_id,
            "received": self.received,
            "late": self.late,
            "missing": self.missing,
            "measures": [m.to_dict() for m in self.measures],
            "districts": [d.to_dict() for d in self.districts],
            "submissions": [s.to_dict() for s in self.submissions],
            "files": self.file_issues,
            "budget": self.budget,
            "summary_path": str(self.summary_path) if self.summary_path else None,
        }
