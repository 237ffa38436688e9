"""Configure and start xlwings Server for the add-in; render its manifest.

xlwings-server reads its settings once, from `XLWINGS_*` environment variables, when its modules are
first imported. So everything here works by setting the environment *first* (`configure_environment`)
and importing the server app only afterwards (`create_app`). The CLI (`xltoolkit addin serve`), the
tests and the benchmark all go through these two functions, so they run the same configuration.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from xltoolkit import config
from xltoolkit.addin import ADDIN_DIR
from xltoolkit.addin.payload import Refusal, answer_json, read_payload
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import message

#: This project's own add-in IDs (generated once; Office identifies an add-in by this ID, so they
#: must differ from xlwings-server's defaults, which every other xlwings install shares).
MANIFEST_ID_PROD = "25436581-aa84-4961-ab84-8f963b4f64c6"
MANIFEST_ID_DEV = "ae4abc33-e4f5-4499-afc3-45ad60f0f4c7"

TOKEN_ENV = config.ADDIN_TOKEN_ENV
WORKSPACE_ENV = config.WORKSPACE_ENV
MAX_BYTES_ENV = config.ADDIN_MAX_BYTES_ENV
#: A district template's payload is about 30 kB; a summary workbook a few hundred kB.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_PORT = 8000
DEFAULT_URL = f"https://localhost:{DEFAULT_PORT}"
#: Names mkcert gives `mkcert localhost 127.0.0.1 ::1` (what xlwings-server looks for), then generic ones.
CERT_PAIRS = (("localhost+2.pem", "localhost+2-key.pem"), ("cert.pem", "key.pem"))
#: Header the add-in's own pages send with every script call (static/js/ribbon.js reads the value from
#: the task pane page, which only the add-in's origin can read): the anti-forgery token.
ANTI_FORGERY_HEADER = "X-Xltoolkit-Request"
#: One per server process: a page of an older server run cannot be replayed against this one.
_ANTI_FORGERY_TOKEN = secrets.token_urlsafe(32)
logger = logging.getLogger("xltoolkit.addin")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def anti_forgery_token() -> str:
    """This server process's anti-forgery token (rendered into the task pane page)."""
    return _ANTI_FORGERY_TOKEN


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (the default, token-free binding)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def configure_environment(
    *,
    workspace: Path | None = None,
    require_token: bool = False,
    hostname: str | None = None,
    max_bytes: int | None = None,
    plan_path: Path | None = None,
    environ: MutableMapping[str, str] = os.environ,
) -> None:
    """Set the XLWINGS_* settings of the add-in server; call before importing xlwings_server.

    License: `noncommercial` selects xlwings' PolyForm Noncommercial terms, which the Office.js
    engine requires; a province holding a commercial key can set XLWINGS_LICENSE_KEY itself.
    `hostname` (host[:port] of the configured URL) is what the served manifest points Excel at,
    whatever Host header a request carries.
    """
    environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    environ["XLWINGS_PROJECT_DIR"] = str(ADDIN_DIR)
    environ["XLWINGS_PROJECT_NAME"] = "xltoolkit"
    # Only prod and dev have IDs of their own: any other xlwings environment would fall back to
    # the library's shared default IDs.
    if environ.get("XLWINGS_ENVIRONMENT") not in ("prod", "dev"):
        environ["XLWINGS_ENVIRONMENT"] = "prod"
    environ["XLWINGS_MANIFEST_ID_PROD"] = MANIFEST_ID_PROD
    environ["XLWINGS_MANIFEST_ID_DEV"] = MANIFEST_ID_DEV
    environ["XLWINGS_FUNCTIONS_NAMESPACE"] = "XLTOOLKIT"
    environ["XLWINGS_ENABLE_SOCKETIO"] = "false"
    environ["XLWINGS_ENABLE_HOTRELOAD"] = "false"
    environ["XLWINGS_ENABLE_EXAMPLES"] = "false"
    # No cross-origin caller is legitimate: the ribbon and task pane are served by this server.
    environ["XLWINGS_CORS_ALLOW_ORIGINS"] = "[]"
    environ["XLWINGS_AUTH_PROVIDERS"] = '["custom"]' if require_token else "[]"
    if hostname:
        environ["XLWINGS_HOSTNAME"] = hostname
    if workspace is not None:
        environ[config.WORKSPACE_ENV] = str(Path(workspace).resolve())
    if max_bytes is not None:
        environ[config.ADDIN_MAX_BYTES_ENV] = str(max_bytes)
    if plan_path is not None:
        environ[config.PLAN_ENV] = str(Path(plan_path).resolve())


def max_request_bytes() -> int:
    return config.addin_max_bytes(DEFAULT_MAX_BYTES)


