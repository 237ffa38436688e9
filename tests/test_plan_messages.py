"""A broken plan file is explained in Vietnamese: table, entry and field, never pydantic's English."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.errors import PlanError
from xltoolkit.plan.model import default_plan_path, load_plan

PLAN_TEXT = default_plan_path().read_text(encoding="utf-8")
ENGLISH = re.compile(r"Field required|should match pattern|Input should|Extra inputs|\^\[")


def _load_variant(tmp_path: Path, text: str) -> PlanError:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    return caught.value


def _explain(raw: dict[str, Any]) -> str:
    from pydantic import ValidationError

    from xltoolkit.plan.messages import explain
    from xltoolkit.plan.model import Plan

    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(raw)
    return "\n".join(explain(caught.value.errors(), raw))


def test_missing_field_names_the_measure_and_field() -> None:
    raw = tomllib.loads(PLAN_TEXT)
    measure = raw["indicators"][2]["measures"][0]
    del measure["unit"]
    text = _explain(raw)
    assert f"code = {measure['code']}" in text and "«unit»" in text and "«indicators»" in text
    assert not ENGLISH.search(text)


def test_bad_pattern_says_what_shape_is_expected(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, re.sub(r'(?m)^deadline = ".*"$', 'deadline = "2-30"', PLAN_TEXT))
    assert err.code == "plan-invalid"
    assert "«deadline»" in err.message and "MM-DD" in err.message
    assert not ENGLISH.search(err.message)


def test_wrong_choice_lists_the_allowed_values() -> None:
    raw = tomllib.loads(PLAN_TEXT)
    agency = raw["agencies"][1]
    agency["kind"] = "dept"
    text = _explain(raw)
    assert f"id = {agency['id']}" in text and "«kind»" in text and "«dept»" in text
    assert "department" in text and not ENGLISH.search(text)


def test_unknown_field_is_named(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, PLAN_TEXT.replace('version = "', 'verson_typo = 1\nversion = "', 1))
    assert "«verson_typo»" in err.message and not ENGLISH.search(err.message)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))


@given(
    index=st.integers(0, 34),
    field=st.sampled_from(["unit", "scale", "comparison", "code", "name"]),
    value=SCALARS,
)
def test_any_damaged_measure_gives_a_vietnamese_error_or_a_plan(
    index: int, field: str, value: object
) -> None:
    """Whatever a hand edit puts in a measure field, loading ends in a Plan or a coded PlanError."""
    from pydantic import ValidationError

    from xltoolkit.plan.messages import explain
    from xltoolkit.plan.model import Plan

    raw = tomllib.loads(PLAN_TEXT)
    measures = [m for ind in raw["indicators"] for m in ind["measures"]]
    if value is None:
        measures[index].pop(field, None)
    else:
        measures[index][field] = value
    try:
        Plan.model_validate(raw)
    except ValidationError as e:
        lines = explain(e.errors(), raw)
        assert lines and all(not ENGLISH.search(line) for line in lines)
