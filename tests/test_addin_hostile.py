"""Hostile requests to the add-in server (issue 9): claimed ranges, cross-site requests, tokens an
HTTP header cannot carry, a forged Host header, impossible template years. Each test builds the
hostile request itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from xltoolkit import config
from xltoolkit.addin import bridge, server
from xltoolkit.cli.main import main
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.workbook.layout import META_SHEET, RESULT_SHEET
from xltoolkit.workspace import ledger_path, returned_dir

from .addin_support import (
    SCRIPT_URL,
    TEST_TOKEN,
    apply_actions,
    auth_headers,
    build_payload,
    make_app,
    run_script,
    sheet_rows,
)
from .conftest import TEMPLATE_YEAR

AGENCY = "h-ben-luc"
FOREIGN = "https://evil.example"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-workspace")


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(make_app(workspace), raise_server_exceptions=False)


@pytest.fixture()
def template(templates_dir: Path, plan: Plan, tmp_path: Path) -> Path:
    src = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    return Path(shutil.copy(src, tmp_path / src.name))


def _refusal(payload: dict[str, Any], plan: Plan) -> XltoolkitError:
    with pytest.raises(XltoolkitError) as err:
        bridge.check_request(SimpleNamespace(api=payload), plan)  # type: ignore[arg-type]
    return err.value


# ------------------------------------------------------------------------------ 8. claimed ranges


def test_whole_sheet_claim_is_refused_before_allocating(
    client: TestClient, template: Path, plan: Plan
) -> None:
    payload = build_payload(template)
    payload["sheets"][0]["used_range_address"] = "A1:XFD1048576"
    assert len(json.dumps(payload)) < 200_000
    err = _refusal(payload, plan)
    assert err.code == "addin-request-too-large"
    for name in ("validate_workbook", "target_status", "build_summary"):
        res = client.post(SCRIPT_URL.format(name=name), json=payload, headers=auth_headers())
        assert res.status_code == 200, res.text
        actions = res.json()["actions"]
        assert [a["func"] for a in actions] == ["alert"]
        assert actions[0]["args"][0] == err.message


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p["sheets"][0].update(values=[[""]] * 50_000),  # rows beyond the claimed range
        lambda p: p["sheets"][0]["values"][0].extend([""] * 5_000),  # a row wider than any sheet
        lambda p: p["sheets"][0].update(used_range_address="A:XFD"),  # whole columns
        lambda p: p["sheets"][0].update(used_range_address="Sheet1!A1:ZZZZ9"),  # not an address
        lambda p: p["names"].append({"name": "X", "address": "A1:XFD1048576"}),
        lambda p: p.update(sheets=p["sheets"] * 40),  # more sheets than any workbook of the plan
    ],
)
def test_other_oversized_claims_are_refused(damage: Any, template: Path, plan: Plan) -> None:
    payload = build_payload(template)
    damage(payload)
    assert _refusal(payload, plan).code == "addin-request-too-large"


def test_genuine_payloads_pass_the_bounds(template: Path, plan: Plan) -> None:
    bridge.check_request(SimpleNamespace(api=build_payload(template)), plan)  # type: ignore[arg-type]


@given(rows=st.integers(1, 1_048_576), cols=st.integers(1, 16_384))
def test_bounds_follow_the_limits_exactly(plan: Plan, rows: int, cols: int) -> None:
    """Any claimed A1:<col><row> passes iff it is within the plan's limits; none is allocated."""
    limits = bridge.request_limits(plan)
    payload = {
        "names": [],
        "sheets": [
            {"name": "S", "values": [[""]], "used_range_address": f"A1:{get_column_letter(cols)}{rows}"}
        ],
    }
    fits = rows <= limits.rows and cols <= limits.columns and rows * cols <= limits.cells
    if fits:
        bridge.check_request(SimpleNamespace(api=payload), plan)  # type: ignore[arg-type]
    else:
        assert _refusal(payload, plan).code == "addin-request-too-large"


# ---------------------------------------------------------------------------- 9. cross-site requests


