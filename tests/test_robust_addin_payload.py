"""Hostile payloads to the add-in's script endpoints: never a 500, always a coded answer.

A release tester found that a body which is not what Office.js sends (no `book`, `sheets` not a list,
ragged `values`, a dict in a cell, garbage name addresses, a body that is not JSON …) got HTTP 500
or a generic «lỗi ngoài dự kiến» alert. The property here: whatever a real payload is mutated into,
the answer is never 5xx, a 4xx carries a catalogue code (xltoolkit/issues.py) and no Python exception
text, and a 200 is the scripts' own answer, never an internal fault (nothing logged as an error).
Each test builds its hostile request itself from a payload of a generated template.
"""

from __future__ import annotations

import ast
import copy
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltoolkit.addin import ADDIN_DIR, payload
from xltoolkit.issues import MESSAGES
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename

from .addin_support import SCRIPT_URL, auth_headers, build_payload, make_app
from .conftest import TEMPLATE_YEAR

AGENCY = "h-ben-luc"
SCRIPTS = ("validate_workbook", "target_status", "build_summary")
#: What must never reach the client: a traceback, a file line of one, or an exception class name.
EXCEPTION_TEXT = re.compile(r"Traceback|File \"|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bStopIteration\b")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(make_app(tmp_path_factory.mktemp("payload-ws")), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> dict[str, Any]:
    """What Office.js sends for a district's template (built once; every test copies it)."""
    src = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    path = Path(shutil.copy(src, tmp_path_factory.mktemp("payload") / src.name))
    return build_payload(path)


class _Faults(logging.Handler):
    """Error records of the add-in's logger: a script or the server failing on its own."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def faults_logged() -> Iterator[_Faults]:
    handler = _Faults()
    log = logging.getLogger("xltoolkit.addin")
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)


def post(
    client: TestClient, script: str, body: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = dict(auth_headers())
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(SCRIPT_URL.format(name=script), content=body, headers=headers)


def encode(data: Any) -> bytes:
    """JSON as a client might send it: NaN/Infinity literals and lone surrogates pass through."""
    return json.dumps(data, allow_nan=True).encode("utf-8")


def check_answer(res: httpx.Response, faults: _Faults) -> dict[str, Any]:
    """The property: no 5xx, no exception text; 4xx coded from the catalogue; 200 no internal fault."""
    assert res.status_code < 500, res.text[:500]
    assert not EXCEPTION_TEXT.search(res.text), res.text[:500]
    body = res.json()
    if res.status_code >= 400:
        assert body["code"] in MESSAGES, body
        assert isinstance(body["detail"], str) and body["detail"], body
    else:
        assert res.status_code == 200 and isinstance(body["actions"], list)
        assert not faults.records, [r.getMessage() for r in faults.records]
    return body


# ------------------------------------------------------------------------------------- mutations

#: Values no Office.js payload holds where they are put: wrong types, absurd numbers, nesting,
#: garbage addresses, text a reader could trip on.
# fmt: off
ODD_VALUES = [
    None, True, False, 0, -1, 1, 2**31, 2**63, 10**30, -(10**30), 10**400, -(10**400),
    1.5, -0.0, 1e308, -1e308, float("inf"), float("nan"),
    "", "x", "A1", "A0", "ZZZZ9", "A1:XFD1048577", "Sheet1!A1:B2", "A:A", "1:3", "A1,B2",
    "$A$1", "năm nay", "\x00", "\ud800", "=1+1", "#REF!", "2023-02-31T00:00:00Z",
    "2023-01-01T00:00:00", "1.234,5", "Kết quả kiểm tra", "_meta",
    [], {}, [[]], [[1], [1, 2]], [1, [2, [3]]], {"a": {"b": [1]}}, ["x"], [None],
]
ODD_BODIES = [
    b"", b" ", b"null", b"[]", b"{}", b"0", b'"x"', b"{not json", b"\xff\xfe{}", b"\xef\xbb\xbf{}",
    b'{"book": NaN}', b'{"book": Infinity}', b'{"x": 1e999}', b"[" * 50_000 + b"]" * 50_000,
    b'{"a": "\\ud800"}', b'{"client": "Office.js", "version": "1", "book": {"name": "x"}}',
]
# fmt: on
HOSTILE = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.lists(st.integers() | st.text(max_size=5), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _hostile(draw: Callable[..., Any]) -> Any:
    """A hostile value of its own (sampled values are shared objects: a later mutation must not edit them)."""
    return copy.deepcopy(draw(HOSTILE))


def _mutate_once(draw: Callable[..., Any], root: dict[str, Any]) -> None:
    """Walk down from the root to a random container, then replace, drop, insert or duplicate there."""
    container: Any = root
    while True:
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = container[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            container = child
            continue
        break
    op = draw(st.sampled_from(["replace", "drop", "insert", "duplicate", "truncate"]))
    if not keys or op == "insert":
        if isinstance(container, dict):
            key = draw(st.sampled_from(["extra", "book", "sheets", "names", "args", "values"]))
            container[key] = _hostile(draw)
        else:
            container.insert(draw(st.integers(0, len(container))), _hostile(draw))
    elif op == "replace":
        container[key] = _hostile(draw)
    elif op == "drop":
        del container[key]
    elif op == "duplicate" and isinstance(container, list):
        container.append(copy.deepcopy(container[key]))
    elif op == "truncate" and isinstance(container[key], list):
        del container[key][draw(st.integers(0, len(container[key]))) :]
    else:
        container[key] = _hostile(draw)


@given(data=st.data(), script=st.sampled_from(SCRIPTS))
@FAST
def test_mutated_payloads_never_get_a_server_error(
    client: TestClient, genuine: dict[str, Any], data: st.DataObject, script: str
) -> None:
    mutated = copy.deepcopy(genuine)
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate_once(data.draw, mutated)
    with faults_logged() as faults:
        check_answer(post(client, script, encode(mutated)), faults)


def _cut(genuine: dict[str, Any], at: float) -> bytes:
    body = encode(genuine)
    return body[: int(len(body) * at)]


RAW_BODIES = st.one_of(st.sampled_from(ODD_BODIES), st.binary(max_size=200))


@given(body=RAW_BODIES, script=st.sampled_from(SCRIPTS))
@FAST
def test_unreadable_bodies_never_get_a_server_error(client: TestClient, body: bytes, script: str) -> None:
    with faults_logged() as faults:
        check_answer(post(client, script, body), faults)


@given(at=st.floats(0, 0.999), script=st.sampled_from(SCRIPTS))
@settings(max_examples=10, deadline=None)
def test_cut_off_payloads_are_unreadable(
    client: TestClient, genuine: dict[str, Any], at: float, script: str
) -> None:
    with faults_logged() as faults:
        body = check_answer(post(client, script, _cut(genuine, at)), faults)
    assert body["code"] == "addin-payload-unreadable"


# ------------------------------------------------------------------------------ the worst cases


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting the item at a dotted path (numbers index lists)."""
    *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]

    def apply(p: dict[str, Any]) -> None:
        node: Any = p
        for key in parents:
            node = node[key]
        node[last] = value

    return apply


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]

    def apply(p: dict[str, Any]) -> None:
        node: Any = p
        for key in parents:
            node = node[key]
        del node[last]

    return apply


