"""National scale: the benchmark's national plan, layouts shared per agency shape, rules batched by shape."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.checks import NO_DATA, evaluate_rules
from xltoolkit.plan.model import Plan
from xltoolkit.plan.rules import InputRule
from xltoolkit.validation.extract import InputCell
from xltoolkit.validation.integrity import expected, expected_shape, layout_shape
from xltoolkit.validation.rules import rule_frame
from xltoolkit.validation.schema import run_rule_checks
from xltoolkit.workbook.layout import TemplateLayout

from .test_admin_units import _load_script

COMMUNE_YEAR = 2025


@pytest.fixture(scope="module")
def national() -> Plan:
    return _load_script("national_units").national_plan()


def test_national_plan_has_one_distinct_commune_agency_per_commune(national: Plan) -> None:
    units = _load_script("national_units").national_units()
    view = national.for_year(COMMUNE_YEAR)
    communes = [a for a in view.agencies if a.kind == "commune"]
    assert len(communes) == len(units) == 3321
    assert len({a.id for a in communes}) == len({a.code for a in communes}) == 3321
    assert {a.code for a in communes} == {u.code for u in units}
    assert all(a.communes == 1 and a.is_local for a in communes)
    # the plan's indicators, measures, elements and rules, and a consolidator that exists
    assert len(view.measures) == len(national.measures) and view.rules == national.rules
    assert view.consolidator in view.agency_by_id


def _structure(lay: TemplateLayout) -> tuple[object, ...]:
    return (
        lay.sheets,
        [(i.name, i.sheet, i.ref, i.kind) for i in lay.inputs],
        lay.merges,
        lay.columns,
        lay.measure_rows,
        lay.header_row,
        sorted((c.sheet, c.ref) for c in lay.cells),
        sorted((c.sheet, c.ref, c.formula) for c in lay.cells if c.formula),
    )


def test_agencies_of_one_shape_have_templates_of_one_structure(plan: Plan) -> None:
    view = plan.for_year(COMMUNE_YEAR)
    communes = [a for a in view.agencies if a.kind == "commune"][:12]
    shapes = {layout_shape(view, a) for a in communes}
    assert len(shapes) == 1
    first = _structure(expected(view, communes[0], COMMUNE_YEAR)[0])
    for a in communes[1:]:
        own, _ = expected(view, a, COMMUNE_YEAR)
        assert _structure(own) == first, a.id
        shared, _ = expected_shape(view, a, COMMUNE_YEAR)
        assert _structure(shared) == _structure(own)
    departments = [a for a in view.agencies if a.kind != "commune"]
    assert layout_shape(view, departments[0]) not in shapes


value = st.one_of(
    st.none(),
    st.integers(-5, 10**6),
    st.floats(-1e9, 1e12, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_rules_batched_by_shape_agree_with_the_evaluator_file_by_file(
    plan: Plan, data: st.DataObject
) -> None:
    """Many files of one shape (and some of another) in one frame judge as each file alone."""
    view = plan.for_year(COMMUNE_YEAR)
    communes = [a for a in view.agencies if a.kind == "commune"]
    others = [a for a in view.agencies if a.kind != "commune"]
    picks = data.draw(st.lists(st.sampled_from(communes[:5] + others[:2]), min_size=1, max_size=7))
    files, want = [], set()
    for pos, agency in enumerate(picks):
        ids = [e.id for e in view.elements_for(agency)]
        values = data.draw(st.fixed_dictionaries({i: value for i in ids}))
        marks = data.draw(st.sets(st.sampled_from(ids), max_size=3)) if ids else set()
        cells = {}
        for e, v in values.items():
            kind = "nodata" if e in marks else ("empty" if v is None else "number")
            val = float(v) if kind == "number" else math.nan
            rule = InputRule("element", e, True)
            cells[e] = InputCell("element", None, e, "S", "A1", v, kind, val, None, rule, e, element=e)
        files.append((pos, agency, cells))
        statuses = {e: NO_DATA for e in marks}
        broken = evaluate_rules(view, values, agency=agency, statuses=statuses, rules=view.rules_for(agency))
        want |= {(pos, v.rule) for v in broken}
    frame, owners = rule_frame(view, files)
    assert {(owners[i][0], owners[i][1].id) for i in run_rule_checks(frame)} == want


@pytest.mark.parametrize("office_suite", [True, False], ids=["saved-by-libreoffice", "as-openpyxl-writes"])
def test_benchmark_national_files_are_clean_returns_of_their_communes(
    national: Plan, tmp_path, request, office_suite: bool
) -> None:
    """The benchmark's national files (one seed, each commune's identity rewritten into it) validate
    as returns of their own communes: fingerprint, metadata and names intact, whichever way the seed
    holds its texts (a LibreOffice shared string table, or openpyxl's inline strings)."""
    from xltoolkit.validation.validate import validate_paths

    if office_suite:
        request.getfixturevalue("require_libreoffice")
    script = _load_script("national_units")
    files = script.make_national_files(
        tmp_path / "files", national, limit=4, workers=1, office_suite=office_suite
    )
    communes = [a.id for a in national.agencies if a.kind == "commune"][:4]
    report = validate_paths(files, national.for_year(COMMUNE_YEAR))
    assert [f.agency for f in report.files] == communes
    for f in report.files:
        assert f.integrity_ok and f.valid, [i.code for i in f.issues]
    import zipfile

    with zipfile.ZipFile(files[0]) as z:
        assert ("xl/sharedStrings.xml" in z.NameToInfo) is office_suite
