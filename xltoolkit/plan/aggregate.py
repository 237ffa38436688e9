"""Provincial figures from reported values: pure functions on DataFrames, no I/O.

The provincial rate of a measure is Σ numerators / Σ denominators × scale over the districts whose
figure can be used — never the average of district rates, which would weigh a district of 2,000
children like one of 200,000. The lead department's province-wide figure, where it reported one, is
the official value; the district aggregate stays beside it and a relative gap beyond the plan's
reconciliation tolerance is flagged for the officer.

A unit that marked a measure's figure «Không có số liệu» (``no_data``) is left out of both sums, like
a unit whose figure has an error, and the figure says how many units it covers (`reporting` of
`expected`), so a provincial value from partial coverage can be shown as such.

Input frame (one row per agency, year and measure; the shape of `FileReport.values`):
``agency, year, code, numerator, denominator, blocked[, no_data]`` (other columns are ignored).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xltoolkit.errors import PlanError
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import SIGNIFICANT_DIGITS, round_sig

VALUE_COLUMNS = ("agency", "year", "code", "numerator", "denominator", "value", "blocked", "no_data")

#: The largest count or value that takes part in a sum. No count of children or of communes comes
#: near it, and a sum of a thousand such rows stays finite, so one absurd input (1e308) is left out
#: (listed as excluded) instead of turning the province's figure into infinity or NaN.
MAX_MAGNITUDE = 1e12


@dataclass
class Figure:
    """Provincial figure of one measure in one year, with what it was computed from."""

    code: str
    year: int
    value: float | None
    district_aggregate: float | None
    department_value: float | None
    source: str  # "department" | "districts" | "none"
    numerator_sum: float | None = None
    denominator_sum: float | None = None
    districts_used: list[str] = field(default_factory=list)
    districts_excluded: list[str] = field(default_factory=list)
    reconciliation_flag: bool = False
    #: Districts that marked the figure «Không có số liệu» (left out of both sums, not an error).
    districts_no_data: list[str] = field(default_factory=list)
    #: Units whose figure the official value covers, of those expected (see `coverage_counts`).
    reporting: int = 0
    expected: int = 0

    @property
    def partial(self) -> bool:
        return self.reporting < self.expected


def rate(
    numerator: float | None, denominator: float | None, scale: float, *, has_denominator: bool
) -> float | None:
    """A measure's value from its counts; None when it cannot be computed.

    Multiplies before dividing (``num × scale / den``) so whole-number inputs such as 95 of 1000
    per 100 give exactly 9.5, which matters for strict targets like "< 9.5".
    """
    if numerator is None or not math.isfinite(numerator):
        return None
    if not has_denominator:
        return _finite(round_sig(float(numerator)))
    if denominator is None or not math.isfinite(denominator) or denominator <= 0:
        return None
    return _finite(round_sig(float(numerator) * scale / float(denominator)))


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def empty_values() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agency": pd.Series([], dtype=object),
            "year": pd.Series([], dtype="int64"),
            "code": pd.Series([], dtype=object),
            "numerator": pd.Series([], dtype="float64"),
            "denominator": pd.Series([], dtype="float64"),
            "value": pd.Series([], dtype="float64"),
            "blocked": pd.Series([], dtype=bool),
            "no_data": pd.Series([], dtype=bool),
        }
    )


def normalise(values: pd.DataFrame) -> pd.DataFrame:
    """Coerce the columns used here to plain dtypes (readers differ: ints, floats, objects)."""
    if values is None or len(values) == 0:
        return empty_values()
    year = pd.to_numeric(values["year"], errors="coerce")
    values = values[year.notna() & values["agency"].notna()]  # a row without year or agency counts nowhere
    if len(values) == 0:
        return empty_values()
    df = pd.DataFrame(
        {
            "agency": values["agency"].astype(object),
            "year": pd.to_numeric(values["year"], errors="coerce").astype("int64"),
            "code": values["code"].astype(str).astype(object),
            "numerator": pd.to_numeric(values["numerator"], errors="coerce").astype("float64"),
            "denominator": pd.to_numeric(values["denominator"], errors="coerce").astype("float64"),
            "blocked": values["blocked"].fillna(False).astype(bool)
            if "blocked" in values
            else pd.Series(False, index=values.index),
            "no_data": values["no_data"].fillna(False).astype(bool)
            if "no_data" in values
            else pd.Series(False, index=values.index),
        }
    )
    return df.reset_index(drop=True)


def with_values(values: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Recompute each row's value from its counts (never trust a cached formula result)."""
    df = normalise(values)
    measures = plan.measure_by_code
    # looked up per measure, not per row: a national year has over 100,000 rows of 35 measures
    scale = df["code"].map({c: float(m.scale) for c, m in measures.items()}).astype("float64")
    has_den = df["code"].isin([c for c, m in measures.items() if m.denominator])
    num, den = df["numerator"], df["denominator"]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = (num * scale / den).where(den > 0)
    value = ratio.where(has_den, num)
    value = value.where(np.isfinite(value.astype("float64")))
    df["value"] = round_sig_array(value.to_numpy(dtype="float64", copy=True))
    df["usable"] = _usable(df, has_den)
    return df