@pytest.fixture()
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default server: localhost, no access token."""
    monkeypatch.delenv(config.ADDIN_TOKEN_ENV, raising=False)


@pytest.fixture()
def returned_files(workspace: Path, templates_dir: Path, plan: Plan) -> Path:
    folder = returned_dir(workspace, TEMPLATE_YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    src = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    shutil.copy(src, folder / src.name)
    return folder


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "payload=" + json.dumps({"client": "Office.js"})),
        ("text/plain", None),  # the JSON payload itself, as a simple request's text body
        ("multipart/form-data; boundary=x", None),
    ],
)
def test_cross_site_simple_request_runs_no_script(
    client: TestClient,
    no_token: None,
    returned_files: Path,
    workspace: Path,
    template: Path,
    content_type: str,
    body: str | None,
) -> None:
    payload = build_payload(template) | {"args": [TEMPLATE_YEAR]}
    content = body if body is not None else json.dumps(payload)
    res = client.post(
        SCRIPT_URL.format(name="build_summary"),
        content=content.encode("utf-8"),
        headers={"Content-Type": content_type, "Origin": FOREIGN},
    )
    assert res.status_code == 403, res.text
    assert not ledger_path(workspace).exists()
    assert not list(workspace.glob("archive/**/*.xlsx"))


@pytest.mark.parametrize("origin", [FOREIGN, "null", None, "http://testserver.evil.example"])
def test_json_without_own_origin_or_anti_forgery_is_refused(
    client: TestClient,
    no_token: None,
    returned_files: Path,
    workspace: Path,
    template: Path,
    origin: str | None,
) -> None:
    headers = {"Origin": origin} if origin else {}
    payload = build_payload(template) | {"args": [TEMPLATE_YEAR]}
    res = client.post(SCRIPT_URL.format(name="build_summary"), json=payload, headers=headers)
    assert res.status_code == 403, res.text
    assert not ledger_path(workspace).exists()


def test_wrong_anti_forgery_token_is_refused(client: TestClient, template: Path) -> None:
    headers = {**auth_headers(), server.ANTI_FORGERY_HEADER: "x" * 43, "Origin": FOREIGN}
    res = client.post(
        SCRIPT_URL.format(name="validate_workbook"), json=build_payload(template), headers=headers
    )
    assert res.status_code == 403


def test_the_add_in_own_requests_pass(client: TestClient, template: Path) -> None:
    """What the ribbon sends: its page's anti-forgery header, or at least the server's own Origin."""
    url = SCRIPT_URL.format(name="validate_workbook")
    payload = build_payload(template)
    assert client.post(url, json=payload, headers=auth_headers()).status_code == 200
    own = {"Authorization": TEST_TOKEN, "Auth-Provider": "custom", "Origin": "http://testserver"}
    assert client.post(url, json=payload, headers=own).status_code == 200
    page = client.get("/taskpane.html").text
    assert server.anti_forgery_token() in page and server.ANTI_FORGERY_HEADER in page
    ribbon = client.get("/static/js/ribbon.js").text
    assert "xltoolkit-anti-forgery" in ribbon


def test_a_foreign_page_cannot_preflight_a_json_request(client: TestClient) -> None:
    res = client.options(
        SCRIPT_URL.format(name="build_summary"),
        headers={
            "Origin": FOREIGN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in {k.lower() for k in res.headers}


# ----------------------------------------------------------------------------------- 10. the token


@pytest.mark.parametrize(
    "token", ["mật-khẩu-rất-dài-của-sở-0123", "token with spaces 0123456789", "tok\x00" * 5]
)
def test_a_token_a_header_cannot_carry_is_refused_at_start(tmp_path: Path, token: str) -> None:
    with pytest.raises(XltoolkitError) as err:
        server.prepare_serve("127.0.0.1", 8443, tmp_path, tmp_path, environ={server.TOKEN_ENV: token})
    assert err.value.code == "addin-token-invalid"


def test_cli_refuses_a_non_ascii_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(server.TOKEN_ENV, "mật-khẩu-rất-dài-của-sở-0123")
    res = CliRunner().invoke(main, ["addin", "serve", "--certs", str(tmp_path)])
    assert res.exit_code == 2
    assert "addin-token-invalid" in res.output


def test_token_comparison_on_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "abcdefghijklmnop-0123456789"
    monkeypatch.setenv(server.TOKEN_ENV, token)
    assert server._token_ok({b"authorization": token.encode()})
    assert server._token_ok({b"authorization": b"Bearer " + token.encode()})
    for wrong in (b"", token.encode()[:-1], "mật".encode(), "mật".encode("latin-1", "replace"), b"\xff" * 27):
        assert not server._token_ok({b"authorization": wrong})


# ------------------------------------------------------------------------------ configured URL


def test_network_binding_configures_its_url(tmp_path: Path) -> None:
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    environ = {server.TOKEN_ENV: "a-long-enough-token-0123456789"}
    cfg = server.prepare_serve("10.0.0.5", 8443, tmp_path, tmp_path, environ=environ)
    assert cfg.url == "https://10.0.0.5:8443" and environ["XLWINGS_HOSTNAME"] == "10.0.0.5:8443"
    cfg = server.prepare_serve(
        "0.0.0.0", 8443, tmp_path, tmp_path, environ=environ, url="https://addin.example.vn:8443/"
    )
    assert (
        cfg.url == "https://addin.example.vn:8443" and environ["XLWINGS_HOSTNAME"] == "addin.example.vn:8443"
    )


def test_served_manifest_ignores_the_host_header(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "hostname", "addin.example.vn:8443")
    res = client.get("/manifest.xml", headers={"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert res.status_code == 200
    root = ElementTree.fromstring(res.text.encode("utf-8"))
    urls = [e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")]
    assert urls and all(u.startswith("https://addin.example.vn:8443/") for u in urls), urls


# --------------------------------------------------------------------------- impossible meta year


def _with_meta_year(path: Path, year: Any) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb[META_SHEET]
    row = next(r for r in ws.iter_rows() if r[0].value == "year")
    row[1].value = year
    wb.save(path)
    return path


@pytest.mark.parametrize("year", [99999, 0, -5, "năm nay"])
def test_impossible_meta_year_is_meta_invalid_like_the_cli(
    client: TestClient, template: Path, year: Any
) -> None:
    path = _with_meta_year(template, year)
    cli = CliRunner().invoke(main, ["validate", str(path), "--json"])
    cli_issues = {(i["code"], i["message"]) for f in json.loads(cli.output)["files"] for i in f["issues"]}
    assert "meta-invalid" in {c for c, _ in cli_issues}
    checked = run_script(client, "validate_workbook", path, out=path.with_name("checked.xlsx"))
    rows = sheet_rows(checked.workbook()[RESULT_SHEET])
    header = rows.index(bridge.RESULT_HEADER)
    addin_issues = {(r[4], r[3]) for r in rows[header + 1 :]}
    assert addin_issues == cli_issues
    # «Tính trạng thái» names the same coded problem, not the generic alert.
    res = client.post(
        SCRIPT_URL.format(name="target_status"), json=build_payload(path), headers=auth_headers()
    )
    prompt = apply_actions(path, res.json(), path.with_name("status.xlsx")).alerts[0]["prompt"]
    meta_message = next(m for c, m in cli_issues if c == "meta-invalid")
    assert meta_message in prompt
