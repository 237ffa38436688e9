"""Data elements in validation, the ledger and aggregation: read once, no data is not zero, rules
judged in the batch as the plan's evaluator judges them, coverage and small numbers."""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.consolidation import ledger
from xltoolkit.consolidation.coverage import build_result
from xltoolkit.consolidation.ledger import Ledger, Record, migrate
from xltoolkit.plan import aggregate
from xltoolkit.plan.checks import NO_DATA, evaluate_rules
from xltoolkit.plan.model import Plan
from xltoolkit.plan.rules import InputRule
from xltoolkit.template.render import template_filename
from xltoolkit.validation.extract import InputCell
from xltoolkit.validation.rules import rule_frame
from xltoolkit.validation.schema import run_rule_checks
from xltoolkit.validation.validate import validate_workbook
from xltoolkit.workbook.layout import build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import fill_workbook
from .test_template_checks import consistent_values

AGENCY = "h-ben-luc"


def _filled(plan: Plan, templates_dir: Path, tmp_path: Path, values: dict[str, Any], name: str) -> Path:
    agency = plan.agency(AGENCY)
    cells = {f"SL_{k}": v for k, v in consistent_values(plan, AGENCY).items()}
    cells |= {"KP_NSNN": 120.5, "KP_HUYDONG": 0}
    cells |= values
    src = templates_dir / template_filename(agency, TEMPLATE_YEAR)
    return fill_workbook(src, tmp_path / name, cells)


def _validate(plan: Plan, path: Path) -> Any:
    return validate_workbook(path, plan, year=TEMPLATE_YEAR, secret=b"").files[0]


def test_consistent_file_has_no_value_errors(plan: Plan, templates_dir: Path, tmp_path: Path) -> None:
    rep = _validate(plan, _filled(plan, templates_dir, tmp_path, {}, "ok.xlsx"))
    assert rep.integrity_ok
    assert not [i for i in rep.issues if i.is_error], [(i.code, i.cell) for i in rep.issues if i.is_error]
    assert len(rep.element_rows) == len(plan.elements_for(plan.agency(AGENCY)))


def test_blank_shared_figure_is_one_missing_value_at_its_cell(
    plan: Plan, templates_dir: Path, tmp_path: Path
) -> None:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    users = [m for m in lay.measures if m.denominator_element == "children_total"]
    assert len(users) >= 3
    rep = _validate(plan, _filled(plan, templates_dir, tmp_path, {"SL_children_total": None}, "blank.xlsx"))
    missing = [i for i in rep.issues if i.code == "missing-value"]
    assert [(i.cell) for i in missing] == [lay.element_cells["children_total"].value]
    assert "Không có số liệu" in missing[0].message
    blocked = {r[2]: r[8] for r in rep.value_rows}
    assert all(blocked[m.code] for m in users)


def test_no_data_mark_is_no_value_not_zero(plan: Plan, templates_dir: Path, tmp_path: Path) -> None:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    marked = {"SL_live_births": None, "TT_live_births": NO_DATA, "LYDO_live_births": "Chưa có sổ sách."}
    rep = _validate(plan, _filled(plan, templates_dir, tmp_path, marked, "nodata.xlsx"))
    assert not [i for i in rep.issues if i.code == "missing-value"]
    users = {m.code for m in lay.measures if "live_births" in (m.numerator_element, m.denominator_element)}
    assert users
    rows = {r[2]: r for r in rep.value_rows}
    for code in users:
        *_, value, _src, _notes, blocked, no_data = rows[code]
        assert math.isnan(value) and no_data and not blocked
    element = {r[0]: r for r in rep.element_rows}["live_births"]
    assert math.isnan(element[1]) and element[2] == NO_DATA and element[3] == "Chưa có sổ sách."
    # a mark without a reason is accepted, with a warning at the reason cell
    marked.pop("LYDO_live_births")
    rep = _validate(plan, _filled(plan, templates_dir, tmp_path, marked, "noreason.xlsx"))
    found = [(i.code, i.severity, i.cell) for i in rep.issues if i.code == "no-data-without-reason"]
    assert found == [("no-data-without-reason", "warning", lay.element_cells["live_births"].reason)]