def _ragged(p: dict[str, Any]) -> None:
    p["sheets"][1]["values"][5].pop()


def _no_scope(p: dict[str, Any]) -> None:
    del p["names"][0]["book_scope"]


def _duplicate_sheet(p: dict[str, Any]) -> None:
    p["sheets"].append(copy.deepcopy(p["sheets"][1]))


SHAPE = "addin-payload-shape"
CELL = "addin-payload-cell"
WORST = {
    "book missing": (_drop("book"), SHAPE),
    "book not an object": (_set("book", [1]), SHAPE),
    "book name a number": (_set("book.name", 5), SHAPE),
    "sheets missing": (_drop("sheets"), SHAPE),
    "sheets not a list": (_set("sheets", {"a": 1}), SHAPE),
    "no sheet at all": (_set("sheets", []), SHAPE),
    "sheet not an object": (_set("sheets.0", "x"), SHAPE),
    "sheet without name": (_drop("sheets.0.name"), SHAPE),
    "two sheets of one name": (_duplicate_sheet, SHAPE),
    "values missing": (_drop("sheets.1.values"), SHAPE),
    "values not a list": (_set("sheets.1.values", "abc"), SHAPE),
    "rows of unequal length": (_ragged, SHAPE),
    "a row not a list": (_set("sheets.1.values.2", "row"), SHAPE),
    "a dict in a cell": (_set("sheets.1.values.10.3", {"a": 1}), CELL),
    "a nested list in a cell": (_set("sheets.1.values.10.3", [1, [2]]), CELL),
    "a number beyond any float": (_set("sheets.1.values.10.3", 10**400), CELL),
    "a date no calendar has": (_set("sheets.1.values.10.3", "2023-02-31T00:00:00Z"), CELL),
    "names missing": (_drop("names"), SHAPE),
    "names not a list": (_set("names", "x"), SHAPE),
    "a name not an object": (_set("names.0", 7), SHAPE),
    "a name without keys": (_set("names.0", {}), SHAPE),
    "a name without scope": (_no_scope, SHAPE),
    "a garbage name address": (_set("names.0.address", "garbage!!"), SHAPE),
    "a name on a sheet that is not there": (_set("names.0.sheet_index", 999), SHAPE),
    "a string sheet index": (_set("names.0.sheet_index", "0"), SHAPE),
    "a garbage used range": (_set("sheets.1.used_range_address", "hello"), SHAPE),
    "a number as used range": (_set("sheets.1.used_range_address", 5), SHAPE),
    "a used range naming its sheet": (_set("sheets.1.used_range_address", "Sheet1!A1:B2"), SHAPE),
    "whole rows with a dollar": (_set("names.0.address", "$1:$3"), SHAPE),
    "negative active sheet": (_set("book.active_sheet_index", -1), SHAPE),
    "absurd active sheet": (_set("book.active_sheet_index", 10**30), SHAPE),
    "active sheet as text": (_set("book.active_sheet_index", "0"), SHAPE),
    "active sheet as a boolean": (_set("book.active_sheet_index", True), SHAPE),
    "client missing": (_drop("client"), SHAPE),
    "version missing": (_drop("version"), SHAPE),
    "args not a list": (_set("args", 5), "addin-payload-args"),
    "too many args": (_set("args", [1, 2, 3]), "addin-payload-args"),
}


