"""The `custom` auth provider: a shared access token for a server reachable from the network.

xlwings-server calls `validate_token` with the request's `Authorization` header on every script
call when `XLWINGS_AUTH_PROVIDERS=["custom"]` (set by `xltoolkit addin serve` whenever
XLTOOLKIT_ADDIN_TOKEN is set). The Office.js side sends the token the officer typed once in the task
pane (static/js/auth.js).
"""

from __future__ import annotations

import hmac
import logging

from fastapi import HTTPException, status
from xlwings_server.models import User

from xltoolkit import config
from xltoolkit.issues import message

logger = logging.getLogger(__name__)


async def validate_token(token_string: str) -> User:
    """Accept the configured token (bare or as `Bearer <token>`); 401 otherwise."""
    expected = config.addin_token()
    given = token_string.removeprefix("Bearer ").strip()
    # The token is printable ASCII (checked at start); the header as Starlette decodes it (Latin-1)
    # is compared byte for byte.
    given_bytes = given.encode("latin-1", "replace")
    if expected and hmac.compare_digest(given_bytes, expected.encode("ascii", "replace")):
        return User(id="xltoolkit-officer", name="officer")
    logger.warning("Rejected a script call with a missing or wrong access token")
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message("addin-token-wrong"),
    )
