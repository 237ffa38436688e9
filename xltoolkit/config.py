"""Provincial settings that must not live in code: the fingerprint secret and the sheet password.

Both come from the environment (or a file named there), so the province can keep them out of the
repository and out of the generated workbooks' plain text.
"""

from __future__ import annotations

import os
from pathlib import Path


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
    value = _from_env("XLTOOLKIT_SECRET")
    return value.encode("utf-8") if value else None


def sheet_password() -> str | None:
    """XLTOOLKIT_SHEET_PASSWORD (or _FILE): sheet/structure protection password; none if unset."""
    return _from_env("XLTOOLKIT_SHEET_PASSWORD")
