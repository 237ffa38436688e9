"""Target status (Open SDG progress measure): every category, its boundaries, and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from xltoolkit.plan.model import Measure, Plan
from xltoolkit.plan.status import ZERO_SUBSTITUTE, assess, category


def measure(
    comparison: str = ">=", targets: dict[int, float] | None = None, standing: float | None = None
) -> Measure:
    return Measure(
        code="1",
        name="Tỷ lệ thử",
        unit="%",
        scale=100,
        comparison=comparison,
        targets=targets if targets is not None else {2025: 146.41},
        standing_target=standing,
        numerator="Tử số",
        denominator="Mẫu số",
    )


RANK = {
    "deterioration": 0,
    "limited_progress": 1,
    "moderate_progress": 2,
    "substantial_progress": 3,
    "target_achieved": 4,
}


# ----------------------------------------------------------------------------- achieved / not met


@pytest.mark.parametrize(
    ("comparison", "latest", "achieved"),
    [
        ("<", 9.5, False),  # strict: the target value itself does not meet "dưới 9,5"
        ("<", 9.49, True),
        ("<=", 9.5, True),
        ("<=", 9.51, False),
        (">=", 9.5, True),
        (">=", 9.49, False),
    ],
)
def test_strict_and_non_strict_at_the_target_value(comparison: str, latest: float, achieved: bool) -> None:
    m = measure(comparison, {2025: 9.5})
    r = assess(m, {2021: 12.0 if comparison != ">=" else 5.0, 2024: latest}, 2024)
    assert (r.status == "target_achieved") is achieved
    assert (r.milestone_year, r.target, r.latest_year, r.latest) == (2025, 9.5, 2024, latest)


def test_float_noise_at_the_target_counts_as_the_target() -> None:
    # 3 × 0.1 is 0.30000000000000004 in binary floating point; it must meet "không quá 0,3".
    m = measure("<=", {2025: 0.3})
    assert assess(m, {2021: 1.0, 2022: 3 * 0.1}, 2022).status == "target_achieved"
    strict = measure("<", {2025: 0.3})
    assert assess(strict, {2021: 1.0, 2022: 3 * 0.1}, 2022).status != "target_achieved"


def test_achieved_with_a_single_year() -> None:
    assert assess(measure(), {2024: 150.0}, 2024).status == "target_achieved"


def test_not_available_cases() -> None:
    m = measure()
    assert assess(m, {}, 2024).status == "not_available"
    one = assess(m, {2024: 100.0}, 2024)
    assert one.status == "not_available" and one.latest == 100.0 and one.ratio is None
    no_target = measure(targets={})
    assert assess(no_target, {2021: 1.0, 2022: 2.0}, 2022).status == "not_available"
    # values after the assessed year and non-finite values are ignored
    assert assess(m, {2024: 100.0, 2025: 120.0, 2023: math.nan}, 2024).status == "not_available"


# ------------------------------------------------------------------------------------- boundaries
# Higher is better: base 100 in 2021, target 146.41 = 100 × 1.1⁴ in 2025, so CAGR_req = 0.1 and,
# with the latest value in 2022, R = (latest/100 − 1) / 0.1.


@pytest.mark.parametrize(
    ("latest", "status"),
    [
        (109.5, "substantial_progress"),  # R = 0.95 exactly
        (109.49, "moderate_progress"),
        (106.0, "moderate_progress"),  # R = 0.60 exactly
        (105.99, "limited_progress"),
        (100.0, "limited_progress"),  # R = 0 exactly
        (99.99, "deterioration"),
        (140.0, "substantial_progress"),
    ],
)
def test_ratio_boundaries_higher_is_better(latest: float, status: str) -> None:
    r = assess(measure(">="), {2021: 100.0, 2022: latest}, 2022)
    assert r.status == status
    assert r.cagr_required == pytest.approx(0.1)
    assert r.cagr_observed == pytest.approx(latest / 100 - 1)
    assert r.ratio == pytest.approx((latest / 100 - 1) / 0.1)
    assert (r.base_year, r.base, r.latest_year, r.milestone_year) == (2021, 100.0, 2022, 2025)


@pytest.mark.parametrize(
    ("latest", "status"),
    [
        (90.5, "substantial_progress"),  # fell 9.5 %: R = 0.95
        (90.51, "moderate_progress"),
        (94.0, "moderate_progress"),  # R = 0.60
        (94.01, "limited_progress"),
        (100.0, "limited_progress"),  # R = 0
        (100.01, "deterioration"),
    ],
)
def test_ratio_boundaries_lower_is_better(latest: float, status: str) -> None:
    # target 65.61 = 100 × 0.9⁴ in 2025: CAGR_req = −0.1, d = −1
    m = measure("<=", {2025: 65.61})
    r = assess(m, {2021: 100.0, 2022: latest}, 2022)
    assert r.status == status
    assert r.cagr_required == pytest.approx(-0.1)
    assert r.ratio == pytest.approx(-(latest / 100 - 1) / 0.1)


def test_category_thresholds() -> None:
    assert [category(x) for x in (0.95, 0.9499999, 0.6, 0.5999999, 0.0, -1e-12)] == [
        "substantial_progress",
        "moderate_progress",
        "moderate_progress",
        "limited_progress",
        "limited_progress",
        "deterioration",
    ]


def test_base_met_latest_not_is_deterioration() -> None:
    m = measure(">=", {2025: 80.0})
    r = assess(m, {2021: 85.0, 2022: 90.0, 2023: 79.0}, 2023)
    assert r.status == "deterioration"
    assert (r.base, r.latest) == (85.0, 79.0)


def test_required_growth_zero_does_not_divide_by_zero() -> None:
    # "dưới 9,5" with a base of exactly 9.5: not met, and CAGR_req = 0.
    m = measure("<", {2025: 9.5})
    same = assess(m, {2021: 9.5, 2022: 9.5}, 2022)
    assert same.status == "limited_progress" and same.ratio is None and same.cagr_required == 0
    worse = assess(m, {2021: 9.5, 2022: 10.0}, 2022)
    assert worse.status == "deterioration" and worse.ratio is None


def test_middle_years_do_not_matter_only_base_and_latest() -> None:
    m = measure()
    a = assess(m, {2021: 100.0, 2022: 50.0, 2023: 112.0}, 2023)
    b = assess(m, {2021: 100.0, 2023: 112.0}, 2023)
    assert a == b
    assert a.cagr_observed == pytest.approx(math.sqrt(1.12) - 1)


def test_standing_target_is_due_at_the_latest_year() -> None:
    m = measure(">=", targets={}, standing=100.0)
    r = assess(m, {2021: 81.0, 2023: 90.0}, 2023)
    assert r.milestone_year is None and r.target == 100.0
    req = (100 / 81) ** (1 / 2) - 1  # T = latest year 2023
    obs = (90 / 81) ** (1 / 2) - 1
    assert r.cagr_required == pytest.approx(req)
    assert r.ratio == pytest.approx(obs / req)
    assert r.status == "limited_progress"  # R ≈ 0.49


def test_past_milestone_is_due_at_the_latest_year() -> None:
    m = measure(">=", {2025: 95.0})
    r = assess(m, {2021: 80.0, 2027: 90.0}, 2027)
    assert (r.milestone_year, r.target) == (2025, 95.0)
    assert r.cagr_required == pytest.approx((95 / 80) ** (1 / 6) - 1)


def test_next_milestone_is_used_before_it_is_due(plan: Plan) -> None:
    m = plan.measure_by_code["1"]  # 80 % by 2025, 85 % by 2030
    r = assess(m, {2021: 60.0, 2026: 82.0}, 2026)
    assert (r.milestone_year, r.target) == (2030, 85.0)
    assert r.cagr_required == pytest.approx((85 / 60) ** (1 / 9) - 1)


def test_zero_base_is_replaced() -> None:
    m = measure(">=", {2025: 10.0})
    r = assess(m, {2021: 0.0, 2022: 1.0}, 2022)
    assert r.cagr_observed == pytest.approx(1.0 / ZERO_SUBSTITUTE - 1)
    assert r.cagr_required == pytest.approx((10.0 / ZERO_SUBSTITUTE) ** 0.25 - 1)
    assert r.status == "substantial_progress"


# ------------------------------------------------------------------------------------- properties

values = st.integers(min_value=0, max_value=100_000).map(lambda i: i / 100)
comparisons = st.sampled_from(["<", "<=", ">="])


@given(comparisons, values, values, values, st.integers(2021, 2024), st.integers(2025, 2030))
def test_achieved_iff_latest_meets(
    cmp: str, base: float, latest: float, target: float, t0: int, ty: int
) -> None:
    m = measure(cmp, {ty: target})
    r = assess(m, {t0: base, 2025: latest}, 2025)
    assert (r.status == "target_achieved") == m.meets(latest, target)
    assert r.status in RANK  # two years of data: never not_available


@given(comparisons, values, values, values, values)
def test_status_is_monotonic_in_the_latest_value(
    cmp: str, base: float, a: float, b: float, target: float
) -> None:
    assume(a != b)
    m = measure(cmp, {2030: target})
    lo, hi = sorted((a, b))
    s_lo = assess(m, {2021: base, 2024: lo}, 2024).status
    s_hi = assess(m, {2021: base, 2024: hi}, 2024).status
    if m.higher_is_better:
        assert RANK[s_hi] >= RANK[s_lo]
    else:
        assert RANK[s_lo] >= RANK[s_hi]


@given(comparisons, values, values, values)
def test_ratio_sign_follows_the_direction_of_change(
    cmp: str, base: float, latest: float, target: float
) -> None:
    m = measure(cmp, {2030: target})
    r = assess(m, {2021: base, 2024: latest}, 2024)
    if r.ratio is None:
        return
    improved = latest > base if m.higher_is_better else latest < base
    if improved:
        assert r.ratio > 0
    elif latest == base:
        assert r.ratio == 0
    else:
        assert r.ratio < 0
