"""The ribbon scripts end to end without Excel: a real template filled by defined name, the payload
Office.js would send, the server in-process, the actions applied back; assertions on what the
officer sees (red cells, the result sheet, the status columns, the summary table, alerts)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from xltoolkit.addin import bridge
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS, assess
from xltoolkit.template.render import template_filename
from xltoolkit.validation.validate import validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, RESULT_SHEET, build_layout

from .addin_support import (
    SCRIPT_URL,
    apply_actions,
    auth_headers,
    build_payload,
    fill_by_names,
    fill_hex,
    make_app,
    run_script,
    sheet_rows,
)
from .conftest import TEMPLATE_YEAR
from .corpus import consistent

AGENCY = "h-ben-luc"
RED = bridge.ERROR_FILL.lstrip("#")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("addin-ws")


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(make_app(workspace), raise_server_exceptions=False)


def clean_values(plan: Plan, agency_id: str, year: int = TEMPLATE_YEAR) -> dict[str, Any]:
    """Inputs that pass every check: each rate at the year's milestone target."""
    agency = plan.agency(agency_id)
    vals: dict[str, Any] = {}
    for m in plan.measures_for(agency):
        _, t = m.milestone(year)
        t = 50.0 if t is None else t
        den = 2000
        if m.denominator:
            num = round(t * den / m.scale)
            vals[f"MAU_{m.code}"] = den
            vals[f"TU_{m.code}"] = min(num, den) if m.proportion else num
        else:
            vals[f"TU_{m.code}"] = round(t)
        vals[f"NGUON_{m.code}"] = "Sổ sách thống kê"
    for i, _ in enumerate(plan.tasks_for(agency), start=1):
        vals[f"NV_{i}"] = "Đã hoàn thành"
    vals |= {"KP_NSNN": 120.5, "KP_HUYDONG": 30, "NGUOI_LAP": "Nguyễn Văn An", "DIEN_THOAI": "0272 3123456"}
    return consistent(plan, agency_id, vals)  # one value per shared base figure, rules holding


#: Faults an officer makes: a count typed with a thousands dot, a numerator above its denominator,
#: a negative denominator.
FAULTS = {"TU_1": "1.234", "TU_3a": 2500, "MAU_4a": -5}


@pytest.fixture()
def template(templates_dir: Path, plan: Plan, tmp_path: Path) -> Path:
    src = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    return Path(shutil.copy(src, tmp_path / src.name))


@pytest.fixture()
def clean(template: Path, plan: Plan) -> Path:
    return fill_by_names(template, clean_values(plan, AGENCY))


@pytest.fixture()
def faulty(template: Path, plan: Plan) -> Path:
    return fill_by_names(template, clean_values(plan, AGENCY) | FAULTS)


def _result_issues(wb: openpyxl.Workbook) -> list[tuple[Any, ...]]:
    """(severity label, sheet, cell, message, code) rows of the result sheet's table."""
    rows = sheet_rows(wb[RESULT_SHEET])
    header = rows.index(bridge.RESULT_HEADER)
    return rows[header + 1 :]


def _input_cells(plan: Plan) -> list[tuple[str, str]]:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    return [(i.sheet, i.ref) for i in lay.inputs]


# ------------------------------------------------------------------------------------------ Kiểm tra


def test_validate_clean_workbook_says_no_errors(client: TestClient, clean: Path, plan: Plan) -> None:
    replay = run_script(client, "validate_workbook", clean)
    wb = replay.workbook()
    assert str(wb[RESULT_SHEET]["A1"].value).startswith("KHÔNG CÓ LỖI")
    assert _result_issues(wb) == []
    assert not [c for c in _input_cells(plan) if fill_hex(wb[c[0]][c[1]]) == RED]
    assert [(a["title"], a["mode"]) for a in replay.alerts] == [("Kết quả kiểm tra", "info")]
    assert replay.alerts[0]["prompt"].startswith("Không có lỗi")