#: Methods that can run something; GET/HEAD only read pages and files, OPTIONS is the CORS preflight.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where Office.js posts a script call (`runPython` in xlwings-server's custom-scripts/index.js).
SCRIPTS_PATH = "/xlwings/custom-scripts-call/"


class Guard:
    """ASGI middleware in front of xlwings-server: paths, access token, genuineness, size, payload.

    - Paths: no `.` / `..` segments (after percent-decoding), see `_check_request`.
    - Token: xlwings-server parses the posted workbook (and needs the license) *before* its auth
      dependency runs, so an unauthenticated caller could make it parse a large body. When
      XLTOOLKIT_ADDIN_TOKEN is set, POSTs without it get 401 here first (the `custom` auth provider
      checks it again inside xlwings-server).
    - Genuineness (403): a web page the officer happens to open can make the browser POST to
      localhost (a "simple" cross-site request: form or text/plain body, no preflight); CORS only
      hides the answer, the script would still run. So every POST must come from the add-in itself
      (an `Origin` equal to this server's own origin or the configured URL, or this process's
      anti-forgery header, which only pages of this origin can read) AND carry a JSON content type
      (which a cross-site page cannot send without a preflight this server refuses): 415 when the
      add-in's own page sends anything else.
    - Routes: the only thing this add-in posts is a script call; any other POST (xlwings-server's
      custom-functions endpoint: this add-in defines no custom function) is 404.
    - Size: bodies over `max_bytes` get 413, by the declared Content-Length and also by counting
      streamed chunks, so a chunked upload without a length cannot get past the limit either.
    - Payload: a script call's body is checked by `payload.read_payload` (400/404/422) before
      xlwings-server parses it, and then passed on unchanged.

    Every refusal is JSON {"code", "detail"} with a catalogue code (xltoolkit/issues.py).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        origins: frozenset[str] = frozenset(),
        scripts_path: str = SCRIPTS_PATH,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.origins = origins
        self.scripts_path = scripts_path

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """Check, read and check again; the app gets the body unchanged only when nothing was refused."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_request(scope, dict(scope.get("headers") or []))
            body = await self._read_body(receive)
            if body is None:  # the client went away
                return
            if scope.get("method") == "POST":
                read_payload(body, scope["path"].removeprefix(self.scripts_path))
        except Refusal as refusal:
            logger.info(
                "refused %s %r: %s (%s)", scope.get("method"), scope.get("path"), refusal.status, refusal.code
            )
            await _answer(send, refusal.status, refusal.body())
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _check_request(self, scope: MutableMapping[str, Any], headers: dict[bytes, bytes]) -> None:
        """Refuse by path, token, origin, content type, route and declared size (nothing read yet)."""
        path = scope.get("path", "")
        if any(seg in ("..", ".") for seg in path.replace("\\", "/").split("/")) or "\x00" in path:
            # xlwings-server 1.20.0 serves the project's static/ folder without checking that the
            # resolved file stays inside it: /static/%2e%2e/... would read any file (the ledger,
            # the returned reports, /etc/passwd). No route of the add-in needs a dot segment.
            raise Refusal(404, "addin-not-found")
        if scope.get("method", "GET") not in _SAFE_METHODS:
            if not _token_ok(headers):
                raise Refusal(401, "addin-token-wrong")
            if not self.genuine(scope, headers):
                raise Refusal(403, "addin-not-genuine")
            content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if content_type != b"application/json":
                found = content_type.decode("latin-1")[:40] or "không có"
                raise Refusal(415, "addin-payload-content-type", found=found)
            if scope.get("method") != "POST" or not path.startswith(self.scripts_path):
                raise Refusal(404, "addin-not-found")
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()

    def genuine(self, scope: MutableMapping[str, Any], headers: dict[bytes, bytes]) -> bool:
        """From the add-in's own pages: its anti-forgery header or its origin (see the class docstring)."""
        given = headers.get(ANTI_FORGERY_HEADER.lower().encode("ascii"))
        if given is not None and hmac.compare_digest(given, anti_forgery_token().encode("ascii")):
            return True
        origin = headers.get(b"origin", b"").decode("latin-1").strip().rstrip("/").lower()
        if not origin or origin == "null":
            return False
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        own = f"{scope.get('scheme', 'https')}://{host}" if host else None
        return origin == own or origin in self.origins

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body (at most max_bytes, else 413); None when the client went away."""
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _too_large(self) -> Refusal:
        """413, by the declared length or by counting: the officer is told the limit."""
        return Refusal(413, "addin-body-too-large", limit_mb=f"{self.max_bytes / (1024 * 1024):.1f}")


def _token_ok(headers: dict[bytes, bytes]) -> bool:
    """The Authorization header equals the configured token (bare or `Bearer <token>`).

    Compared as bytes: the token is checked to be printable ASCII at start (`check_token`), so the
    header bytes a client sends for it are exactly its ASCII encoding.
    """
    expected = config.addin_token()
    if not expected:
        return True
    given = headers.get(b"authorization", b"").strip()
    given = given.removeprefix(b"Bearer ").strip()
    return hmac.compare_digest(given, expected.encode("ascii", "replace"))


def check_token(token: str) -> None:
    """Refuse a token an HTTP header cannot carry unchanged (non-ASCII, spaces, control characters).

    Browsers send header values as Latin-1 or refuse them, so a token with «ă» could never match:
    every request would be refused with 401. Said at start instead.
    """
    if not token:
        return
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise XltoolkitError(
            "addin-token-invalid",
            f"Mã truy cập {TOKEN_ENV} chỉ được gồm chữ cái không dấu, chữ số và ký hiệu (không dấu "
            "tiếng Việt, không khoảng trắng), vì Excel gửi mã trong tiêu đề HTTP. Hãy tạo mã mới, ví dụ "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`.',
        )
    if len(token) < 16:
        raise XltoolkitError("addin-token-weak", f"Mã truy cập {TOKEN_ENV} quá ngắn (cần ít nhất 16 ký tự).")


async def _answer(send: Send, status: int, body: bytes) -> None:
    """A refusal as the Office.js client reads it: JSON whose `detail` its alert shows."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def ensure_xlwings_engines() -> None:
    """Make sure xlwings has its Office.js engines even if it was imported before the license was set.

    xlwings registers the `remote`/`officejs` engines once, at import, only if a license key is
    present then; any module importing xlwings earlier in the process would leave the server unable
    to read a single workbook.
    """
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    names = {e.name for e in xw.engines}
    if "remote" in names and "officejs" in names:
        return
    from xlwings.main import Engine
    from xlwings.pro import _xlofficejs, _xlremote

    for impl in (_xlremote.engine, _xlofficejs.engine):
        if impl.name not in names:
            xw.engines.add(Engine(impl=impl))
    xw.__pro__ = True