def test_broken_rule_is_reported_at_each_element_cell(
    plan: Plan, templates_dir: Path, tmp_path: Path
) -> None:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    bad = {"SL_deaths_neonatal": 30, "SL_deaths_u1": 20, "SL_children_injury_deaths": 500}
    rep = _validate(plan, _filled(plan, templates_dir, tmp_path, bad, "rule.xlsx"))
    got = {(i.cell, i.severity) for i in rep.issues if i.code == "rule-violated"}
    cells = lay.element_cells
    assert (cells["deaths_neonatal"].value, "error") in got and (cells["deaths_u1"].value, "error") in got
    assert (cells["children_injury_deaths"].value, "warning") in got  # the rule's own severity
    rows = {r[2]: r for r in rep.value_rows}
    three_a = next(m.code for m in lay.measures if m.numerator_element == "deaths_neonatal")
    assert rows[three_a][8]  # an error at its element's cell blocks the measure


@settings(max_examples=60)
@given(data=st.data())
def test_batch_rules_agree_with_the_plan_evaluator(plan: Plan, data: st.DataObject) -> None:
    """The pandera rule frame and `evaluate_rules` judge the same files the same way."""
    agencies = [plan.agency(AGENCY), plan.agencies[0]]
    files = []
    want = set()
    for pos, agency in enumerate(agencies):
        ids = [e.id for e in plan.elements_for(agency)]
        values = data.draw(
            st.fixed_dictionaries(
                {
                    i: st.one_of(st.none(), st.integers(0, 300), st.floats(0, 300, allow_nan=False))
                    for i in ids
                }
            )
        )
        marks = data.draw(st.sets(st.sampled_from(ids), max_size=3)) if ids else set()
        cells = {}
        for e, v in values.items():
            kind = "nodata" if e in marks else ("empty" if v is None else "number")
            rule = InputRule("element", e, True)
            val = float(v) if kind == "number" else math.nan
            cells[e] = InputCell("element", None, e, "S", "A1", v, kind, val, None, rule, e, element=e)
        files.append((pos, agency, cells))
        statuses = {e: NO_DATA for e in marks}
        for v in evaluate_rules(plan, values, agency=agency, statuses=statuses, rules=plan.rules_for(agency)):
            want.add((pos, v.rule))
    frame, owners = rule_frame(plan, files)
    got = {(owners[i][0], owners[i][1].id) for i in run_rule_checks(frame)}
    assert got == want


# ------------------------------------------------------------------------------- ledger and results


def _record(
    sha: str, agency: str, code_rows: list[tuple], elements: list[tuple] = (), year: int = TEMPLATE_YEAR
) -> Record:
    rows = [
        (agency, year, code, num, den, math.nan, None, None, False, no_data)
        for code, num, den, no_data in code_rows
    ]
    return Record(
        sha256=sha,
        agency=agency,
        year=year,
        original_name=f"{sha}.xlsx",
        received_at=datetime(year, 12, 1),
        archive_path=f"archive/{sha}.xlsx",
        integrity_ok=True,
        valid=True,
        errors=0,
        warnings=0,
        report={"path": f"{sha}.xlsx", "agency": agency, "year": year, "valid": True, "issues": []},
        values=rows,
        plan_id="long-an-ctte-2021-2030",
        elements=list(elements),
    )


def _ledger(tmp_path: Path, records: list[Record]) -> Ledger:
    led = Ledger(tmp_path)
    with led.transaction() as conn:
        led.add(conn, records, datetime(TEMPLATE_YEAR, 12, 20))
        led.resolve(conn, {(r.agency, r.year) for r in records})
    return led


def test_no_data_unit_gives_coverage_n_minus_one_and_a_value_from_the_others(
    plan: Plan, tmp_path: Path
) -> None:
    code = "3a"  # per 1,000 live births; its lead department sends nothing here
    districts = [d.id for d in plan.districts]
    records = [
        _record(f"{i:02x}" * 32, d, [(code, None if i == 0 else 10 + i, 2000, i == 0)])
        for i, d in enumerate(districts)
    ]
    with _ledger(tmp_path, records) as led:
        result = build_result(led, plan, TEMPLATE_YEAR)
        elements = led.element_values()
    m = next(x for x in result.measures if x.code == code)
    n = len(districts)
    assert m.coverage is not None and (m.coverage.reporting, m.coverage.expected) == (n - 1, n)
    assert m.coverage.partial
    num = sum(10 + i for i in range(1, n))
    assert m.numerator_sum == num and m.denominator_sum == 2000 * (n - 1)
    assert m.value == pytest.approx(num * 1000 / (2000 * (n - 1)))
    assert districts[0] not in m.districts_used and districts[0] not in m.districts_excluded
    first = next(d for d in result.districts if d.agency == districts[0])
    dm = next(x for x in first.measures if x.code == code)
    assert dm.no_data and dm.value is None
    assert elements.empty


