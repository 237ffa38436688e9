"""Provincial aggregation: Σ numerators / Σ denominators × scale, exclusions, reconciliation."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltoolkit.plan import aggregate
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import round_sig

YEAR = 2024  # the district edition (from 2025 communes report)


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (agency, code, numerator, denominator[, blocked])."""
    out = []
    for r in rows:
        agency, code, num, den = r[:4]
        blocked = r[4] if len(r) > 4 else False
        out.append(
            {
                "agency": agency,
                "year": YEAR,
                "code": code,
                "numerator": num,
                "denominator": den,
                "value": None,
                "blocked": blocked,
            }
        )
    return pd.DataFrame(out)


def test_sum_of_counts_not_average_of_rates(plan: Plan) -> None:
    df = frame([("tp-tan-an", "1", 10, 100), ("h-ben-luc", "1", 30, 200)])
    fig = aggregate.district_aggregates(df, plan)[(YEAR, "1")]
    assert fig.numerator_sum == 40 and fig.denominator_sum == 300
    assert fig.value == pytest.approx(40 / 300 * 100)
    assert fig.value != pytest.approx((10 + 15) / 2)
    assert fig.districts_used == ["h-ben-luc", "tp-tan-an"]
    assert fig.districts_excluded == []


def test_scale_per_measure(plan: Plan) -> None:
    # 3a is per 1,000 live births: 19 deaths of 2,000 births -> 9.5, exactly (multiply first)
    df = frame([("tp-tan-an", "3a", 7, 800), ("h-ben-luc", "3a", 12, 1200)])
    fig = aggregate.district_aggregates(df, plan)[(YEAR, "3a")]
    assert fig.value == 9.5


def test_blocked_and_unusable_districts_are_left_out_and_listed(plan: Plan) -> None:
    df = frame(
        [
            ("tp-tan-an", "1", 10, 100),
            ("h-ben-luc", "1", 90, 100, True),  # blocking error
            ("h-duc-hoa", "1", None, 100),  # numerator missing
            ("h-can-duoc", "1", 5, 0),  # numerator without denominator
            ("h-tan-tru", "1", 0, 0),  # nothing to count: reported, adds nothing
        ]
    )
    fig = aggregate.district_aggregates(df, plan)[(YEAR, "1")]
    assert fig.value == pytest.approx(10.0)
    assert fig.districts_used == ["h-tan-tru", "tp-tan-an"]
    assert fig.districts_excluded == ["h-ben-luc", "h-can-duoc", "h-duc-hoa"]


def test_departments_are_not_districts(plan: Plan) -> None:
    df = frame([("tp-tan-an", "1", 10, 100), ("so-ldtbxh", "1", 900, 1000)])
    fig = aggregate.district_aggregates(df, plan)[(YEAR, "1")]
    assert fig.districts_used == ["tp-tan-an"] and fig.value == pytest.approx(10.0)


def test_all_districts_blocked_gives_no_aggregate(plan: Plan) -> None:
    df = frame([("tp-tan-an", "1", 10, 100, True)])
    fig = aggregate.provincial_figures(df, plan)[(YEAR, "1")]
    assert fig.value is None and fig.source == "none" and fig.districts_excluded == ["tp-tan-an"]


@pytest.mark.parametrize(
    ("dept_num", "flag"),
    [
        (100, False),  # department 10.0 = districts 10.0
        (105, False),  # 10.5 vs 10.0: gap 0.5 < 5 % of 10.5 (0.525)
        (200, True),  # 20.0 vs 10.0
        (96, False),  # 9.6 vs 10.0: gap 0.4 < 0.48
        (95, True),  # 9.5 vs 10.0: gap 0.5 > 0.475
    ],
)
def test_department_is_official_and_reconciled(plan: Plan, dept_num: int, flag: bool) -> None:
    # measure 1 is led by so-ldtbxh; districts give 20/200 = 10 %
    df = frame([("tp-tan-an", "1", 10, 100), ("h-ben-luc", "1", 10, 100), ("so-ldtbxh", "1", dept_num, 1000)])
    fig = aggregate.provincial_figures(df, plan)[(YEAR, "1")]
    assert fig.source == "department"
    assert fig.value == fig.department_value == pytest.approx(dept_num / 10)
    assert fig.district_aggregate == pytest.approx(10.0)
    assert fig.reconciliation_flag is flag


