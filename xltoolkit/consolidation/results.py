"""Result objects of the consolidation stage, shared by the consolidator, the summary workbook
writer, the CLI and the add-in. Core functions return these; adapters only render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xltoolkit.issues import Issue, Severity
from xltoolkit.plan.status import StatusResult


@dataclass(frozen=True)
class Coverage:
    """How many of the units that should report a measure did report a usable figure."""

    reporting: int
    expected: int

    @property
    def partial(self) -> bool:
        return self.reporting < self.expected

    @property
    def label(self) -> str:
        return f"{self.reporting}/{self.expected} đơn vị có số liệu"

    def to_dict(self) -> dict[str, Any]:
        return {"reporting": self.reporting, "expected": self.expected}


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
    #: Units with a usable figure out of those expected (set by the aggregation; None: not counted).
    coverage: Coverage | None = None

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
            "coverage": self.coverage.to_dict() if self.coverage else None,
        }


@dataclass
class DistrictMeasure:
    code: str
    value: float | None
    status: StatusResult
    #: The unit's denominator is below the measure's `min_denominator`: shown «số nhỏ», no verdict,
    #: no status colour, no rank (the provincial figure is unaffected).
    small_number: bool = False
    #: The unit marked the measure «Không có số liệu».
    no_data: bool = False

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
    #: True when the received time was given by the officer (`received_at`), which later runs keep.
    received_given: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "year": self.year,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "received_at": self.received_at.isoformat(),
            "received_given": self.received_given,
            "state": self.state,
            "late": self.late,
            "superseded_by": self.superseded_by,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def issue_to_dict(issue: Issue) -> dict[str, Any]:
    """An issue as stored and printed: the shared fields plus the measure it concerns."""
    return {**issue.to_dict(), "measure": issue.measure}


def issue_from_dict(d: dict[str, Any]) -> Issue:
    """An issue read back from the ledger (older rows have no measure)."""
    severity: Severity = "warning" if d.get("severity") == "warning" else "error"
    return Issue(
        code=str(d.get("code") or ""),
        severity=severity,
        message=str(d.get("message") or ""),
        sheet=d.get("sheet"),
        cell=d.get("cell"),
        measure=d.get("measure"),
    )


@dataclass
class FileOutcome:
    """The validation outcome of one recorded file, as read back from the ledger."""

    path: str
    agency: str | None
    year: int | None
    valid: bool
    issues: list[Issue]
    sha256: str
    state: str  # the submission state, as in `Submission.state`

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "agency": self.agency,
            "year": self.year,
            "valid": self.valid,
            "issues": [issue_to_dict(i) for i in self.issues],
            "sha256": self.sha256,
            "state": self.state,
        }


@dataclass
class TaskResult:
    task: str
    result: str

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "result": self.result}


@dataclass
class Narrative:
    """What an agency wrote about its tasks and its difficulties (kept as text)."""

    agency: str
    tasks: list[TaskResult] = field(default_factory=list)
    difficulties: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "tasks": [t.to_dict() for t in self.tasks],
            "difficulties": self.difficulties,
        }


@dataclass
class BudgetLine:
    """An agency's budget for the year, million VND (None: not reported or not usable)."""

    agency: str
    state: float | None
    mobilised: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "state": self.state, "mobilised": self.mobilised}


@dataclass
class SkippedFile:
    """A file of the folder that was not taken in, and why (a reason code and its Vietnamese text)."""

    name: str
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "message": self.message}


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
    file_issues: list[FileOutcome] = field(default_factory=list)
    narratives: list[Narrative] = field(default_factory=list)
    budget: list[BudgetLine] = field(default_factory=list)
    summary_path: Path | None = None
    #: Files in the folder not taken in (hidden, lock files, unreadable names...), with the reason.
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def other_year_files(self) -> list[Submission]:
        """Files of the folder that belong to another year (recorded under their own year)."""
        return [s for s in self.submissions if s.year is not None and s.year != self.year]

    @property
    def given_received_times(self) -> list[Submission]:
        """Submissions whose received time was given by the officer (kept by later runs)."""
        return [s for s in self.submissions if s.received_given]

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
            "files": [f.to_dict() for f in self.file_issues],
            "narratives": [n.to_dict() for n in self.narratives],
            "budget": [b.to_dict() for b in self.budget],
            "skipped": [f.to_dict() for f in self.skipped],
            "summary_path": str(self.summary_path) if self.summary_path else None,
        }