def create_app() -> ASGIApp:
    """The xlwings-server ASGI app behind the guard (uvicorn factory; env must be set)."""
    os.environ.setdefault("XLWINGS_PROJECT_DIR", str(ADDIN_DIR))
    if os.environ["XLWINGS_PROJECT_DIR"] != str(ADDIN_DIR):
        raise RuntimeError("XLWINGS_PROJECT_DIR must point at the xltoolkit add-in folder")
    ensure_xlwings_engines()
    from xlwings_server.config import settings
    from xlwings_server.main import app, main_app
    from xlwings_server.templates import env

    _internal_error_answers(app)
    # The task pane page (also the ribbon's function file) carries the anti-forgery token.
    env.globals["xltoolkit_anti_forgery"] = anti_forgery_token()
    env.globals["xltoolkit_anti_forgery_header"] = ANTI_FORGERY_HEADER
    origins = frozenset({f"https://{settings.hostname}".lower()} if settings.hostname else ())
    return Guard(main_app, max_request_bytes(), origins, f"{settings.app_path}{SCRIPTS_PATH}")


def _internal_error_answers(app: Any) -> None:
    """The last resort for a fault outside the scripts: `internal-error`, traceback in the server log.

    Anything wrong with the request itself is refused at the door (`Guard`, `payload.read_payload`)
    with its own code, so what reaches these handlers is a fault of the server: the officer gets the
    catalogue's Vietnamese message (xlwings-server's own handlers would answer in English, with the
    exception's text), the maintainer gets the traceback. xlwings-server's handlers for its
    `XlwingsError` and `XlwingsOperationalError` are replaced too: they answer with the exception text.
    """
    from fastapi.responses import Response
    from xlwings import XlwingsError
    from xlwings_server.object_handles import XlwingsOperationalError

    body = answer_json("internal-error", message("internal-error"))

    async def handler(request: Any, exc: Exception) -> Response:
        logger.error("request %r failed", request.url.path, exc_info=(type(exc), exc, exc.__traceback__))
        return Response(body, status_code=500, media_type="application/json")

    for kind in (XlwingsOperationalError, XlwingsError, Exception):
        app.add_exception_handler(kind, handler)


# ------------------------------------------------------------------------------------------ manifest


