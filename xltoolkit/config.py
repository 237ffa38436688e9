"""Every environment setting of xltoolkit, in one place.

Provincial secrets (the fingerprint key, the sheet password) come from the environment or from a file
named there, so they stay out of the repository and out of the generated workbooks. The other settings
are defaults the CLI options and the add-in server share; each adapter reads them here, never from
`os.environ` directly.
"""

from __future__ import annotations

import os
from pathlib import Path

from xltoolkit.workspace import DEFAULT_WORKSPACE

SECRET_ENV = "XLTOOLKIT_SECRET"
SHEET_PASSWORD_ENV = "XLTOOLKIT_SHEET_PASSWORD"
PLAN_ENV = "XLTOOLKIT_PLAN"
WORKSPACE_ENV = "XLTOOLKIT_WORKSPACE"
ADDIN_TOKEN_ENV = "XLTOOLKIT_ADDIN_TOKEN"
ADDIN_MAX_BYTES_ENV = "XLTOOLKIT_ADDIN_MAX_BYTES"
WORKERS_ENV = "XLTOOLKIT_WORKERS"


def _from_env(var: str) -> str | None:
    value = os.environ.get(var)
    if value:
        return value
    path = os.environ.get(f"{var}_FILE")
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8").strip() or None
    return None


def fingerprint_secret() -> bytes | None:
    """XLTOOLKIT_SECRET (or XLTOOLKIT_SECRET_FILE): keys template fingerprints with an HMAC."""
    value = _from_env(SECRET_ENV)
    return value.encode("utf-8") if value else None


def sheet_password() -> str | None:
    """XLTOOLKIT_SHEET_PASSWORD (or _FILE): sheet/structure protection password; none if unset."""
    return _from_env(SHEET_PASSWORD_ENV)


def plan_path() -> str | None:
    """XLTOOLKIT_PLAN: the plan file used when no --plan is given (None: the bundled plan)."""
    return os.environ.get(PLAN_ENV) or None


def workspace() -> Path:
    """XLTOOLKIT_WORKSPACE: the workspace of consolidate and the add-in server."""
    return Path(os.environ.get(WORKSPACE_ENV) or DEFAULT_WORKSPACE)


def addin_token() -> str:
    """XLTOOLKIT_ADDIN_TOKEN: the access token the add-in server requires ('' when none)."""
    return os.environ.get(ADDIN_TOKEN_ENV, "")


def addin_max_bytes(default: int) -> int:
    """XLTOOLKIT_ADDIN_MAX_BYTES: request size limit of the add-in server (set by `addin serve`)."""
    value = os.environ.get(ADDIN_MAX_BYTES_ENV)
    try:
        return int(value) if value else default
    except ValueError:
        return default


def workers() -> int | None:
    """XLTOOLKIT_WORKERS: validation processes for large batches (None: decide from the CPU count)."""
    value = os.environ.get(WORKERS_ENV)
    try:
        return max(1, int(value)) if value else None
    except ValueError:
        return None