def round_sig_array(values: np.ndarray) -> np.ndarray:
    """`round_sig` of each value, in place (NaN stays NaN), formatted here rather than through a call
    per value. A whole number below 10¹² is already its own 12-significant-digit form."""
    with np.errstate(invalid="ignore"):
        whole = (values == np.trunc(values)) & (np.abs(values) < 10.0**SIGNIFICANT_DIGITS)
    todo = np.flatnonzero(np.isfinite(values) & ~whole)
    spec = f".{SIGNIFICANT_DIGITS}g"  # round_sig's own formatting, for the finite non-zero values
    values[todo] = [float(format(x, spec)) for x in values[todo].tolist()]
    return values


def _usable(df: pd.DataFrame, has_den: pd.Series) -> pd.Series:
    """A row counts when not blocked, not marked no data, and its counts are whole: numerator ≥ 0
    and, for rates, a denominator ≥ 0 that is positive unless the numerator is 0 (a district with
    no births and no deaths adds nothing to either sum, but it did report);
    no count beyond `MAX_MAGNITUDE`."""
    num, den = df["numerator"], df["denominator"]
    ok_num = num.notna() & (num >= 0) & (num <= MAX_MAGNITUDE)
    ok_den = den.notna() & (den >= 0) & (den <= MAX_MAGNITUDE) & ((den > 0) | (num == 0))
    ok_value = df["value"].notna() | (has_den & (den == 0))  # a value computed is finite
    return (~df["blocked"]) & (~df["no_data"]) & ok_num & (ok_den | ~has_den) & ok_value


def year_plan(plan: Plan, year: int) -> Plan:
    """The plan in force in `year` (its edition's units and leads); the plan itself for a year no
    edition covers, so a stray year in old values counts as it always did."""
    try:
        return plan.for_year(year)
    except PlanError:
        return plan


def local_units(plan: Plan, years: list[int]) -> dict[int, frozenset[str]]:
    """year -> the reporting units (districts to 2024, communes from 2025) in force that year."""
    return {y: frozenset(a.id for a in year_plan(plan, y).districts) for y in years}


def _years(df: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in df["year"].unique())


def district_aggregates(values: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], Figure]:
    """Σ numerators / Σ denominators × scale per (year, measure) over the units in force that year
    (each year of a series across the 2025 change is summed over the units that reported then).

    Districts whose row is blocked (a blocking error on that measure) or unusable are left out of
    both sums and listed in `districts_excluded`; those that marked it no data are left out too and
    listed in `districts_no_data`; districts that sent nothing are simply absent. `reporting` counts
    the districts used, of all the plan's districts (`expected`).
    """
    return _district_aggregates(with_values(values, plan), plan)


def _district_aggregates(df: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], Figure]:
    """`district_aggregates` of rows that already went through `with_values`."""
    units = local_units(plan, _years(df))
    local = pd.Series(False, index=df.index)
    for y, ids in units.items():
        local |= (df["year"] == y) & df["agency"].isin(ids)
    # in (year, code) order, each group's rows in their own order: the order pandas' groupby gives,
    # so each sum adds the same numbers in the same order (a float sum depends on it), without a
    # frame per group (35 measures × each year)
    df = df[local & df["code"].isin(plan.measure_by_code)].sort_values(["year", "code"], kind="stable")
    years, codes, agencies = df["year"].to_numpy(), df["code"].to_numpy(), df["agency"].to_numpy()
    num, den = df["numerator"].to_numpy(), df["denominator"].to_numpy()
    usable, no_data = df["usable"].to_numpy(), df["no_data"].to_numpy()
    starts = np.flatnonzero((years[1:] != years[:-1]) | (codes[1:] != codes[:-1])) + 1
    out: dict[tuple[int, str], Figure] = {}
    for lo, hi in itertools.pairwise([0, *starts.tolist(), len(df)] if len(df) else []):
        year, code = int(years[lo]), str(codes[lo])
        m = plan.measure_by_code[code]
        used, nd, names = usable[lo:hi], no_data[lo:hi], agencies[lo:hi]
        n_used = int(used.sum())
        num_sum = float(num[lo:hi][used].sum()) if n_used else None
        den_sum = float(den[lo:hi][used].sum()) if n_used and m.denominator else None
        agg = rate(num_sum, den_sum, m.scale, has_denominator=bool(m.denominator)) if n_used else None
        out[(year, code)] = Figure(
            code=code,
            year=year,
            value=agg,
            district_aggregate=agg,
            department_value=None,
            source="districts" if agg is not None else "none",
            numerator_sum=num_sum,
            denominator_sum=den_sum,
            districts_used=sorted(names[used].tolist()),
            districts_excluded=sorted(names[~used & ~nd].tolist()),
            districts_no_data=sorted(names[nd].tolist()),
            reporting=n_used,
            expected=len(units[year]),
        )
    return out


def department_values(values: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], float]:
    """The lead department's own province-wide value per (year, measure), where usable; the lead is
    the one of that year's edition (health took children's affairs over from labour in 2025)."""
    return _department_values(with_values(values, plan), plan)


