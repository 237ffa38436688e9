"""The pandera checks against a plain-Python oracle (hypothesis), and their link to the plan's rules."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan.model import Checks, Plan, load_plan
from xltoolkit.plan.rules import BUDGET_RULES, InputRule, measure_rules, plausible_max
from xltoolkit.validation.extract import ROW_FIELDS, Extracted, InputCell, MeasureCells, batch_rows, classify
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


FIELDS = ("numerator", "denominator", "measure")  # rows of `frame`, in order


def frame(code: str, num_raw, den_raw, prev: float | None = None) -> pd.DataFrame:
    """Batch rows for one measure (its two elements, then the measure row), as the validator builds
    them: through `batch_rows`, with the measure's value of 2025 as history."""
    m = PLAN.measure_by_code[code]
    rules = {r.field: r for r in measure_rules(m)}
    cells = []
    for f, raw, element in (("numerator", num_raw, "num"), ("denominator", den_raw, "den")):
        kind, value, parsed = classify(raw, rules[f].whole)
        rule = InputRule("element", f, rules[f].whole)
        cells.append(
            InputCell("element", None, f, "s", f, raw, kind, value, parsed, rule, f, element=element)
        )
    ex = Extracted(inputs=cells, elements={"num": cells[0], "den": cells[1]})
    ex.measures.append(MeasureCells(code, cells[0], cells[1], "value", None, None))
    history = {("a", code): {2025: prev}} if prev is not None else {}
    df = pd.DataFrame(batch_rows(0, ex, PLAN, "a", 2026, history), columns=list(ROW_FIELDS))
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
    # numerator ≤ denominator is a plan rule now, judged in its own batch (see test_elements_validation)
    if vals.get("denominator") == 0 and vals.get("numerator", 0) > 0:
        out.add(("measure", "zero-denominator"))
    ok = {f: f in vals and 0 <= vals[f] <= MAX for f in ("numerator", "denominator")}
    n, d = (vals[f] if ok[f] else None for f in ("numerator", "denominator"))
    if n is not None and d is not None and n >= 0 and d > 0 and n <= d and d <= MAX:
        rate = n / d * m.scale
        pmax = plausible_max(PLAN, code)
        if pmax is not None and rate > pmax:
            out.add(("measure", "implausible-value"))
        if prev is not None and abs(rate - prev) > max(
            LIMITS.yoy_relative * abs(prev), LIMITS.yoy_absolute_floor
        ):
            out.add(("measure", "yoy-jump"))
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
    got = {(FIELDS[i], c) for i, c in run_checks(df, LIMITS)}
    assert got == oracle(code, num, den, prev)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10_000))
def test_rate_is_recomputed_with_the_plan_scale(num: int, den: int) -> None:
    for code in ("1", "3a", "11a"):
        df = frame(code, min(num, den), den)
        rate = df.loc[2, "rate"]
        assert rate == min(num, den) / den * PLAN.measure_by_code[code].scale  # as the template formula


def test_one_call_for_many_rows_reports_each_row() -> None:
    parts = [frame("1", i, 0) for i in range(30)]  # numerators 1..29 over a zero denominator
    df = pd.concat(parts, ignore_index=True)
    failures = run_checks(df, LIMITS)
    bad_rows = {i for i, c in failures if c == "zero-denominator"}
    assert bad_rows == {3 * i + 2 for i in range(1, 30)}


def test_rules_are_the_templates_rules(plan: Plan) -> None:
    """Counts are whole numbers, proportions carry the '≤ denominator' rule, budget is decimal."""
    for m in plan.measures:
        rules = {r.field: r for r in measure_rules(m)}
        assert rules["numerator"].whole and (rules["numerator"].le_field == "denominator") == m.proportion
    assert not any(r.whole for r in BUDGET_RULES)