@pytest.mark.parametrize("case", list(WORST))
def test_the_worst_payloads_are_named(client: TestClient, genuine: dict[str, Any], case: str) -> None:
    mutate, code = WORST[case]
    p = copy.deepcopy(genuine)
    mutate(p)
    for script in SCRIPTS:
        with faults_logged() as faults:
            res = post(client, script, encode(p))
            body = check_answer(res, faults)
        assert res.status_code == 422 and body["code"] == code, (script, body)


def test_dates_as_office_js_sends_them_pass(client: TestClient, genuine: dict[str, Any]) -> None:
    """Office.js sends a date cell as `Date.toISOString()`; xlwings reads that, so the door lets it in."""
    p = copy.deepcopy(genuine)
    p["sheets"][1]["values"][10][3] = "2026-12-03T09:50:40.000Z"
    assert payload.read_payload(encode(p), "validate_workbook") == p
    p["sheets"][1]["values"][10][3] = "2026-12-03T09:50:40"  # what xlwings cannot read (it cuts the «Z»)
    with pytest.raises(payload.Refusal) as err:
        payload.read_payload(encode(p), "validate_workbook")
    assert (err.value.status, err.value.code) == (422, CELL)


def test_a_cell_fault_names_the_cell(client: TestClient, genuine: dict[str, Any]) -> None:
    p = copy.deepcopy(genuine)
    p["sheets"][1]["values"][10][3] = {"a": 1}
    body = post(client, "validate_workbook", encode(p)).json()
    assert body["code"] == CELL and "D11" in body["detail"] and p["sheets"][1]["name"] in body["detail"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "addin-payload-unreadable"),
        (b"{not json", "addin-payload-unreadable"),
        (b'{"book": "\xff\xfe"}', "addin-payload-unreadable"),
        (b'{"book": NaN}', "addin-payload-unreadable"),
        (b'{"x": 1e999}', "addin-payload-unreadable"),
        (b"[" * 100_000 + b"]" * 100_000, "addin-payload-unreadable"),
        (b'{"a": "\\udc00"}', "addin-payload-unreadable"),
        (b"[]", SHAPE),
        (b'"Office.js"', SHAPE),
    ],
)
def test_unreadable_bodies_are_400_or_422(client: TestClient, body: bytes, code: str) -> None:
    with faults_logged() as faults:
        res = post(client, "validate_workbook", body)
        answer = check_answer(res, faults)
    assert answer["code"] == code and res.status_code == (400 if code.endswith("unreadable") else 422)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_genuine_page_posting_no_json_is_told_so(
    client: TestClient, genuine: dict[str, Any], content_type: str | None
) -> None:
    """The anti-forgery header proves the add-in's page: a wrong content type is then 415, not 403."""
    with faults_logged() as faults:
        res = post(client, "validate_workbook", encode(genuine), content_type)
        body = check_answer(res, faults)
    assert res.status_code == 415 and body["code"] == "addin-payload-content-type"


