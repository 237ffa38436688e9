"""Validate returned workbooks: public API (skeleton; internals growing in read.py/checks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from xltoolkit.plan import Plan
from xltoolkit.report import FileReport, ValidationReport

History = Mapping[tuple[str, str], Mapping[int, float]]

__all__ = ["FileReport", "ValidationReport", "validate_paths", "validate_values", "validate_workbook"]


def validate_workbook(
    path: str | Path,
    plan: Plan | None = None,
    *,
    year: int | None = None,
    agency: str | None = None,
    history: History | None = None,
    secret: bytes | None = None,
) -> ValidationReport:
    """Validate one returned workbook."""
    raise NotImplementedError


def validate_paths(
    paths: Iterable[str | Path],
    plan: Plan | None = None,
    *,
    year: int | None = None,
    history: History | None = None,
    secret: bytes | None = None,
) -> ValidationReport:
    """Validate files and folders in one batch."""
    raise NotImplementedError


def validate_values(
    sheets: dict[str, list[list[Any]]],
    names: dict[str, tuple[str, str]] | list[dict[str, str]],
    plan: Plan | None = None,
    *,
    year: int | None = None,
    agency: str | None = None,
    history: History | None = None,
    path: str = "",
) -> ValidationReport:
    """Validate sheet values sent by the Excel add-in."""
    raise NotImplementedError
