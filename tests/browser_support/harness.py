"""Drive the served add-in in headless Chromium with its real client against a modelled workbook.

Three pieces, used by tests/test_addin_browser.py:

- `make_certs` / `AddinServer`: `python -m xltoolkit addin serve` as a subprocess over HTTPS on
  loopback, with a self-signed certificate made here and an access token.
- `book_data`: a generated template (an .xlsx) as the data the Excel model (`excel_model.js`)
  starts from: values from A1 to the last used cell, fills, number formats, protection, names.
- `Browser` / `Pane`: Chromium (Debian's package, through Playwright with the system browser) with
  every request routed through a recorder that refuses anything leaving loopback, the vendored
  office.js fetched from the add-in (so it must be served) and then replaced by the model, and the
  script calls recorded (body and headers) so the tests can compare what the real client sent.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openpyxl
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MODEL_JS = HERE / "excel_model.js"
CHROMIUM_ENV = "XLTOOLKIT_CHROMIUM"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
OFFICE_JS_PATH = "/static/vendor/office-js/"
SCRIPT_CALL = "/xlwings/custom-scripts-call/"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def chromium_path() -> str | None:
    """The system Chromium (never a browser Playwright would download)."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None)


# ------------------------------------------------------------------------------------------- server


def make_certs(folder: Path) -> Path:
    """A self-signed certificate for localhost / 127.0.0.1 (cert.pem, key.pem) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        key_file, cert_file = str(folder / "key.pem"), str(folder / "cert.pem")
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
                *("-nodes", "-keyout", key_file, "-out", cert_file, "-days", "2", "-subj", "/CN=localhost"),
                *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )
        return folder
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AddinServer:
    """`xltoolkit addin serve` in a subprocess; `stop()` ends exactly that process."""

    workspace: Path
    certs: Path
    token: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
        env |= {"XLTOOLKIT_ADDIN_TOKEN": self.token, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        env.pop("XLTOOLKIT_PLAN", None)
        cmd = [sys.executable, "-m", "xltoolkit", "addin", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--certs", str(self.certs), "--workspace", str(self.workspace)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                cmd, env=env, cwd=self.workspace, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"add-in server exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"add-in server did not start: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------------------------ workbook data


def _model_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value - EXCEL_EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return (dt.datetime(value.year, value.month, value.day) - EXCEL_EPOCH).days
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return "" if value is None else value


def book_data(path: Path, *, active_sheet: int = 0) -> dict[str, Any]:
    """The workbook at `path` as the Excel model's starting state (what Excel would hold).

    Values are the cached results (`data_only`), as Excel hands them to the client; styles and
    protection come from the same file.
    """
    wb = openpyxl.load_workbook(path, data_only=True)
    positions = {ws.title: i for i, ws in enumerate(wb.worksheets)}
    sheets = []
    for ws in wb.worksheets:
        values, fills, formats, unlocked = [], {}, {}, []
        for row in ws.iter_rows():
            values.append([_model_value(c.value) for c in row])
            for c in row:
                ref = f"{get_column_letter(c.column)}{c.row}"
                if c.fill is not None and c.fill.fill_type == "solid" and isinstance(c.fill.fgColor.rgb, str):
                    fills[ref] = "#" + c.fill.fgColor.rgb[-6:].upper()
                if c.number_format and c.number_format != "General":
                    formats[ref] = c.number_format
                if c.protection is not None and not c.protection.locked:
                    unlocked.append(ref)
        sheets.append(
            {
                "name": ws.title,
                "visibility": {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}[
                    ws.sheet_state
                ],
                "values": values,
                "fills": fills,
                "number_formats": formats,
                "protected": bool(ws.protection.sheet),
                # openpyxl: formatCells=True means formatting is *protected*.
                "format_cells_allowed": not (ws.protection.sheet and ws.protection.formatCells),
                "unlocked": unlocked,
            }
        )
    names = []
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        sheet, ref = dests[0] if len(dests) == 1 else (None, None)
        names.append(
            {
                "name": name,
                "formula": f"={dn.attr_text}",
                "sheet": sheet if sheet in positions else None,
                "address": ref.replace("$", "") if ref else None,
            }
        )
    return {
        "name": path.name,
        "active_sheet_index": active_sheet,
        "sheets": sheets,
        "names": names,
        "structure_locked": bool(wb.security is not None and wb.security.lockStructure),
    }


# ------------------------------------------------------------------------------------------ browser


@dataclass
class Traffic:
    """Every request the pages made, what left loopback, and the script calls' bodies and headers."""

    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    office_js: list[tuple[str, int]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: Rewrites the body of a script call before it reaches the server (the mismatch test).
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def route_all(context: Any, traffic: Traffic) -> None:
    """Record every request; abort anything leaving loopback; replace office.js by the model."""

    def handle(route: Any) -> None:
        request = route.request
        url = request.url
        traffic.requests.append(url)
        if not _is_loopback_url(url):
            traffic.outside.append(url)
            route.abort("blockedbyclient")
            return
        path = urlsplit(url).path
        if path.startswith(OFFICE_JS_PATH):
            # The add-in must serve Microsoft's office.js itself (no CDN); the model replaces it
            # after that is checked, so Office/Excel stay the model's.
            response = route.fetch()
            traffic.office_js.append((url, response.status))
            route.fulfill(
                status=200,
                content_type="application/javascript",
                body="/* office.js served by the add-in, replaced by tests/browser_support/excel_model.js */",
            )
            return
        if path.startswith(SCRIPT_CALL) and request.method == "POST":
            body = json.loads(request.post_data or "{}")
            traffic.calls.append(
                {"script": path[len(SCRIPT_CALL) :], "body": body, "headers": request.headers}
            )
            if traffic.rewrite is not None:
                route.continue_(post_data=json.dumps(traffic.rewrite(body)))
                return
        route.continue_()

    context.route("**/*", handle)


@dataclass
class Pane:
    """One task pane page (also the ribbon's function file) over one modelled workbook."""

    page: Any
    console_errors: list[str]

    def press(self, function_name: str, *, alert: bool = True, timeout: float = 60_000) -> dict[str, Any]:
        """Press a ribbon button like Office does; wait for its alert; return the workbook model."""
        before = self.page.evaluate("window.__xlt.dialogs.length")
        self.page.evaluate("(name) => window.__xlt.press(name)", function_name)
        if alert:
            self.page.wait_for_function(f"window.__xlt.dialogs.length > {before}", timeout=timeout)
        return self.state()

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate("window.__xlt.dump()"))

    def model(self, key: str) -> Any:
        return self.page.evaluate(f"window.__xlt.{key}")

    def save_token(self, token: str) -> None:
        """Type the token in the task pane and press «Lưu mã», as the officer does."""
        self.page.fill("#xltoolkit-token", token)
        self.page.click("#xltoolkit-token-save")
        self.page.wait_for_selector("#xltoolkit-token-saved:not(.d-none)")


def open_pane(context: Any, url: str, book: dict[str, Any]) -> Pane:
    """Open the served task pane with the Excel model (holding `book`) in place of Office.js."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.add_init_script(script=f"window.__XLT_BOOK__ = {json.dumps(book)};\n" + MODEL_JS.read_text("utf-8"))
    page.goto(f"{url}/taskpane.html", wait_until="load")
    page.wait_for_function(
        "window.xlwings && window.__xlt && ['xltoolkit-validate','xltoolkit-status','xltoolkit-summary']"
        ".every((n) => n in window.__xlt.associated)"
    )
    return Pane(page, errors)


def copy_to(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, dest))
