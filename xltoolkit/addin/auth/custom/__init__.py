"""The `custom` auth provider: a shared access token for a server reachable from the network.

xlwings-server calls `validate_token` with the request's `Authorization` header on every script
call when `XLWINGS_AUTH_PROVIDERS=["custom"]` (set by `xltoolkit addin serve` whenever
XLTOOLKIT_ADDIN_TOKEN is set). The Office.js side sends the token the officer typed once in the task
pane (static/js/auth.js).
"""

from __future__ import annotations

import logging
import os
import secrets

from fastapi import HTTPException, status
from xlwings_server.models import User

logger = logging.getLogger(__name__)


async def validate_token(token_string: str) -> User:
    """Accept the configured token (bare or as `Bearer <token>`); 401 otherwise."""
    expected = os.environ.get("XLTOOLKIT_ADDIN_TOKEN", "")
    given = token_string.removeprefix("Bearer ").strip()
    if expected and secrets.compare_digest(given.encode(), expected.encode()):
        return User(id="xltoolkit-officer", name="officer")
    logger.warning("Rejected a script call with a missing or wrong access token")
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Mã truy cập không đúng. Mở ngăn «Trẻ em» (nút «Cài đặt») và nhập lại mã do Sở cung cấp.",
    )