def test_strings_where_numbers_belong(client: TestClient, genuine: dict[str, Any]) -> None:
    p = copy.deepcopy(genuine) | {"args": ["2024"]}
    with faults_logged() as faults:
        res = post(client, "build_summary", encode(p))
        body = check_answer(res, faults)
    assert res.status_code == 422 and body["code"] == "addin-payload-args"
    for year in (10**30, -3, True):
        res = post(client, "build_summary", encode(copy.deepcopy(genuine) | {"args": [year]}))
        assert res.status_code == 422 and res.json()["code"] == "addin-payload-args", year


def test_an_unknown_script_or_any_other_post_is_not_found(
    client: TestClient, genuine: dict[str, Any]
) -> None:
    for path in (SCRIPT_URL.format(name="no_such_script"), "/xlwings/custom-functions-call", "/"):
        with faults_logged() as faults:
            headers = {**auth_headers(), "Content-Type": "application/json"}
            res = client.post(path, content=encode(genuine), headers=headers)
            body = check_answer(res, faults)
        assert res.status_code == 404 and body["code"] == "addin-not-found", path


def test_a_body_over_the_limit_is_coded(client: TestClient) -> None:
    from .addin_support import TEST_MAX_BYTES

    res = post(client, "validate_workbook", b'{"x": "' + b"a" * TEST_MAX_BYTES + b'"}')
    assert res.status_code == 413 and res.json()["code"] == "addin-body-too-large"


# ------------------------------------------------------------------------------ valid payloads


def test_templates_of_each_kind_pass_the_door(templates_dir: Path, plan: Plan) -> None:
    """What Office.js sends for a template of each kind of agency is let through unchanged."""
    kinds = {a.kind: a for a in plan.agencies}
    assert len(kinds) > 1
    for agency in kinds.values():
        path = templates_dir / template_filename(agency, TEMPLATE_YEAR)
        sent = build_payload(path)
        for script in SCRIPTS:
            assert payload.read_payload(encode(sent), script) == sent


def test_a_genuine_payload_still_runs_and_oversized_claims_keep_their_alert(
    client: TestClient, genuine: dict[str, Any]
) -> None:
    """The door checks the shape only: a whole-column defined name is still `check_request`'s alert."""
    for script in SCRIPTS:
        assert post(client, script, encode(genuine)).status_code == 200
    p = copy.deepcopy(genuine)
    p["names"][0]["address"] = "A:XFD"
    res = post(client, "validate_workbook", encode(p))
    assert res.status_code == 200 and [a["func"] for a in res.json()["actions"]] == ["alert"]
    p = copy.deepcopy(genuine) | {"args": [TEMPLATE_YEAR]}
    assert post(client, "build_summary", encode(p)).status_code == 200


# ---------------------------------------------------------------------------------- last resort


def test_an_internal_fault_is_internal_error_and_logged(
    client: TestClient, genuine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlwings.server

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("sheets")

    monkeypatch.setattr(xlwings.server, "custom_scripts_call", broken)
    with faults_logged() as faults:
        res = post(client, "validate_workbook", encode(genuine))
    assert res.status_code == 500 and res.json()["code"] == "internal-error"
    assert not EXCEPTION_TEXT.search(res.text) and "sheets" not in res.text
    assert faults.records and faults.records[0].exc_info is not None  # the traceback is in the log


# ------------------------------------------------------------------------------------ catalogue

#: A code handed to what builds an answer: Refusal(<status>, "code", …) or answer_json("code", …).
LITERAL = re.compile(r"""\b(?:Refusal\(\s*\d{3},|answer_json\()\s*["']([a-z][a-z0-9-]*)["']""")


def test_every_refusal_code_is_in_the_catalogue() -> None:
    codes: set[str] = set()
    for path in ADDIN_DIR.rglob("*.py"):
        codes |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    assert {"addin-payload-shape", "addin-payload-unreadable", "internal-error"} <= codes  # the scan works
    assert codes <= set(MESSAGES)


def test_the_door_knows_each_script_and_its_arguments() -> None:
    tree = ast.parse((ADDIN_DIR / "custom_scripts.py").read_text(encoding="utf-8"))
    scripts = {
        f.name: tuple(a.arg for a in f.args.args[1:])
        for f in tree.body
        if isinstance(f, ast.AsyncFunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "script" for d in f.decorator_list)
    }
    assert scripts == payload.SCRIPT_ARGS


def test_the_date_text_rule_is_xlwings_own() -> None:
    """The door refuses only the date-like text xlwings itself would fail on (its pattern, copied)."""
    from xltoolkit.addin.server import ensure_xlwings_engines

    ensure_xlwings_engines()  # xlwings.pro needs the license variable set before its import
    from xlwings.pro import _xlremote

    assert _xlremote.datetime_pattern == payload.DATE_PATTERN
