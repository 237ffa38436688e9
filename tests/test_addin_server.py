"""The add-in server: manifest, HTTPS serving, access token, request size limit, replayer strictness."""

from __future__ import annotations

import ast
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from xltoolkit.addin import server
from xltoolkit.cli.main import main
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename

from .addin_support import (
    SCRIPT_URL,
    TEST_MAX_BYTES,
    UnmodelledAction,
    apply_actions,
    auth_headers,
    build_payload,
    make_app,
)
from .conftest import TEMPLATE_YEAR

NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "ov": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XLWINGS_DEFAULT_IDS = {
    "0a856eb1-91ab-4f38-b757-23fbe1f73130",
    "4f342d85-3a49-41cb-90a5-37b1f2219040",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    app = make_app(tmp_path_factory.mktemp("workspace"))
    return TestClient(app, raise_server_exceptions=False)


def _scripts_in_module() -> set[str]:
    """Functions decorated with @script in custom_scripts.py (read without importing xlwings.server)."""
    tree = ast.parse((server.ADDIN_DIR / "custom_scripts.py").read_text(encoding="utf-8"))
    return {
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "script" for d in f.decorator_list)
    }


def _check_manifest(text: str, base: str) -> None:
    root = ElementTree.fromstring(text.encode("utf-8"))
    manifest_id = root.findtext("o:Id", namespaces=NS)
    assert manifest_id == server.MANIFEST_ID_PROD
    assert manifest_id not in XLWINGS_DEFAULT_IDS
    buttons = {
        c.get("id"): c.find("ov:Action/ov:FunctionName", NS).text
        for c in root.iter(f"{{{NS['ov']}}}Control")
        if c.find("ov:Action", NS).get(XSI_TYPE) == "ExecuteFunction"
    }
    assert len(buttons) == 3
    strings = {s.get("id"): s.get("DefaultValue") for s in root.iter(f"{{{NS['bt']}}}String")}
    labels = {strings[c.find("ov:Label", NS).get("resid")] for c in root.iter(f"{{{NS['ov']}}}Control")}
    assert {"Kiểm tra", "Tính trạng thái", "Lập báo cáo tổng hợp"} <= labels
    tab = next(root.iter(f"{{{NS['ov']}}}CustomTab"))
    assert strings[tab.find("ov:Label", NS).get("resid")] == "Trẻ em"
    # Each button's function is bound to one script in ribbon.js, and those scripts exist.
    ribbon = (server.ADDIN_DIR / "static" / "js" / "ribbon.js").read_text(encoding="utf-8")
    scripts = _scripts_in_module()
    bound = set()
    for function_name in buttons.values():
        line = next(line for line in ribbon.splitlines() if f'"{function_name}":' in line)
        bound.add(line.split(":")[1].strip().strip('",'))
    assert bound == scripts == {"validate_workbook", "target_status", "build_summary"}
    # Office's limits: ShortString 125 characters, LongString and Description 250.
    for group, limit in (("ShortStrings", 125), ("LongStrings", 250)):
        for el in root.iter(f"{{{NS['bt']}}}{group}"):
            assert all(len(x.get("DefaultValue")) <= limit for x in el), group
    assert len(root.find("o:DisplayName", NS).get("DefaultValue")) <= 125
    assert len(root.find("o:Description", NS).get("DefaultValue")) <= 250
    urls = [e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")]
    assert urls and all(u.startswith(base) for u in urls), urls
    assert all(u.startswith("https://") for u in urls)


def test_manifest_command_writes_wellformed_manifest(tmp_path: Path) -> None:
    out = tmp_path / "manifest.xml"
    res = CliRunner().invoke(
        main, ["addin", "manifest", "-o", str(out), "--url", "https://addin.longan.example:8443"]
    )
    assert res.exit_code == 0, res.output
    _check_manifest(out.read_text(encoding="utf-8"), "https://addin.longan.example:8443")


def test_manifest_command_refuses_http(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main, ["addin", "manifest", "-o", str(tmp_path / "m.xml"), "--url", "http://x:8000"]
    )
    assert res.exit_code == 2
    assert "https://" in res.output
    assert not (tmp_path / "m.xml").exists()


def test_served_manifest_and_health(client: TestClient) -> None:
    assert client.get("/").json() == {"status": "ok"}
    res = client.get("/manifest.xml", headers={"X-Forwarded-Proto": "https"})
    assert res.status_code == 200
    _check_manifest(res.text, "https://")
    root = ElementTree.fromstring(res.text.encode("utf-8"))
    for el in root.iter():
        url = el.get("DefaultValue") or ""
        if url.startswith("https://") and "/static/" in url:
            assert client.get("/static/" + url.split("/static/", 1)[1]).status_code == 200, url
    meta = client.get("/xlwings/custom-scripts-meta.json").json()
    assert {m["function_name"] for m in meta} == {"validate_workbook", "target_status", "build_summary"}


def test_taskpane_and_ribbon_are_ours(client: TestClient) -> None:
    page = client.get("/taskpane.html")
    assert page.status_code == 200
    assert "Mã truy cập" in page.text and "ribbon.js" in page.text
    js = client.get("/static/js/ribbon.js").text
    assert "xltoolkit-validate" in js and "hello-ribbon" not in js


def test_bad_or_missing_token_is_rejected(client: TestClient, templates_dir: Path, plan: Plan) -> None:
    path = templates_dir / template_filename(plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    payload = build_payload(path)
    url = SCRIPT_URL.format(name="validate_workbook")
    for headers in (auth_headers("wrong-token-0123456789"), {}):
        res = client.post(url, json=payload, headers=headers)
        assert res.status_code == 401, res.text
        assert "Mã truy cập không đúng" in res.text


def test_auth_provider_checks_the_token_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line: xlwings-server's `custom` provider (auth/custom) rejects a wrong token itself."""
    import asyncio

    from fastapi import HTTPException

    from xltoolkit.addin.auth.custom import validate_token

    monkeypatch.setenv(server.TOKEN_ENV, "right-token-0123456789")
    assert asyncio.run(validate_token("Bearer right-token-0123456789")).name == "officer"
    for bad in ("", "wrong", "right-token-012345678"):
        with pytest.raises(HTTPException) as err:
            asyncio.run(validate_token(bad))
        assert err.value.status_code == 401


def test_oversized_request_is_rejected_before_parsing(client: TestClient) -> None:
    body = b'{"x": "' + b"a" * (TEST_MAX_BYTES + 10) + b'"}'
    res = client.post(
        SCRIPT_URL.format(name="validate_workbook"),
        content=body,
        headers={**auth_headers(), "Content-Type": "application/json"},
    )
    assert res.status_code == 413
    assert "quá lớn" in res.text


def test_oversized_chunked_request_is_rejected(client: TestClient) -> None:
    def chunks():
        for _ in range(3):
            yield b"a" * (TEST_MAX_BYTES // 2)

    res = client.post(
        SCRIPT_URL.format(name="validate_workbook"),
        content=chunks(),
        headers={**auth_headers(), "Content-Type": "application/json"},
    )
    assert res.status_code == 413


def test_replayer_fails_loudly_on_unknown_action(tmp_path: Path, templates_dir: Path, plan: Plan) -> None:
    path = templates_dir / template_filename(plan.agency("so-tp"), TEMPLATE_YEAR)
    action = {"func": "addChart", "args": [], "values": None, "sheet_position": 0}
    with pytest.raises(UnmodelledAction):
        apply_actions(path, {"actions": [action]}, tmp_path / "out.xlsx")


# --------------------------------------------------------------------------------------- serving


def test_public_bind_without_token_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(server.TOKEN_ENV, raising=False)
    res = CliRunner().invoke(main, ["addin", "serve", "--host", "0.0.0.0", "--certs", str(tmp_path)])
    assert res.exit_code == 2
    assert server.TOKEN_ENV in res.output


def test_public_bind_with_short_token_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(server.TOKEN_ENV, "short")
    with pytest.raises(server.XltoolkitError) as err:
        server.prepare_serve("10.0.0.5", 8443, tmp_path, tmp_path, environ={server.TOKEN_ENV: "short"})
    assert err.value.code == "addin-token-weak"


def test_missing_certificates_explain_mkcert(tmp_path: Path) -> None:
    with pytest.raises(server.XltoolkitError) as err:
        server.prepare_serve("127.0.0.1", 8443, tmp_path, tmp_path, environ={})
    assert err.value.code == "addin-certs-missing"
    assert "mkcert" in err.value.message


def test_loopback_detection() -> None:
    assert server.is_loopback("127.0.0.1") and server.is_loopback("localhost") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.168.1.10")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """The browser harness's self-signed pair (one recipe for both suites)."""
    from .browser_support.harness import make_certs

    made = make_certs(folder)
    return made / "cert.pem", made / "key.pem"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_over_https_and_answers(tmp_path: Path, templates_dir: Path, plan: Plan) -> None:
    cert, _ = _self_signed(tmp_path / "certs")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    env[server.TOKEN_ENV] = token = "served-token-0123456789abcdef"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xltoolkit",
            "addin",
            "serve",
            "--port",
            str(port),
            "--certs",
            str(tmp_path / "certs"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"https://127.0.0.1:{port}"
        ctx = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("server exited: " + proc.stdout.read().decode(errors="replace"))
            try:
                health = httpx.get(f"{base}/", verify=ctx, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None and health.json() == {"status": "ok"}
        manifest = httpx.get(f"{base}/manifest.xml", verify=ctx, timeout=5)
        assert manifest.status_code == 200
        _check_manifest(manifest.text, f"https://localhost:{port}")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)  # plain HTTP is not served
        # A token in the environment protects the script calls of the real server too.
        payload = build_payload(templates_dir / template_filename(plan.agency("so-tp"), TEMPLATE_YEAR))
        url = f"{base}{SCRIPT_URL.format(name='validate_workbook')}"
        assert httpx.post(url, json=payload, verify=ctx, timeout=10).status_code == 401
        # Another process's anti-forgery token: only the Origin of the configured URL makes it genuine.
        refused = httpx.post(url, json=payload, headers=auth_headers(token), verify=ctx, timeout=30)
        assert refused.status_code == 403, refused.text
        headers = {**auth_headers(token), "Origin": f"https://localhost:{port}"}
        ok = httpx.post(url, json=payload, headers=headers, verify=ctx, timeout=30)
        assert ok.status_code == 200, ok.text
        assert any(a["func"] == "alert" for a in ok.json()["actions"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_unreadable_payload_answers_in_vietnamese(client: TestClient) -> None:
    url = SCRIPT_URL.format(name="validate_workbook")
    headers = {**auth_headers(), "Content-Type": "application/json"}
    res = client.post(url, content=b"{not json", headers=headers)
    assert res.status_code == 400 and res.json()["code"] == "addin-payload-unreadable"
    assert "Traceback" not in res.text
    # Parsable but not what Office.js sends: refused at the door, before any script runs.
    res = client.post(
        url, json={"client": "Office.js", "version": "0", "book": {"name": "x"}}, headers=headers
    )
    assert res.status_code == 422 and res.json()["code"] == "addin-payload-shape"


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2fcustom_scripts.py",
        "/static/%2e%2e/%2e%2e/errors.py",
        "/static/" + "%2e%2e%2f" * 12 + "etc%2fpasswd",
        "/static/js/.%2f..%2f..%2fserver.py",
    ],
)
def test_static_files_cannot_escape_their_folder(client: TestClient, path: str) -> None:
    """xlwings-server's project static override resolves '..' outside static/ (arbitrary file read)."""
    res = client.get(path)
    assert res.status_code == 404
    assert "root:" not in res.text and "import" not in res.text


def test_static_files_still_served(client: TestClient) -> None:
    assert client.get("/static/js/auth.js").status_code == 200  # ours
    assert client.get("/static/js/config.js").status_code == 200  # xlwings-server's
