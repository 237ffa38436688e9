"""The pandera checks against a plain-Python oracle (hypothesis), and their link to the plan's rules."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.model import Checks, Plan, load_plan
from xltoolkit.plan.rules import BUDGET_RULES, measure_rules, plausible_max
from xltoolkit.validation.extract import ROW_FIELDS, classify
from xltoolkit.validation.schema import add_rates, run_checks

PLAN = load_plan()
LIMITS = Checks()

cell_values = st.one_of(
    st.none(),
    st.integers(min_value=-50, max_value=5000),
    st.floats(min_value=-10, max_value=5000, allow_nan=False).map(lambda x: round(x, 1)),
    st.sampled_from(["9,5", "1.234", "95%", " 12 ", "abc", "", True]),
    st.sampled_from([1e9, 1e9 + 1, 1e12, 1e308, -1e308]),  # absurd magnitudes (issue 9)
)
MAX = 1e9


def frame(code: str, num_raw, den_raw, prev: float | None = None) -> pd.DataFrame:
    """Batch rows for one measure, built from the plan's rules as the validator builds them."""
    m = PLAN.measure_by_code[code]
    rules = {r.field: r for r in measure_rules(m)}
    kinds = {
        f: classify(raw, rules[f].whole) for f, raw in (("numerator", num_raw), ("denominator", den_raw))
    }
    rows = []
    for f, other in (("numerator", "denominator"), ("denominator", "numerator")):
        r = rules[f]
        kind, value, _ = kinds[f]
        is_num = f == "numerator"
        pmax = plausible_max(PLAN, code)
        rows.append(
            {
                "file": 0,
                "field": f,
                "code": code,
                "sheet": "s",
                "cell": f,
                "kind": kind,
                "value": value,
                "whole": r.whole,
                "minimum": float(r.minimum),
                "required": r.required,
                "le": bool(r.le_field),
                "partner": kinds[other][1],
                "scale": m.scale if is_num else math.nan,
                "has_den": is_num,
                "pmax": pmax if (is_num and pmax) else math.nan,
                "prev": prev if (is_num and prev is not None) else math.nan,
                "prev_year": 2025.0 if (is_num and prev is not None) else math.nan,
                "vmax": MAX,
            }
        )
    df = pd.DataFrame(rows, columns=list(ROW_FIELDS))
    return add_rates(
        df.astype({"value": float, "partner": float, "scale": float, "pmax": float, "vmax": float})
    )


def oracle(code: str, num_raw, den_raw, prev: float | None) -> set[tuple[str, str]]:
    m = PLAN.measure_by_code[code]
    out = set()
    vals = {}
    for f, raw in (("numerator", num_raw), ("denominator", den_raw)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            out.add((f, "missing-value"))
        elif isinstance(raw, bool):
            out.add((f, "not-a-number"))
        elif isinstance(raw, str):
            out.add((f, "not-a-number" if raw.strip() == "abc" else "number-as-text"))
        else:
            vals[f] = float(raw)
            if raw < 0:
                out.add((f, "negative-value"))
            if float(raw) != int(raw):
                out.add((f, "not-whole-number"))
            if abs(raw) > MAX:
                out.add((f, "value-out-of-range"))
    n, d = vals.get("numerator"), vals.get("denominator")
    if n is not None and d is not None:
        if d != 0 and n > d:
            out.add(("numerator", "numerator-exceeds-denominator"))
        if d == 0 and n != 0:
            out.add(("denominator", "zero-denominator"))
        if n >= 0 and d > 0 and n <= d and d <= MAX:
            rate = n / d * m.scale
            pmax = plausible_max(PLAN, code)
            if pmax is not None and rate > pmax:
                out.add(("numerator", "implausible-value"))
            if prev is not None and abs(rate - prev) > max(
                LIMITS.yoy_relative * abs(prev), LIMITS.yoy_absolute_floor
            ):
                out.add(("numerator", "yoy-jump"))
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["1", "3a", "9", "11a"]),
    cell_values,
    cell_values,
    st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
)
def test_checks_match_oracle(code: str, num, den, prev) -> None:
    df = frame(code, num, den, prev)
    got = {(df.loc[i, "field"], c) for i, c in run_checks(df, LIMITS)}
    assert got == oracle(code, num, den, prev)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10_000))
def test_rate_is_recomputed_with_the_plan_scale(num: int, den: int) -> None:
    for code in ("1", "3a", "11a"):
        df = frame(code, min(num, den), den)
        rate = df.loc[0, "rate"]
        assert rate == min(num, den) / den * PLAN.measure_by_code[code].scale  # as the template formula


def test_one_call_for_many_rows_reports_each_row() -> None:
    parts = [frame("1", i, 10) for i in range(30)]  # numerators 11..29 exceed 10
    df = pd.concat(parts, ignore_index=True)
    failures = run_checks(df, LIMITS)
    bad_rows = {i for i, c in failures if c == "numerator-exceeds-denominator"}
    assert bad_rows == {2 * i for i in range(11, 30)}


def test_rules_are_the_templates_rules(plan: Plan) -> None:
    """Counts are whole numbers, proportions carry the '≤ denominator' rule, budget is decimal."""
    for m in plan.measures:
        rules = {r.field: r for r in measure_rules(m)}
        assert rules["numerator"].whole and (rules["numerator"].le_field == "denominator") == m.proportion
    assert not any(r.whole for r in BUDGET_RULES)