def _department_values(df: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], float]:
    """`department_values` of rows that already went through `with_values`."""
    is_lead = pd.Series(False, index=df.index)
    for y in _years(df):
        leads = {c: ind.lead for c, ind in year_plan(plan, y).indicator_of.items()}
        of_year = df["year"] == y
        is_lead[of_year] = df.loc[of_year, "agency"] == df.loc[of_year, "code"].map(leads)
    df = df[is_lead & df["usable"] & df["value"].notna()]
    return {(int(y), c): float(v) for y, c, v in zip(df["year"], df["code"], df["value"], strict=True)}


def differs(department: float, aggregate: float, tolerance: float) -> bool:
    """Relative gap against the department's figure beyond `tolerance` (a zero department figure
    differs from any non-zero aggregate)."""
    gap = round_sig(abs(aggregate - department))
    return gap > round_sig(tolerance * abs(department))


def provincial_figures(values: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], Figure]:
    """Official provincial figure per (year, measure): department where reported, else districts."""
    return _provincial_figures(with_values(values, plan), plan)


def _provincial_figures(df: pd.DataFrame, plan: Plan) -> dict[tuple[int, str], Figure]:
    """`provincial_figures` of rows that already went through `with_values`."""
    figures = _district_aggregates(df, plan)
    tol = plan.checks.reconciliation_tolerance
    for key, dept in _department_values(df, plan).items():
        fig = figures.get(key)
        if fig is None:
            year, code = key
            expected = len(year_plan(plan, year).districts)
            fig = figures[key] = Figure(code, year, None, None, None, "none", expected=expected)
        fig.department_value = dept
        fig.value = dept
        fig.source = "department"
        # the official value is the department's own province-wide figure: it covers the province
        fig.reporting = fig.expected = 1
        if fig.district_aggregate is not None:
            fig.reconciliation_flag = differs(dept, fig.district_aggregate, tol)
    return figures


def series_by_code(figures: dict[tuple[int, str], Figure]) -> dict[str, dict[int, float]]:
    """code -> {year: official value} for trends and status."""
    out: dict[str, dict[int, float]] = {}
    for (year, code), fig in sorted(figures.items()):
        if fig.value is not None:
            out.setdefault(code, {})[year] = fig.value
    return out


def agency_series(values: pd.DataFrame, plan: Plan) -> dict[tuple[str, str], dict[int, float]]:
    """(agency, code) -> {year: own value} over usable rows: district trends and year-on-year checks."""
    return _agency_series(with_values(values, plan))


def _agency_series(df: pd.DataFrame) -> dict[tuple[str, str], dict[int, float]]:
    """`agency_series` of rows that already went through `with_values`."""
    df = df[df["usable"] & df["value"].notna()]
    out: dict[tuple[str, str], dict[int, float]] = {}
    for a, y, c, v in zip(df["agency"], df["year"].tolist(), df["code"], df["value"].tolist(), strict=True):
        out.setdefault((a, c), {})[y] = v
    return out


def small_number(denominator: float | None, minimum: float | None) -> bool:
    """A unit's rate rests on too few cases to judge: its denominator is below the plan's minimum."""
    if minimum is None or denominator is None or not math.isfinite(denominator):
        return False
    return denominator < minimum


def element_series(elements: pd.DataFrame) -> dict[tuple[str, str], dict[int, float]]:
    """(agency, element) -> {year: own value} over usable element values (not blocked, not no data):
    the history an element's year-on-year check compares with."""
    out: dict[tuple[str, str], dict[int, float]] = {}
    if elements is None or len(elements) == 0:
        return out
    value = pd.to_numeric(elements["value"], errors="coerce")
    ok = value.notna() & ~elements["blocked"].fillna(False).astype(bool)
    for a, y, e, v in zip(
        elements["agency"][ok], elements["year"][ok], elements["element"][ok], value[ok], strict=True
    ):
        if math.isfinite(float(v)) and abs(float(v)) <= MAX_MAGNITUDE:
            out.setdefault((str(a), str(e)), {})[int(y)] = float(v)
    return out


@dataclass
class Trends:
    """Accepted values of all years up to one, and the yearly series computed from them: what the
    status of a year, the summary's trend columns and the add-in's own-district trend are read from."""

    values: pd.DataFrame
    provincial: dict[str, dict[int, float]]  # code -> {year: official provincial value}
    by_agency: dict[tuple[str, str], dict[int, float]]  # (agency, code) -> {year: own value}
    figures: dict[tuple[int, str], Figure]


def trends(values: pd.DataFrame, plan: Plan) -> Trends:
    """The series of `values` (accepted rows of several years)."""
    return trends_and_rows(values, plan)[0]


def trends_and_rows(values: pd.DataFrame, plan: Plan) -> tuple[Trends, pd.DataFrame]:
    """`trends`, and `with_values` of `values` it was computed from: a caller that reads more from
    the rows (the year's no-data and small-number marks) need not compute them again."""
    df = with_values(values, plan)
    figures = _provincial_figures(df, plan)
    return Trends(values, series_by_code(figures), _agency_series(df), figures), df
