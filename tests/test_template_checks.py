"""The in-workbook rule checks recalculate in LibreOffice: «Sai» while broken, empty when consistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltoolkit.demo import libreoffice
from xltoolkit.plan.checks import NO_DATA, evaluate_rules
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.workbook.layout import build_layout

from .conftest import TEMPLATE_YEAR


def consistent_values(plan: Plan, agency_id: str) -> dict[str, float]:
    """Figures that satisfy every rule: one child total, nested age groups, numerators below bases."""
    base = {
        "children_total": 60000, "children_u8": 30000, "children_u5": 18000, "children_u1": 3600,
        "children_age5": 3500, "children_7plus": 30000, "children_11plus": 16000, "population_5_17": 52000,
        "live_births": 3500, "weighed_u5": 15000, "weighed_u5_rural": 9000, "weighed_u5_urban": 6000,
        "deaths_neonatal": 20, "deaths_u1": 35, "deaths_u5": 50, "children_injured": 140,
        "children_injury_deaths": 4, "hiv_exposed_births": 10,
    }  # fmt: skip
    agency = plan.agency(agency_id)
    values: dict[str, float] = {}
    for e in plan.elements_for(agency):
        values[e.id] = base.get(e.id, 100)
    values["communes_total"] = plan.agency_figures(agency)["agency.communes"] or 10
    for m in plan.measures_for(agency):
        if m.numerator_element not in base and m.numerator_element and m.denominator_element:
            values[m.numerator_element] = max(int(values[m.denominator_element] * 0.5), 1)
    assert evaluate_rules(plan, values, agency=agency) == []
    return values


@pytest.mark.libreoffice
def test_broken_rules_read_sai_and_are_counted(require_libreoffice, templates_dir: Path, plan: Plan) -> None:
    agency = plan.agency("h-ben-luc")
    lay = build_layout(plan, agency, TEMPLATE_YEAR)
    good = consistent_values(plan, agency.id)
    bad = dict(good, deaths_neonatal=30, deaths_u1=20, communes_total=15)
    marked = dict(bad)
    statuses = {"TT_deaths_u1": NO_DATA}  # «no data» for deaths under 1: its rules are not judged
    want_bad = {v.rule for v in evaluate_rules(plan, bad, agency=agency)}
    want_marked = {
        v.rule for v in evaluate_rules(plan, marked, agency=agency, statuses={"deaths_u1": NO_DATA})
    }
    assert {"tu_vong_so_sinh_duoi_1_tuoi", "so_xa_theo_hanh_chinh"} <= want_bad
    assert "tu_vong_so_sinh_duoi_1_tuoi" not in want_marked
    kt = [f"KT_{r.id}" for r in plan.rules_for(agency)]
    reads = [*kt, "KT_TONG", "TU_3a", "MAU_3a", "MAU_8a", "MAU_9"]
    src = str(templates_dir / template_filename(agency, TEMPLATE_YEAR))
    jobs = [
        {"path": src, "set": {f"SL_{k}": v for k, v in vals.items()} | extra, "read": reads}
        for vals, extra in ((good, {}), (bad, {}), (marked, statuses))
    ]
    ok, broken, with_mark = (r["values"] for r in libreoffice.run_uno(jobs))
    assert all(not ok[name] for name in kt), {n: ok[n] for n in kt if ok[n]}
    assert "chưa phát hiện" in ok["KT_TONG"]
    for values, want in ((broken, want_bad), (with_mark, want_marked)):
        got = {name.removeprefix("KT_") for name in kt if values[name]}
        assert got == want
        for name in kt:
            if values[name]:
                assert values[name].startswith("Sai: ") and plan.rule_by_id[name[3:]].message in values[name]
        assert f"có {len(want)} quy tắc" in values["KT_TONG"]
    # the old names still resolve: TU_ to the numerator input, MAU_ to the base figure typed once
    assert broken["TU_3a"] == 30 and broken["MAU_3a"] == good["live_births"]
    assert broken["MAU_8a"] == broken["MAU_9"] == good["children_total"]
    assert lay.input_by_name["MAU_8a"].ref == lay.input_by_name["MAU_9"].ref