def test_validate_faulty_workbook_highlights_and_lists_issues(
    client: TestClient, faulty: Path, plan: Plan
) -> None:
    expected = validate_workbook(faulty, plan).files[0].issues
    assert any(i.is_error for i in expected)
    replay = run_script(client, "validate_workbook", faulty)
    wb = replay.workbook()
    listed = _result_issues(wb)
    assert sorted((r[1], r[2], r[4]) for r in listed) == sorted((i.sheet, i.cell, i.code) for i in expected)
    assert str(wb[RESULT_SHEET]["A1"].value).startswith(f"CÓ {sum(i.is_error for i in expected)} LỖI")
    for i in expected:
        if i.is_error and i.cell:
            assert fill_hex(wb[i.sheet][i.cell]) == RED, (i.code, i.cell)
    names = {n: d for n, dn in wb.defined_names.items() for d in dn.destinations}
    for name in FAULTS:
        sheet, ref = names[name]
        assert fill_hex(wb[sheet][ref.replace("$", "")]) == RED, name
    # Nothing else turned red.
    red = {(s, r) for s, r in _input_cells(plan) if fill_hex(wb[s][r]) == RED}
    assert red == {(i.sheet, i.cell) for i in expected if i.is_error and i.cell}
    assert "lỗi" in replay.alerts[0]["prompt"] and replay.alerts[0]["mode"] == "critical"


def test_validate_again_after_fixing_clears_old_highlights(
    client: TestClient, faulty: Path, plan: Plan, tmp_path: Path
) -> None:
    run_script(client, "validate_workbook", faulty)
    fixed = fill_by_names(faulty, {k: clean_values(plan, AGENCY)[k] for k in FAULTS}, tmp_path / "fixed.xlsx")
    replay = run_script(client, "validate_workbook", fixed)
    wb = replay.workbook()
    assert str(wb[RESULT_SHEET]["A1"].value).startswith("KHÔNG CÓ LỖI")
    assert _result_issues(wb) == []
    assert not [c for c in _input_cells(plan) if fill_hex(wb[c[0]][c[1]]) is not None]


def test_validate_restores_the_fill_of_a_locked_cell(client: TestClient, clean: Path, plan: Plan) -> None:
    """A highlight on a locked (grey) cell from an earlier run is undone to the template's grey."""
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    ref = f"{lay.columns['value']}{lay.measure_rows['1']}"
    wb = openpyxl.load_workbook(clean)
    ws = wb[RESULT_SHEET]
    for j, h in enumerate(bridge.RESULT_HEADER, start=1):
        ws.cell(row=bridge.RESULT_HEADER_ROW, column=j, value=h)
    ws.cell(row=bridge.RESULT_HEADER_ROW + 1, column=1, value="Lỗi")
    ws.cell(row=bridge.RESULT_HEADER_ROW + 1, column=2, value=DATA_SHEET)
    ws.cell(row=bridge.RESULT_HEADER_ROW + 1, column=3, value=ref)
    wb[DATA_SHEET][ref].fill = openpyxl.styles.PatternFill("solid", fgColor=RED)
    wb.save(clean)
    wb = run_script(client, "validate_workbook", clean).workbook()
    assert fill_hex(wb[DATA_SHEET][ref]) == "F2F2F2"


