"""Verdicts at milestones, gaps, indicator roll-up, outlook and number formatting (plan/review.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.review import (
    MeasureVerdict,
    format_decimal,
    format_gap,
    format_value,
    judge,
    measure_decimals,
    outlook,
    review_year,
    roll_up,
)
from xltoolkit.plan.status import round_sig


def _m(comparison: str = ">=", targets: dict[int, float] | None = None, **kw: object) -> Measure:
    return Measure(
        code="1",
        name="x",
        unit=str(kw.pop("unit", "%")),
        scale=float(kw.pop("scale", 100)),  # type: ignore[arg-type]
        comparison=comparison,  # type: ignore[arg-type]
        targets=targets if targets is not None else {2025: 80.0, 2030: 85.0},
        numerator="n",
        denominator="d",
        **kw,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------------------- hand-computed cases


def test_strict_below_equal_is_not_met(plan: Plan) -> None:
    m9 = plan.measure_by_code["9"]  # «dưới 0,05% vào năm 2025»
    assert m9.comparison == "<"
    v = judge(m9, 0.05, 2025)
    assert (v.verdict, v.gap) == ("not_met", 0)
    v = judge(m9, 0.0535, 2025)
    assert v.verdict == "not_met" and v.gap == pytest.approx(0.0035)
    v = judge(m9, 0.049, 2025)
    assert v.verdict == "met" and v.gap == pytest.approx(-0.001)


def test_less_or_equal_target_met_at_equality(plan: Plan) -> None:
    m = plan.measure_by_code["3b"]  # «xuống 12,5 vào năm 2025»
    assert m.comparison == "<="
    assert judge(m, 12.5, 2025).verdict == "met"
    v = judge(m, 13.1, 2025)
    assert v.verdict == "not_met" and v.gap == pytest.approx(0.6)


def test_percentage_point_gap(plan: Plan) -> None:
    m = plan.measure_by_code["16"]  # 99,9% in 2025
    v = judge(m, 96.9, 2025)
    assert v.verdict == "not_met"
    assert v.gap == 3.0  # percentage points, not the relative 3.0%
    assert format_gap(m, v.gap) == "còn thiếu 3,00 điểm phần trăm"
    assert format_gap(m, judge(m, 100.0, 2025).gap) == "vượt 0,10 điểm phần trăm"


def test_float_noise_does_not_flip_a_verdict() -> None:
    m = _m("<", {2025: 9.5})
    assert judge(m, 9.500000000000002, 2025).verdict == "not_met"
    assert judge(m, 9.499999999999999, 2025).verdict == "not_met"  # float noise of 9.5
    assert judge(m, 9.49999999999, 2025).verdict == "met"  # a real difference at 12 digits
    assert judge(_m(">=", {2025: 0.3}), 0.1 + 0.2, 2025).verdict == "met"


def test_standing_target_is_a_milestone_every_year(plan: Plan) -> None:
    m12 = plan.measure_by_code["12"]
    assert not m12.targets and m12.standing_target == 100
    for year in (2021, 2023, 2025, 2027):
        v = judge(m12, 93.3, year)
        assert v.target == 100 and v.verdict == "not_met" and v.gap == pytest.approx(6.7)
    assert judge(m12, 100.0, 2022).verdict == "met"


def test_no_milestone_no_verdict(plan: Plan) -> None:
    m1 = plan.measure_by_code["1"]
    v = judge(m1, 90.0, 2023)
    assert v.target is None and v.verdict is None and v.gap is None
    assert judge(m1, None, 2025).verdict is None
    assert judge(m1, math.nan, 2025).verdict is None
    assert judge(plan.measure_by_code["6"], 1.0, 2025).verdict is None  # only a 2030 target


def test_roll_up_cases() -> None:
    met = MeasureVerdict("3a", 2025, 9.0, 9.5, "met", -0.5)
    miss = MeasureVerdict("3b", 2025, 13.0, 12.5, "not_met", 0.5)
    none = MeasureVerdict("3c", 2025, None, 18.5, None, None)
    off = MeasureVerdict("3d", 2025, 4.0, None, None, None)
    assert roll_up(3, [met, met]).verdict == "met"
    assert roll_up(3, [met, miss]).verdict == "not_met"
    assert roll_up(3, [none, miss]).verdict == "not_met"
    assert roll_up(3, [met, none]).verdict is None
    r = roll_up(3, [met, off])
    assert r.verdict == "met" and r.measures == ("3a",)
    r = roll_up(3, [off])
    assert r.verdict is None and not r.has_target


def test_outlook_hand_computed(plan: Plan) -> None:
    m = plan.measure_by_code["1"]  # >= 85 in 2030
    # 64 -> 81 over 2021-2025: rate = (81/64) ** (1/4) - 1 = 0.0606..., 2030: 81 * 1.0606^5
    o = outlook(m, {2021: 64.0, 2023: 70.0, 2025: 81.0}, 2025)
    assert o is not None and o.year == 2030 and o.target == 85
    rate = (81 / 64) ** 0.25 - 1
    assert o.rate == pytest.approx(rate)
    assert o.projected == pytest.approx(min(100.0, 81 * (1 + rate) ** 5))
    assert o.on_track
    o = outlook(m, {2021: 82.0, 2025: 81.0}, 2025)
    assert o is not None and not o.on_track and o.projected == pytest.approx(81 * (81 / 82) ** (5 / 4))
    assert o.label == "Dự báo năm 2030: có nguy cơ không đạt"
    m9 = plan.measure_by_code["9"]  # «dưới 0,03» in 2030: 0.06 -> 0.04 halves in 4 years... not quite
    o = outlook(m9, {2021: 0.08, 2025: 0.04}, 2025)
    assert o is not None and o.projected == pytest.approx(0.04 * 0.5 ** (5 / 4)) and o.on_track


def test_outlook_none_cases(plan: Plan) -> None:
    m = plan.measure_by_code["1"]
    assert outlook(m, {2025: 81.0}, 2025) is None  # one year of data
    assert outlook(m, {}, 2025) is None
    assert outlook(m, {2021: 70.0, 2025: 81.0}, 2030) is None  # no later target
    assert outlook(plan.measure_by_code["12"], {2021: 90.0, 2025: 95.0}, 2025) is None  # standing only
    assert outlook(m, {2021: 0.0, 2025: 5.0}, 2025) is None  # compound rate from zero


def test_review_year_on_the_plan(plan: Plan) -> None:
    series: dict[str, dict[int, float | None]] = {}
    for m in plan.measures:
        t = m.targets.get(2025, m.standing_target)
        series[m.code] = {2021: t, 2025: t} if t is not None else {}
    series["9"] = {2021: 0.06, 2025: 0.05}  # equal to «dưới 0,05»: not met
    series["12"] = {2025: 93.3}
    r = review_year(plan, 2025, series)
    assert r.review is not None and not r.review.final
    with_target = [m for m in plan.measures if m.targets.get(2025, m.standing_target) is not None]
    assert r.review.measures_with_target == len(with_target)
    strict_equal = sum(1 for m in with_target if m.comparison == "<")  # equality fails «dưới»
    assert r.review.measures_met == len(with_target) - strict_equal - 1  # and indicator 12
    not_met = {i.number for i in r.indicators if i.verdict == "not_met"}
    assert {9, 12} <= not_met
    assert r.review.indicators_with_target == sum(1 for i in r.indicators if i.measures)
    assert r.review.indicators_met == len(plan.indicators) - len(not_met) - sum(
        1 for i in r.indicators if not i.measures
    )
    assert review_year(plan, 2024, series).review is None
    final = review_year(plan, 2030, {})
    assert final.review is not None and final.review.final and final.review.measures_met == 0
    d = r.to_dict()
    o9 = r.measures["9"].outlook
    assert o9 is not None and not o9.on_track  # 0,06 -> 0,05 in 4 years does not reach «dưới 0,03»
    assert d["measures"]["9"] == {"verdict": "not_met", "gap": 0, "outlook": o9.to_dict()}


def test_number_formatting(plan: Plan) -> None:
    m9 = plan.measure_by_code["9"]
    assert measure_decimals(m9) == 3
    assert format_value(m9, 0.0535) == "0,054" or format_value(m9, 0.0535) == "0,053"
    assert format_value(m9, 0.0536) == "0,054"
    assert format_value(plan.measure_by_code["16"], 96.9) == "96,90"
    assert format_value(plan.measure_by_code["1"], 80) == "80,0"
    assert format_value(plan.measure_by_code["11a"], 1234.56) == "1.234,6"
    assert format_value(plan.measure_by_code["1"], None) == "—"
    assert measure_decimals(_m(decimals=0)) == 0


# ------------------------------------------------------------------------------------------ properties

values = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
comparisons = st.sampled_from(["<", "<=", ">="])


@given(comparisons, values, values)
def test_gap_sign_agrees_with_verdict(comparison: str, value: float, target: float) -> None:
    v = judge(_m(comparison, {2025: target}), value, 2025)
    assert v.verdict is not None and v.gap is not None
    if v.gap > 0:
        assert v.verdict == "not_met"
    if v.gap < 0:
        assert v.verdict == "met"
    if v.verdict == "met":
        assert v.gap <= 0
    else:
        assert v.gap >= 0


@given(st.lists(st.sampled_from(["met", "not_met", None]), min_size=1, max_size=6))
def test_roll_up_met_iff_all_met(verdicts: list[str | None]) -> None:
    ms = [MeasureVerdict(f"1{chr(97 + i)}", 2025, 1.0, 1.0, v, 0.0) for i, v in enumerate(verdicts)]  # type: ignore[arg-type]
    r = roll_up(1, ms)
    assert (r.verdict == "met") == all(v == "met" for v in verdicts)
    assert (r.verdict == "not_met") == ("not_met" in verdicts)


@given(comparisons, st.floats(min_value=0.01, max_value=100), st.integers(2021, 2024), values)
def test_outlook_at_rate_zero_is_latest(comparison: str, value: float, start: int, target: float) -> None:
    m = _m(comparison, {2025: 50.0, 2030: target}, unit="x", scale=1000)
    o = outlook(m, {start: value, 2025: value}, 2025)
    assert o is not None
    assert o.rate == 0 and o.projected == round_sig(value)
    assert o.on_track == m.meets(round_sig(value), round_sig(target))


@given(st.floats(min_value=0.001, max_value=1000), values, st.integers(2021, 2024))
def test_outlook_moves_with_the_observed_direction(base: float, latest: float, start: int) -> None:
    o = outlook(_m(">=", unit="x", scale=1000), {start: base, 2025: latest}, 2025)
    assert o is not None
    if latest > base:
        assert o.projected >= round_sig(latest)
    elif latest < base:
        assert o.projected <= round_sig(latest)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 4))
def test_format_decimal_round_trips(x: float, decimals: int) -> None:
    text = format_decimal(x, decimals)
    back = float(text.replace(".", "").replace(",", "."))
    assert back == pytest.approx(round_sig(x), abs=0.5 * 10**-decimals + 1e-9 * abs(x))
    assert text.count(",") == (1 if decimals else 0)


def test_a_value_just_under_a_strict_target_never_prints_as_the_target(plan: Plan) -> None:
    """8,96 against «Dưới 9» (measure 3b's kind of target) must not read «9,0», nor its gap «0,0»."""
    from xltoolkit.plan.review import format_gap, format_value

    m = next(m for m in plan.measures if m.comparison == "<" and 9.0 in m.targets.values())
    assert format_value(m, 8.999) not in ("9,0", "9,00", "9,000")
    assert format_value(m, 8.999).startswith("8,99")
    assert format_gap(m, -0.001) != "vượt 0,0 " + ("điểm phần trăm" if m.unit == "%" else m.unit)
    from xltoolkit.plan.review import format_decimal, measure_decimals

    assert format_value(m, 12.5) == format_decimal(12.5, measure_decimals(m))  # far from it: as usual