def test_small_denominator_is_small_number_unranked_and_still_counted(plan: Plan, tmp_path: Path) -> None:
    code = next(m.code for m in plan.measures if m.min_denominator and m.denominator_element)
    minimum = plan.measure_by_code[code].min_denominator
    assert minimum is not None
    districts = [d.id for d in plan.districts]
    small_den = int(minimum) - 1
    records = [
        _record(
            f"{i:02x}" * 32,
            d,
            [(code, 1 if i == 0 else 5, small_den if i == 0 else 10 * int(minimum), False)],
        )
        for i, d in enumerate(districts)
    ]
    # an earlier year, so that a unit's value has a trend to be judged by
    records += [
        _record(f"{i + 100:02x}" * 32, d, [(code, 4, 10 * int(minimum), False)], year=TEMPLATE_YEAR - 3)
        for i, d in enumerate(districts)
    ]
    with _ledger(tmp_path, records) as led:
        result = build_result(led, plan, TEMPLATE_YEAR)
    m = next(x for x in result.measures if x.code == code)
    assert districts[0] in m.districts_used  # the provincial figure is unaffected
    assert m.denominator_sum == small_den + 10 * int(minimum) * (len(districts) - 1)
    by = {d.agency: next(x for x in d.measures if x.code == code) for d in result.districts}
    assert by[districts[0]].small_number and by[districts[0]].value is not None
    assert by[districts[0]].status.status == "not_available"
    assert not by[districts[1]].small_number and by[districts[1]].status.status != "not_available"
    assert by[districts[0]].to_dict()["status"] == "not_available"
    assert m.to_dict()["coverage"] == {"reporting": len(districts), "expected": len(districts)}


def test_element_values_are_stored_with_status_and_reason(plan: Plan, tmp_path: Path) -> None:
    rec = _record(
        "ab" * 32,
        AGENCY,
        [("3a", 12, None, True)],
        [("deaths_neonatal", 12.0, None, None, False), ("live_births", math.nan, NO_DATA, "Chưa có.", False)],
    )
    with _ledger(tmp_path, [rec]) as led:
        df = led.element_values(upto_year=TEMPLATE_YEAR)
        values = led.values(year=TEMPLATE_YEAR)
    got = {
        e: (None if pd.isna(v) else v, s, r)
        for e, v, s, r in zip(df["element"], df["value"], df["status"], df["reason"], strict=True)
    }
    assert got == {"deaths_neonatal": (12.0, None, None), "live_births": (None, NO_DATA, "Chưa có.")}
    assert values["no_data"].tolist() == [True]
    series = aggregate.element_series(df)
    assert series == {(AGENCY, "deaths_neonatal"): {TEMPLATE_YEAR: 12.0}}


def test_v4_ledger_migrates_to_v5_keeping_measure_values(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / ledger.DB_NAME, isolation_level=None)
    assert migrate(conn, target=4) == 4
    conn.execute(
        "INSERT INTO submissions (sha256, agency, year, original_name, received_at, recorded_at, seq,"
        " archive_path, integrity_ok, valid, state, report, plan_id) VALUES"
        " ('aa', 'tp-tan-an', 2024, 'old.xlsx', '2024-12-01T00:00:00', '2024-12-02T00:00:00', 1, 'x', 1, 1,"
        " 'accepted', '{}', NULL)"
    )
    conn.execute(
        "INSERT INTO observations VALUES ('aa', 'tp-tan-an', 2024, '3a', 7, 1000, 7.0, NULL, NULL, 0)"
    )
    conn.close()
    with Ledger(tmp_path) as led:
        assert led.conn is not None
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION == 5
        v = led.values(upto_year=2025, plan_id="long-an-ctte-2021-2030")
        assert v[["agency", "code", "numerator", "no_data"]].values.tolist() == [
            ["tp-tan-an", "3a", 7.0, False]
        ]
        assert led.element_values().empty