def test_reconciliation_tolerance_boundary_is_not_flagged() -> None:
    # exactly 5 % of the department's figure: within tolerance
    assert not aggregate.differs(20.0, 21.0, 0.05)
    assert not aggregate.differs(20.0, 19.0, 0.05)
    assert aggregate.differs(20.0, 21.0000001, 0.05)
    assert aggregate.differs(0.0, 0.1, 0.05) and not aggregate.differs(0.0, 0.0, 0.05)


def test_non_lead_department_value_is_ignored(plan: Plan) -> None:
    df = frame([("tp-tan-an", "1", 10, 100), ("so-yt", "1", 900, 1000)])
    fig = aggregate.provincial_figures(df, plan)[(YEAR, "1")]
    assert fig.source == "districts" and fig.department_value is None


def test_blocked_department_falls_back_to_districts(plan: Plan) -> None:
    df = frame([("tp-tan-an", "1", 10, 100), ("so-ldtbxh", "1", 900, 1000, True)])
    fig = aggregate.provincial_figures(df, plan)[(YEAR, "1")]
    assert fig.source == "districts" and fig.value == pytest.approx(10.0)


def test_department_only(plan: Plan) -> None:
    df = frame([("so-yt", "3a", 19, 2000)])
    fig = aggregate.provincial_figures(df, plan)[(YEAR, "3a")]
    assert fig.source == "department" and fig.value == 9.5 and fig.district_aggregate is None


def test_series_and_agency_series(plan: Plan) -> None:
    df = pd.concat(
        [frame([("tp-tan-an", "1", 10, 100)]), frame([("tp-tan-an", "1", 20, 100)]).assign(year=YEAR - 1)]
    )
    figs = aggregate.provincial_figures(df, plan)
    assert aggregate.series_by_code(figs)["1"] == {YEAR: 10.0, YEAR - 1: 20.0}
    assert aggregate.agency_series(df, plan)[("tp-tan-an", "1")] == {YEAR: 10.0, YEAR - 1: 20.0}


def test_empty_input(plan: Plan) -> None:
    assert aggregate.provincial_figures(aggregate.empty_values(), plan) == {}


def test_validator_frame_with_missing_year_and_nullable_types(plan: Plan) -> None:
    from xltoolkit.validation.results import rows_frame

    df = rows_frame(
        [
            ("tp-tan-an", 2024, "1", 10, 100, None, "sổ", None, False),
            ("h-ben-luc", None, "1", 99, 100, None, None, None, False),
        ]
    )
    figs = aggregate.provincial_figures(df, plan)
    assert list(figs) == [(2024, "1")] and figs[(2024, "1")].districts_used == ["tp-tan-an"]


# ------------------------------------------------------------------------------------- properties

counts = st.tuples(st.integers(0, 5000), st.integers(1, 5000)).map(lambda t: (min(t), max(t)))


@settings(max_examples=60, deadline=None)
@given(st.lists(counts, min_size=1, max_size=15), st.randoms(use_true_random=False))
def test_aggregate_properties(plan: Plan, pairs: list[tuple[int, int]], rnd) -> None:
    ids = [d.id for d in plan.districts][: len(pairs)]
    rows = [(a, "1", n, d) for a, (n, d) in zip(ids, pairs, strict=False)]
    fig = aggregate.district_aggregates(frame(rows), plan)[(YEAR, "1")]
    num, den = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    assert fig.value == pytest.approx(num * 100 / den, rel=1e-11)
    rates = [n * 100 / d for n, d in pairs]
    assert min(rates) - 1e-9 <= fig.value <= max(rates) + 1e-9
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    again = aggregate.district_aggregates(frame(shuffled), plan)[(YEAR, "1")]
    assert again.value == fig.value
    assert again.districts_used == fig.districts_used


@given(st.lists(st.floats() | st.integers(-(10**13), 10**13).map(float), max_size=40))
def test_values_are_rounded_as_round_sig_rounds_each(xs: list[float]) -> None:
    """The row-wise rounding of `with_values` gives round_sig's number, bit for bit (-0.0, NaN, ∞)."""
    got = aggregate.round_sig_array(np.array(xs, dtype=np.float64)).tolist()
    for x, g in zip(xs, got, strict=True):
        want = round_sig(x)
        assert (g != g and want != want) or struct.pack("<d", g) == struct.pack("<d", want), x