def render_manifest(url: str = DEFAULT_URL, *, environment: str = "prod") -> str:
    """The manifest for an add-in served at `url`, rendered from the same template the server uses."""
    from jinja2 import Environment, FileSystemLoader

    base = url.rstrip("/")
    if not base.startswith("https://"):
        raise XltoolkitError(
            "addin-url-not-https", f"Địa chỉ máy chủ phải bắt đầu bằng https:// (Excel yêu cầu HTTPS): {url}"
        )
    env = Environment(loader=FileSystemLoader(ADDIN_DIR / "templates"), autoescape=True)
    settings = SimpleNamespace(
        environment=environment,
        static_url_path="/static",
        functions_namespace="XLTOOLKIT",
        auth_providers=[],
        project_name="xltoolkit",
    )
    manifest_id = MANIFEST_ID_PROD if environment == "prod" else MANIFEST_ID_DEV
    return env.get_template("manifest.xml").render(
        settings=settings, base_url=base, base_url_with_app_path=base, manifest_id=manifest_id
    )


# ------------------------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class ServeConfig:
    host: str
    port: int
    certfile: Path
    keyfile: Path
    workspace: Path
    require_token: bool
    max_bytes: int
    url: str


def find_certs(certs: Path) -> tuple[Path, Path]:
    """The certificate/key pair in `certs` (mkcert's names first); XltoolkitError if none."""
    for cert_name, key_name in CERT_PAIRS:
        if (certs / cert_name).is_file() and (certs / key_name).is_file():
            return certs / cert_name, certs / key_name
    for key in sorted(certs.glob("*-key.pem")):
        cert = key.with_name(key.name.removesuffix("-key.pem") + ".pem")
        if cert.is_file():
            return cert, key
    raise XltoolkitError(
        "addin-certs-missing",
        f"Không tìm thấy chứng chỉ HTTPS trong thư mục {certs} (cần tệp cert.pem và key.pem, "
        "hoặc localhost+2.pem và localhost+2-key.pem do mkcert tạo). Excel chỉ nạp add-in qua HTTPS: "
        "chạy `mkcert -install` rồi `mkcert localhost 127.0.0.1 ::1` trong thư mục đó.",
    )


def server_url(host: str, port: int, url: str | None = None) -> str:
    """The HTTPS base URL officers' Excel reaches this server at (the manifest's and origin check's).

    Given explicitly (`--url`), else localhost for a loopback binding, else the bound address; a
    wildcard binding (0.0.0.0, ::) names no address, so it needs `--url`.
    """
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.path.strip("/") or parts.query:
            raise XltoolkitError(
                "addin-url-not-https",
                f"Địa chỉ máy chủ phải có dạng https://TÊN-MÁY:CỔNG (Excel yêu cầu HTTPS): {url}",
            )
        return f"https://{parts.netloc}".lower()
    if is_loopback(host):
        return f"https://localhost:{port}"
    try:
        unspecified = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        unspecified = False
    if unspecified or not host:
        raise XltoolkitError(
            "addin-url-required",
            f"Máy chủ lắng nghe trên mọi địa chỉ ({host}): hãy cho biết địa chỉ các máy trạm dùng để "
            "truy cập, ví dụ --url https://addin.sldtbxh.longan.gov.vn:8443 (manifest trỏ Excel tới "
            "địa chỉ này).",
        )
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"https://{shown}:{port}".lower()


def prepare_serve(
    host: str,
    port: int,
    certs: Path,
    workspace: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    environ: MutableMapping[str, str] = os.environ,
    *,
    url: str | None = None,
    plan_path: Path | None = None,
) -> ServeConfig:
    """Check the serving options (token, URL, certificates) and configure the environment."""
    token = environ.get(TOKEN_ENV, "")
    check_token(token)
    if not is_loopback(host) and not token:
        raise XltoolkitError(
            "addin-token-required",
            f"Máy chủ add-in mở cho mạng ({host}) phải có mã truy cập: đặt biến môi trường {TOKEN_ENV} "
            '(chuỗi ngẫu nhiên dài, ví dụ `python -c "import secrets; print(secrets.token_urlsafe(32))"`).',
        )
    base = server_url(host, port, url)
    certfile, keyfile = find_certs(certs)
    configure_environment(
        workspace=workspace,
        require_token=bool(token),
        hostname=urlsplit(base).netloc,
        max_bytes=max_bytes,
        plan_path=plan_path,
        environ=environ,
    )
    return ServeConfig(host, port, certfile, keyfile, workspace, bool(token), max_bytes, base)


def serve(config: ServeConfig) -> None:
    """Run uvicorn over HTTPS until interrupted."""
    import uvicorn

    uvicorn.run(
        "xltoolkit.addin.server:create_app",
        factory=True,
        host=config.host,
        port=config.port,
        ssl_certfile=str(config.certfile),
        ssl_keyfile=str(config.keyfile),
        log_level="info",
        proxy_headers=False,
    )