def test_validate_non_template_alerts_in_vietnamese(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "khac.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Bảng tính khác"
    wb.save(path)
    replay = run_script(client, "validate_workbook", path)
    assert [a["func"] for a in replay.actions] == ["alert"]  # nothing written into someone else's file
    prompt = replay.alerts[0]["prompt"]
    assert replay.alerts[0]["mode"] == "critical"
    assert (
        prompt.startswith("Có ")
        and "lỗi (ô tô đỏ)" in prompt
        and "không có trang «Kết quả kiểm tra»" in prompt
    )


def test_unexpected_failure_is_an_alert_not_a_traceback(
    client: TestClient, clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(bridge, "current_plan", boom)
    res = client.post(
        SCRIPT_URL.format(name="validate_workbook"), json=build_payload(clean), headers=auth_headers()
    )
    assert res.status_code == 200
    actions = res.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    prompt = actions[0]["args"][0]
    assert "lỗi ngoài dự kiến" in prompt and "database" not in prompt and "Traceback" not in prompt


# ---------------------------------------------------------------------------------- Tính trạng thái


def _status_cells(wb: openpyxl.Workbook, plan: Plan) -> dict[str, tuple[Any, Any]]:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    ws = wb[DATA_SHEET]
    return {
        code: (
            ws[f"{lay.columns['addin_value']}{row}"].value,
            ws[f"{lay.columns['addin_status']}{row}"].value,
        )
        for code, row in lay.measure_rows.items()
    }


def test_status_on_clean_template(client: TestClient, clean: Path, plan: Plan) -> None:
    replay = run_script(client, "target_status", clean)
    cells = _status_cells(replay.workbook(), plan)
    values = validate_workbook(clean, plan).files[0].values.set_index("code")["value"]
    assert len(cells) == 35
    for code, (value, label) in cells.items():
        assert value == pytest.approx(values[code]), code
        expected = assess(plan.measure_by_code[code], {TEMPLATE_YEAR: values[code]}, TEMPLATE_YEAR)
        assert label == expected.label, code
    assert set(label for _, label in cells.values()) <= set(STATUS_LABELS.values())
    assert "Đã đạt mục tiêu" in {label for _, label in cells.values()}
    assert replay.alerts == []


def test_status_marks_measures_with_errors(client: TestClient, faulty: Path, plan: Plan) -> None:
    cells = _status_cells(run_script(client, "target_status", faulty).workbook(), plan)
    assert cells["3a"][0] is None and "lỗi" in cells["3a"][1]
    assert cells["2"][1] in STATUS_LABELS.values()


def test_status_writes_only_the_two_unlocked_columns(client: TestClient, clean: Path, plan: Plan) -> None:
    res = client.post(
        SCRIPT_URL.format(name="target_status"), json=build_payload(clean), headers=auth_headers()
    )
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    first_col = ord(lay.columns["addin_value"]) - ord("A")
    for a in res.json()["actions"]:
        assert a["func"] in {"setValues", "setRangeColors", "setNumberFormat"}
        # from the first row below the measure table's header (0-based), never over the base figures
        assert a["start_column"] == first_col and a["start_row"] == lay.header_row
    # The replayer enforces protection: writing a locked cell would have raised.
    apply_actions(clean, res.json())


def test_current_reporting_year(plan: Plan) -> None:
    assert bridge.current_reporting_year(plan, date(2026, 12, 1)) == 2026
    assert bridge.current_reporting_year(plan, date(2027, 3, 1)) == 2026
    assert bridge.current_reporting_year(plan, date(2040, 3, 1)) == plan.period[1]


# ------------------------------------------------------------------------------ Lập báo cáo tổng hợp


@pytest.fixture(scope="module")
def returned(client: TestClient, workspace: Path, templates_dir: Path, plan: Plan) -> Path:
    """Two districts' clean reports and one faulty one on the server (its workspace is set by `client`)."""
    folder = bridge.returned_folder(TEMPLATE_YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    for agency_id, faults in (("h-ben-luc", {}), ("h-duc-hoa", {}), ("h-can-giuoc", FAULTS)):
        src = templates_dir / template_filename(plan.agency(agency_id), TEMPLATE_YEAR)
        fill_by_names(src, clean_values(plan, agency_id) | faults, folder / src.name)
    return folder


def _blank(tmp_path: Path) -> Path:
    path = tmp_path / "tong-hop.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(path)
    return path


def _summary(client: TestClient, path: Path, year: int = TEMPLATE_YEAR):
    payload = build_payload(path) | {"args": [year]}
    res = client.post(SCRIPT_URL.format(name="build_summary"), json=payload, headers=auth_headers())
    assert res.status_code == 200, res.text
    return apply_actions(path, res.json())


def _measure_table(ws) -> dict[str, dict[str, Any]]:
    from xltoolkit.summary.sheets import TABLE_HEADER_ROW

    rows = list(ws.iter_rows(min_row=TABLE_HEADER_ROW, values_only=True))
    header = rows[0]
    return {str(r[0]): dict(zip(header, r, strict=False)) for r in rows[1:] if r[0] is not None}


def test_summary_matches_cli_consolidate(
    client: TestClient, returned: Path, workspace: Path, plan: Plan, tmp_path: Path
) -> None:
    from xltoolkit.cli.main import main
    from xltoolkit.summary.workbook import MEASURES_SHEET

    replay = _summary(client, _blank(tmp_path))
    wb = replay.workbook()
    assert MEASURES_SHEET in wb.sheetnames
    table = _measure_table(wb[MEASURES_SHEET])
    res = CliRunner().invoke(
        main,
        ["consolidate", str(returned), "--year", str(TEMPLATE_YEAR), "--workspace", str(workspace), "--json"],
    )
    assert res.exit_code == 0, res.output
    cli = json.loads(res.output)
    assert len(table) == len(cli["measures"]) == len(plan.measures)
    from xltoolkit.summary.workbook import measure_columns

    header = {c.key: c.header for c in measure_columns(plan.for_year(TEMPLATE_YEAR), [])}
    for m in cli["measures"]:
        row = table[m["code"]]
        for key in ("value", "district_aggregate", "department_value", "target"):
            assert row[header[key]] == (None if m[key] is None else pytest.approx(m[key])), (m["code"], key)
        assert row[header["districts_used"]] == len(m["districts_used"])
        assert row["Đánh giá tiến độ"] == STATUS_LABELS[m["status"]]
    assert sum(1 for m in cli["measures"] if m["value"] is not None) > 0
    # «Tính trạng thái» on the sheet the add-in just wrote recomputes the same statuses.
    refreshed = _measure_table(run_script(client, "target_status", replay.path).workbook()[MEASURES_SHEET])
    assert {c: r["Đánh giá tiến độ"] for c, r in refreshed.items()} == {
        c: r["Đánh giá tiến độ"] for c, r in table.items()
    }
    prompt = replay.alerts[0]["prompt"]
    assert cli["summary_path"] in prompt
    # Issue 11: the report document (Word) is drafted beside the summary, and the officer is told.
    report = Path(cli["summary_path"]).parent / f"bao-cao-{TEMPLATE_YEAR}.docx"
    assert report.exists() and str(report) in prompt
    assert f"{len(cli['received'])}/{len(plan.agencies)}" in prompt
    assert Path(cli["summary_path"]).is_file()


def test_summary_refuses_to_write_into_a_template(client: TestClient, clean: Path, returned: Path) -> None:
    replay = _summary(client, clean)
    assert [a["func"] for a in replay.actions] == ["alert"]
    assert "sổ tính mới" in replay.alerts[0]["prompt"]


def test_status_refresh_on_summary_workbook(
    client: TestClient, returned: Path, workspace: Path, plan: Plan
) -> None:
    from xltoolkit.consolidation.intake import consolidate, default_output
    from xltoolkit.summary.workbook import MEASURES_SHEET

    result = consolidate(returned, TEMPLATE_YEAR, plan=plan, workspace=workspace)
    path = default_output(workspace, TEMPLATE_YEAR)
    local = Path(shutil.copy(path, workspace / "copy-of-summary.xlsx"))
    replay = run_script(client, "target_status", local)
    table = _measure_table(replay.workbook()[MEASURES_SHEET])
    for m in result.measures:
        assert table[m.code]["Đánh giá tiến độ"] == m.status.label, m.code


@pytest.mark.parametrize("kind", ["clean", "faulty"])
def test_validate_parity_with_cli_json(client: TestClient, request: pytest.FixtureRequest, kind: str) -> None:
    """Same workbook, same issues (code, severity, sheet, cell, message) as `xltoolkit validate --json`."""
    from xltoolkit.cli.main import main

    path: Path = request.getfixturevalue(kind)
    res = CliRunner().invoke(main, ["validate", "--json", str(path)])
    assert res.exit_code == (0 if kind == "clean" else 1), res.output
    cli = json.loads(res.output)["files"][0]["issues"]
    severity = {v: k for k, v in bridge.SEVERITY_LABELS.items()}
    addin = _result_issues(run_script(client, "validate_workbook", path).workbook())
    got = sorted((code, severity[sev], sheet, cell, msg) for sev, sheet, cell, msg, code in addin)
    want = sorted((i["code"], i["severity"], i["sheet"], i["cell"], i["message"]) for i in cli)
    assert got == want
    if kind == "faulty":
        assert {"number-as-text", "numerator-exceeds-denominator", "negative-value"} <= {w[0] for w in want}


def test_status_uses_the_ledger_history_of_the_workspace(
    client: TestClient, returned: Path, workspace: Path, plan: Plan, tmp_path: Path
) -> None:
    """A 2027 template is judged on its own 2027 value plus its 2026 value accepted in the ledger."""
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.template.render import generate_templates

    consolidate(returned, TEMPLATE_YEAR, plan=plan, workspace=workspace)
    year = TEMPLATE_YEAR + 1
    (gen,) = generate_templates(plan, year, tmp_path / "t", [AGENCY], secret=None, password=None)
    values = clean_values(plan, AGENCY, year) | {"TU_3c": 29, "MAU_3c": 2000}  # 14.5 per 1000 births
    path = fill_by_names(gen.path, values)
    lay = build_layout(plan, plan.agency(AGENCY), year)
    ws = run_script(client, "target_status", path).workbook()[DATA_SHEET]
    last_year = validate_workbook(returned / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR), plan)
    before = last_year.files[0].values.set_index("code")["value"]
    now = validate_workbook(path, plan).files[0].values.set_index("code")["value"]
    changed = 0
    for code, row in lay.measure_rows.items():
        m = plan.measure_by_code[code]
        with_history = assess(m, {TEMPLATE_YEAR: before[code], year: now[code]}, year)
        assert ws[f"{lay.columns['addin_status']}{row}"].value == with_history.label, code
        changed += with_history.label != assess(m, {year: now[code]}, year).label
    assert changed >= 1


def test_junk_typed_on_the_result_sheet_does_not_break_the_next_run(
    client: TestClient, faulty: Path, tmp_path: Path
) -> None:
    run_script(client, "validate_workbook", faulty)
    wb = openpyxl.load_workbook(faulty)
    ws = wb[RESULT_SHEET]
    ws.cell(row=bridge.RESULT_HEADER_ROW + 1, column=3, value="ô này sai")
    ws.cell(row=bridge.RESULT_HEADER_ROW + 2, column=2, value="Trang không có")
    wb.save(faulty)
    replay = run_script(client, "validate_workbook", faulty)
    assert replay.alerts[0]["mode"] == "critical" and "lỗi (ô tô đỏ)" in replay.alerts[0]["prompt"]


def test_status_on_a_template_without_measures_alerts(
    client: TestClient, templates_dir: Path, plan: Plan, tmp_path: Path
) -> None:
    src = templates_dir / template_filename(plan.agency("cong-an"), TEMPLATE_YEAR)
    path = Path(shutil.copy(src, tmp_path / src.name))
    replay = run_script(client, "target_status", path)
    assert [a["func"] for a in replay.actions] == ["alert"]
    assert "không có chỉ tiêu" in replay.alerts[0]["prompt"]


def test_status_on_a_department_template(
    client: TestClient, templates_dir: Path, plan: Plan, tmp_path: Path
) -> None:
    agency = plan.agency("so-yt")
    src = templates_dir / template_filename(agency, TEMPLATE_YEAR)
    path = fill_by_names(Path(shutil.copy(src, tmp_path / src.name)), clean_values(plan, "so-yt"))
    ws = run_script(client, "target_status", path).workbook()[DATA_SHEET]
    lay = build_layout(plan, agency, TEMPLATE_YEAR)
    labels = [ws[f"{lay.columns['addin_status']}{row}"].value for row in lay.measure_rows.values()]
    assert len(labels) == 10 and set(labels) <= set(STATUS_LABELS.values())


def test_without_names_in_the_payload_the_template_layout_is_used(client: TestClient, faulty: Path) -> None:
    """Clients that send no defined names (VBA RunServerPython, old hosts) get the same result."""
    url = SCRIPT_URL.format(name="validate_workbook")
    with_names = client.post(url, json=build_payload(faulty), headers=auth_headers()).json()
    without = client.post(url, json=build_payload(faulty) | {"names": []}, headers=auth_headers()).json()

    def table(actions: list[dict[str, Any]]) -> list[Any]:
        values = [a["values"] for a in actions if a["func"] == "setValues"]
        return [row[1:] for row in values[0][bridge.RESULT_HEADER_ROW :]]  # without the time line

    assert table(without["actions"]) == table(with_names["actions"])
    assert len(table(without["actions"])) >= 3
