"""The add-in driven by its real client: xlwings' Office.js JavaScript and our ribbon/task pane code
in headless Chromium, against `xltoolkit addin serve` over HTTPS on loopback.

Only Excel itself is stood in for: `Excel`/`Office` are a workbook model (browser_support/
excel_model.js) loaded with a generated template filled with sample values. Everything else is the
shipped code: the served task pane page, xlwings-server's client (getBookData, the POST, runActions,
alerts), our ribbon.js/auth.js, the server and the scripts. The expected outcome comes from the
core functions the CLI calls (`validate_paths`, `consolidate`), compared by codes and cells.

Chromium missing is a failure (not a skip) unless XLTOOLKIT_SKIP_BROWSER=1, like LibreOffice.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import openpyxl
import pytest

from xltoolkit.addin import bridge
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS, assess
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import DATA_SHEET, META_SHEET, RESULT_SHEET, build_layout

from .addin_support import build_payload, fill_by_names
from .browser_support.harness import (
    LAUNCH_ARGS,
    AddinServer,
    Pane,
    Traffic,
    book_data,
    chromium_path,
    make_certs,
    open_pane,
    route_all,
)
from .conftest import TEMPLATE_YEAR
from .test_addin_scripts import AGENCY, FAULTS, clean_values

pytestmark = pytest.mark.browser

TOKEN = "browser-" + secrets.token_urlsafe(18)
RED = bridge.ERROR_FILL.upper()
ARTIFACT = Path("/tmp/work/taskpane.png")


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or chromium_path() is None:
        if os.environ.get("XLTOOLKIT_SKIP_BROWSER") == "1":
            pytest.skip("Chromium or Playwright not installed and XLTOOLKIT_SKIP_BROWSER=1")
        pytest.fail("Debian's chromium and the playwright package are required: run bash scripts/test.sh")
    return sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AddinServer]:
    root = tmp_path_factory.mktemp("addin-browser")
    (root / "workspace").mkdir()
    srv = AddinServer(
        workspace=root / "workspace", certs=make_certs(root / "certs"), token=TOKEN, log=root / "server.log"
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture(scope="module")
def browser(
    playwright_api: Any, server: AddinServer, traffic: Traffic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Debian's Chromium with a fresh profile; every request of every page goes through `traffic`."""
    with playwright_api() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_path(),
            headless=True,
            args=LAUNCH_ARGS,
            ignore_https_errors=True,  # the test's own self-signed certificate
            viewport={"width": 420, "height": 760},
            locale="vi-VN",
        )
        route_all(context, traffic)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def pane_for(browser: Any, server: AddinServer, traffic: Traffic) -> Iterator[Any]:
    """Open a task pane over a workbook file; the officer has typed the token in it."""
    panes: list[Pane] = []

    def open_(path: Path, *, token: str | None = TOKEN) -> Pane:
        pane = open_pane(browser, server.url, book_data(path))
        if token is not None:
            pane.save_token(token)
        panes.append(pane)
        return pane

    yield open_
    for pane in panes:
        assert pane.model("unmodelled") == [], "the client used Excel API members the model lacks"
        pane.page.close()
    assert traffic.outside == [], f"requests left loopback: {traffic.outside}"


@pytest.fixture()
def template(templates_dir: Path, plan: Plan, tmp_path: Path) -> Path:
    src = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    return Path(shutil.copy(src, tmp_path / src.name))


@pytest.fixture()
def faulty(template: Path, plan: Plan) -> Path:
    return fill_by_names(template, clean_values(plan, AGENCY) | FAULTS)


@pytest.fixture()
def clean(template: Path, plan: Plan) -> Path:
    return fill_by_names(template, clean_values(plan, AGENCY))


# ------------------------------------------------------------------------------------------- helpers


def _sheet(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in state["sheets"] if s["name"] == name)


