"""Data elements and validation rules of the plan, and the one pure rule evaluator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.cli.main import main
from xltoolkit.errors import PlanError
from xltoolkit.plan.checks import NO_DATA, evaluate_rules
from xltoolkit.plan.expressions import parse_side
from xltoolkit.plan.model import NO_DEFINITION, Plan, load_plan

from .test_plan import _broken

SEED = Path("/work/shared/seed/000_25fc0dfd6ed14fa2.txt")


@pytest.fixture(scope="module")
def shown() -> dict:
    result = CliRunner().invoke(main, ["plan", "show", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_shared_base_figures_are_one_element(plan: Plan) -> None:
    den = {m.code: m.denominator_element for m in plan.measures}
    assert {den[c] for c in ("8a", "9", "11a", "11b", "13", "23")} == {"children_total"}
    assert {den[c] for c in ("3a", "3b", "3c")} == {"live_births"}
    assert {den[c] for c in ("5b", "14", "15")} == {"children_u5"}
    assert {den[c] for c in ("4a", "4b")} == {"weighed_u5"}
    assert den["1"] == den["21"] and den["19"] == den["20a"]
    # 8b's denominator is 8a's numerator: the same element
    assert plan.measure_by_code["8b"].denominator_element == plan.measure_by_code["8a"].numerator_element
    assert len({e.id for e in plan.data_elements}) == len(plan.data_elements) < 70


def test_labels_derive_from_elements(plan: Plan) -> None:
    for m in plan.measures:
        assert m.numerator == plan.element_by_id[m.numerator_element or ""].name
        if m.denominator_element:
            assert m.denominator == plan.element_by_id[m.denominator_element].name


def test_json_lists_elements_and_rules(shown: dict) -> None:
    elements = {e["id"]: e for e in shown["data_elements"]}
    for e in elements.values():
        assert set(e) >= {"id", "name", "unit", "integer", "definition", "definition_source", "reported_by"}
        assert e["reported_by"]
    for m in (m for i in shown["indicators"] for m in i["measures"]):
        assert m["numerator_element"] in elements
        assert m["denominator_element"] in elements or m["denominator_element"] is None
        assert "Khác" not in m["sources"] and m["sources"]
    rules = {r["id"]: r for r in shown["validation_rules"]}
    assert rules["tu_vong_so_sinh_duoi_1_tuoi"]["right"] == "deaths_u1"
    assert rules["so_xa_theo_hanh_chinh"]["right"] == "agency.communes"
    assert {f"tu_mau_{c}" for c in ("3a", "8b", "24")} <= set(rules)
    ben_luc = next(a for a in shown["agencies"] if a["code"] == "803")
    assert ben_luc["communes"] == 14


def test_definitions_are_quoted_or_declared_absent(plan: Plan) -> None:
    """No invented definitions: a definition is words of the seed; otherwise the plan says so."""
    seed = " ".join(SEED.read_text(encoding="utf-8").split()) if SEED.exists() else None
    for e in plan.data_elements:
        if e.definition is None:
            assert e.definition_source == NO_DEFINITION
        elif seed is not None:
            quoted = e.definition.split(" (")[0].rstrip(".").lower()
            assert quoted.split(" ", 1)[1] in seed.lower(), e.id


def test_district_communes_sum_to_the_province(plan: Plan) -> None:
    assert sum(d.communes or 0 for d in plan.districts) == 186
    assert plan.agency_figures(plan.agency("so-ldtbxh"))["agency.communes"] == 186


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            'numerator_element = "deaths_u1"',
            'numerator_element = "deaths_x"',
            "measures[3b].numerator_element",
        ),
        ('denominator_element = "live_births"', 'denominator_element = "births"', "denominator_element"),
        (
            'left = "deaths_neonatal"',
            'left = "deaths_neonatl"',
            "validation_rules[tu_vong_so_sinh_duoi_1_tuoi].left",
        ),
        ('right = "deaths_u1"', 'right = "deaths_u1 + -"', "validation_rules"),
        ('operator = "<="', 'operator = "=<"', "operator"),
        ('id = "deaths_u5"', 'id = "Deaths U5"', "data_elements"),
        ('sources = ["so_tram_y_te"', 'sources = ["khong_co"', "sources"),
    ],
)
def test_broken_reference_names_table_entry_and_field(tmp_path: Path, old: str, new: str, where: str) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(_broken(tmp_path, old, new))
    assert err.value.code == "plan-invalid" and where in err.value.message


# ------------------------------------------------------------------------------------ evaluator


def test_deaths_nested(plan: Plan) -> None:
    agency = plan.agency("h-ben-luc")
    bad = evaluate_rules(plan, {"deaths_neonatal": 30, "deaths_u1": 20, "deaths_u5": 25}, agency=agency)
    assert [v.rule for v in bad] == ["tu_vong_so_sinh_duoi_1_tuoi"]
    assert bad[0].left == 30 and bad[0].right == 20 and bad[0].elements == ("deaths_neonatal", "deaths_u1")
    assert evaluate_rules(plan, {"deaths_neonatal": 20, "deaths_u1": 20, "deaths_u5": 25}) == []


def test_no_data_and_blank_do_not_trigger(plan: Plan) -> None:
    vals = {"deaths_neonatal": 30, "deaths_u1": 20}
    assert evaluate_rules(plan, vals, statuses={"deaths_u1": NO_DATA}) == []
    assert evaluate_rules(plan, {"deaths_neonatal": 30, "deaths_u1": None}) == []
    assert evaluate_rules(plan, {"deaths_neonatal": 30, "deaths_u1": math.nan}) == []


def test_commune_count_against_administration(plan: Plan) -> None:
    ben_luc = plan.agency("h-ben-luc")
    assert [v.rule for v in evaluate_rules(plan, {"communes_total": 15}, agency=ben_luc)] == [
        "so_xa_theo_hanh_chinh"
    ]
    assert evaluate_rules(plan, {"communes_total": 14}, agency=ben_luc) == []
    assert evaluate_rules(plan, {"communes_total": 15}) == []  # no agency: no figure, no verdict


def test_sum_side(plan: Plan) -> None:
    vals = {"weighed_u5_rural": 600, "weighed_u5_urban": 500, "children_u5": 1000}
    assert [v.rule for v in evaluate_rules(plan, vals)] == ["can_do_nong_thon_thanh_thi"]


@pytest.mark.parametrize("raw", ["a +", "+ a", "A", "a - b", "a + 1,5", ""])
def test_side_syntax_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_side(raw)


_counts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**7))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_evaluator_agrees_with_each_rule_read_directly(plan: Plan, data: st.DataObject) -> None:
    """For random figures, a rule is reported iff all its values are known and the relation fails."""
    ids = [e.id for e in plan.data_elements]
    values = {i: data.draw(_counts, label=i) for i in ids}
    marks = {i: NO_DATA for i in ids if data.draw(st.booleans(), label=f"tt_{i}")}
    agency = data.draw(st.sampled_from(plan.agencies))
    got = {v.rule for v in evaluate_rules(plan, values, agency=agency, statuses=marks)}
    figures = plan.agency_figures(agency)
    ops = {"<": float.__lt__, "<=": float.__le__, "==": float.__eq__, ">=": float.__ge__, ">": float.__gt__}
    for rule in plan.rules:
        sides = []
        for side in (rule.left_side, rule.right_side):
            parts = [values[e] if e not in marks else None for e in side.elements]
            parts += [figures[r] for r in side.agency_refs]
            sides.append(None if any(p is None for p in parts) else float(sum(parts) + side.constant))
        broken = None not in sides and not ops[rule.operator](sides[0], sides[1])
        assert (rule.id in got) == broken, rule.id


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(max_size=12), st.one_of(st.none(), st.floats(), st.text(max_size=5)), max_size=20)
)
def test_evaluator_survives_hostile_values(plan: Plan, values: dict) -> None:
    for v in evaluate_rules(plan, values):  # type: ignore[arg-type]
        assert math.isfinite(v.left) and math.isfinite(v.right)
