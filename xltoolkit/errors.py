"""Exceptions the adapters turn into Vietnamese messages and exit codes.

Core code raises these (never prints or exits); each carries a stable English code for machines and a
Vietnamese message for the officer.
"""

from __future__ import annotations


class XltoolkitError(Exception):
    """A user-facing failure with a stable code and a Vietnamese message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class PlanError(XltoolkitError):
    """The plan file is missing, unreadable or inconsistent."""