def _split(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert m, ref
    return m.group(1), int(m.group(2))


def _row(sheet: dict[str, Any], row: int, columns: str = "ABCDE") -> tuple[Any, ...]:
    return tuple(sheet["values"].get(f"{c}{row}") for c in columns)


def _result_rows(state: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(severity label, sheet, cell, message, code) rows under the result sheet's header."""
    sheet = _sheet(state, RESULT_SHEET)
    assert _row(sheet, bridge.RESULT_HEADER_ROW) == bridge.RESULT_HEADER
    last = max(_split(ref)[1] for ref in sheet["values"])
    return [_row(sheet, r) for r in range(bridge.RESULT_HEADER_ROW + 1, last + 1)]


def _red(sheets: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(s["name"], ref) for s in sheets for ref, colour in s["fills"].items() if colour == RED}


def check_validate(pane: Pane, path: Path, state: dict[str, Any], plan: Plan) -> None:
    """The workbook after «Kiểm tra» shows what `validate_paths` finds in the same file."""
    issues = validate_paths([path], plan).files[0].issues
    errors = [i for i in issues if i.is_error]
    assert errors, "the sample must have errors to highlight"
    rows = _result_rows(state)
    assert sorted((r[1], r[2], r[4]) for r in rows) == sorted((i.sheet, i.cell, i.code) for i in issues)
    severity = {label: key for key, label in bridge.SEVERITY_LABELS.items()}
    assert sorted((severity[r[0]], r[4]) for r in rows) == sorted((i.severity, i.code) for i in issues)
    verdict = _sheet(state, RESULT_SHEET)["values"]["A1"]
    assert verdict.startswith(f"CÓ {len(errors)} LỖI")
    expected_red = {(i.sheet, i.cell) for i in errors if i.cell and i.sheet != META_SHEET}
    # Red before (the guide's colour legend) stays; what turned red is exactly the failing cells.
    was_red = _red(book_data(path)["sheets"])
    assert _red(state["sheets"]) - was_red == expected_red - was_red
    assert expected_red <= _red(state["sheets"])
    (dialog,) = pane.model("dialogs")
    assert dialog["title"] == "Kết quả kiểm tra" and dialog["mode"] == "critical"
    assert f"Có {len(errors)} lỗi" in dialog["prompt"]


def _normal(value: Any) -> Any:
    if isinstance(value, str) and value.endswith(".000Z"):
        return value.removesuffix(".000Z")
    return value


def check_payload_matches_python_model(sent: dict[str, Any], path: Path) -> None:
    """The real client's request body equals what tests/addin_support.py builds for the same file.

    Every Python-side add-in test relies on that builder; this is where it is held to the client.
    """
    built = build_payload(path)
    assert sent["client"] == "Office.js"
    assert sent["book"]["name"] == built["book"]["name"]
    assert [s["name"] for s in sent["sheets"]] == [s["name"] for s in built["sheets"]]
    for got, want in zip(sent["sheets"], built["sheets"], strict=True):
        assert got["used_range_address"] == want["used_range_address"], got["name"]
        assert [[_normal(v) for v in r] for r in got["values"]] == want["values"], got["name"]
        assert got["visibility"] == want["visibility"], got["name"]
    key = ("name", "sheet_index", "address", "type", "book_scope")
    assert sorted(tuple(n[k] for k in key) for n in sent["names"]) == sorted(
        tuple(n[k] for k in key) for n in built["names"]
    )


# --------------------------------------------------------------------------------- served resources


def test_manifest_urls_resolve_on_the_served_addin(server: AddinServer) -> None:
    with httpx.Client(verify=False, timeout=30) as http:
        res = http.get(f"{server.url}/manifest.xml")
        assert res.status_code == 200
        root = ElementTree.fromstring(res.content)
        urls = {
            el.get("DefaultValue") for el in root.iter() if (el.get("DefaultValue") or "").startswith("http")
        }
        urls |= {el.text.strip() for el in root.iter() if (el.text or "").strip().startswith("https://")}
        assert len(urls) >= 6
        for url in sorted(urls):
            assert url.startswith(f"https://localhost:{server.port}"), url
            local = url.replace("https://localhost:", "https://127.0.0.1:", 1)
            got = http.get(local)
            assert got.status_code == 200, (url, got.status_code)


# ------------------------------------------------------------------------------------------ task pane


def test_task_pane_loads_without_errors_and_saves_the_token(
    pane_for: Any, clean: Path, traffic: Traffic, tmp_path: Path
) -> None:
    pane = pane_for(clean, token=None)
    page = pane.page
    assert pane.console_errors == []
    # Office.js came from the add-in itself (xlwings-server's vendored copy), not from a CDN.
    assert traffic.office_js and all(status == 200 for _, status in traffic.office_js)
    assert page.is_visible("#xltoolkit-token")
    assert page.evaluate("localStorage.getItem('xltoolkit-addin-token')") is None
    pane.save_token(f"  {TOKEN} ")
    assert page.evaluate("localStorage.getItem('xltoolkit-addin-token')") == TOKEN
    assert page.input_value("#xltoolkit-token") == ""
    shot = tmp_path / "taskpane.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5000
    try:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, ARTIFACT)
    except OSError:
        pass  # the copy for a person to look at is a convenience, the artifact is under tmp_path
    assert pane.console_errors == []


def test_a_request_leaving_loopback_is_caught(pane_for: Any, clean: Path, traffic: Traffic) -> None:
    """The guard every page runs under: a request to the internet is refused and recorded."""
    pane = pane_for(clean, token=None)
    cdn = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
    outcome = pane.page.evaluate("(url) => fetch(url).then(() => 'loaded', () => 'refused')", cdn)
    assert outcome == "refused"
    assert traffic.outside == [cdn]
    traffic.outside.clear()  # deliberate: the fixture's own check must not fail on it
    pane.console_errors.clear()


def test_wrong_token_gives_the_vietnamese_alert(pane_for: Any, clean: Path, traffic: Traffic) -> None:
    wrong = "sai-" + "x" * 20
    pane = pane_for(clean, token=wrong)
    pane.press("xltoolkit-validate")
    assert traffic.calls[-1]["headers"]["authorization"] == wrong
    (dialog,) = pane.model("dialogs")
    assert "Mã truy cập không đúng" in dialog["prompt"] and dialog["mode"] == "critical"
    assert pane.model("writes") == []
    # The alert page the client opens resolves on the server.
    with httpx.Client(verify=False, timeout=30) as http:
        assert http.get(dialog["url"]).status_code == 200


# ------------------------------------------------------------------------------------ the three buttons


def test_validate_button_through_the_real_client(
    pane_for: Any, faulty: Path, plan: Plan, traffic: Traffic
) -> None:
    pane = pane_for(faulty)
    state = pane.press("xltoolkit-validate")
    call = traffic.calls[-1]
    assert call["script"] == "validate_workbook"
    assert call["headers"]["authorization"] == TOKEN and call["headers"]["auth-provider"] == "custom"
    check_payload_matches_python_model(call["body"], faulty)
    check_validate(pane, faulty, state, plan)
    assert pane.model("errors") == []
    names = {n: d for n, dn in openpyxl.load_workbook(faulty).defined_names.items() for d in dn.destinations}
    for name in FAULTS:
        sheet, ref = names[name]
        assert _sheet(state, sheet)["fills"].get(ref.replace("$", "")) == RED, name


def test_status_button_through_the_real_client(
    pane_for: Any, clean: Path, plan: Plan, traffic: Traffic
) -> None:
    pane = pane_for(clean)
    state = pane.press("xltoolkit-status", alert=False)
    assert traffic.calls[-1]["script"] == "target_status"
    assert pane.model("errors") == [] and pane.model("dialogs") == []
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    values = validate_paths([clean], plan).files[0].values.set_index("code")["value"]
    data = _sheet(state, DATA_SHEET)
    assert len(lay.measure_rows) == 35
    for code, row in lay.measure_rows.items():
        expected = assess(plan.measure_by_code[code], {TEMPLATE_YEAR: values[code]}, TEMPLATE_YEAR)
        assert data["values"][f"{lay.columns['addin_value']}{row}"] == pytest.approx(values[code]), code
        assert data["values"][f"{lay.columns['addin_status']}{row}"] == expected.label, code
        assert (
            data["fills"][f"{lay.columns['addin_status']}{row}"]
            == bridge.status_fill(expected.status).upper()
        )
        assert data["formats"][f"{lay.columns['addin_value']}{row}"] == "#,##0.00"
    assert "Đã đạt mục tiêu" in {
        data["values"][f"{lay.columns['addin_status']}{r}"] for r in lay.measure_rows.values()
    }


def _blank_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(path)
    return path


def test_summary_button_through_the_real_client(
    pane_for: Any, server: AddinServer, plan: Plan, tmp_path: Path
) -> None:
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.summary.sheets import FIRST_ROW, TABLE_HEADER_ROW
    from xltoolkit.summary.workbook import MEASURES_SHEET

    # The ribbon sends no year: a blank workbook is consolidated for the current reporting year.
    year = bridge.current_reporting_year(plan)
    yplan = plan.for_year(year)  # from 2025 communes report
    agencies = [a.id for a in yplan.districts[:3]]
    generated = generate_templates(plan, year, tmp_path / "t", agencies, secret=None, password=None)
    folder = server.workspace / str(year) / "nhan-ve"
    folder.mkdir(parents=True, exist_ok=True)
    for gen, faults in zip(generated, ({}, {}, FAULTS), strict=True):
        fill_by_names(gen.path, clean_values(yplan, gen.agency, year) | faults, folder / gen.path.name)
    pane = pane_for(_blank_workbook(tmp_path / "tong-hop.xlsx"))
    state = pane.press("xltoolkit-summary")
    assert pane.model("errors") == []
    assert [s["name"] for s in state["sheets"]] == ["Sheet1", MEASURES_SHEET]
    # Expected: the CLI's consolidation of the same files in a workspace of its own.
    mine = tmp_path / "ws"
    shutil.copytree(folder, mine / str(year) / "nhan-ve")
    result = consolidate(mine / str(year) / "nhan-ve", year, plan=plan, workspace=mine)
    sheet = _sheet(state, MEASURES_SHEET)["values"]
    header_cells = sorted((ref for ref in sheet if _split(ref)[1] == TABLE_HEADER_ROW), key=_column_order)
    header = [sheet[ref] for ref in header_cells]
    col = {h: _split(ref)[0] for h, ref in zip(header, header_cells, strict=True)}
    rows = {
        str(sheet[f"A{r}"]): r
        for r in range(FIRST_ROW, FIRST_ROW + len(plan.measures) + 5)
        if sheet.get(f"A{r}") is not None
    }
    assert len(rows) == len(result.measures) == len(plan.measures)
    for m in result.measures:
        r = rows[m.code]
        value = sheet.get(f"{col['Giá trị toàn tỉnh']}{r}")
        assert value == (None if m.value is None else pytest.approx(m.value)), m.code
        assert sheet[f"{col['Đánh giá tiến độ']}{r}"] == STATUS_LABELS[m.status.status], m.code
        assert (
            _sheet(state, MEASURES_SHEET)["fills"][f"{col['Đánh giá tiến độ']}{r}"]
            == bridge.status_fill(m.status.status).upper()
        )
    assert sum(m.value is not None for m in result.measures) > 0
    (dialog,) = pane.model("dialogs")
    assert dialog["title"] == "Lập báo cáo tổng hợp"
    assert f"{len(result.received)}/{len(yplan.agencies)}" in dialog["prompt"]


def _column_order(ref: str) -> tuple[int, str]:
    letters = _split(ref)[0]
    return len(letters), letters


# ------------------------------------------------------------------------------- a deliberate mismatch


def test_a_renamed_key_breaks_the_round_trip(
    pane_for: Any, faulty: Path, plan: Plan, traffic: Traffic
) -> None:
    """The server seeing a key under another name than the client sends must fail the check above."""

    def rename(body: dict[str, Any]) -> dict[str, Any]:
        return body | {
            "sheets": [{("cells" if k == "values" else k): v for k, v in s.items()} for s in body["sheets"]]
        }

    pane = pane_for(faulty)
    traffic.rewrite = rename
    try:
        state = pane.press("xltoolkit-validate")
    finally:
        traffic.rewrite = None
    with pytest.raises(AssertionError):
        check_validate(pane, faulty, state, plan)
    (dialog,) = pane.model("dialogs")
    import json

    from xltoolkit.addin import payload

    sent = json.dumps(rename(traffic.calls[-1]["body"])).encode()
    with pytest.raises(payload.Refusal) as refused:
        payload.read_payload(sent, "validate_workbook")
    assert refused.value.code == "addin-payload-shape"
    assert dialog["prompt"] == refused.value.message  # the 422's detail, shown by the real client
