"""The pandera schema of returned values, generated from the plan's input rules, run once per batch.

Each row of the batch frame is one numeric input of one file; its rule parameters (whole number,
minimum, may-not-exceed-partner, plausible maximum, scale) are filled from `rules.measure_rules()`,
`rules.BUDGET_RULES` and `rules.plausible_max()`, the same definitions that produce the Excel data
validation in the template. The schema's checks are named with the issue codes they raise, so a
failure maps straight back to (file, sheet, cell, code). One validate call covers every file of a run,
because pandera's fixed cost per call dwarfs its cost per row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from xltoolkit.plan.model import Checks

#: Issue code -> predicate over the batch frame (True = row passes). Order = reporting order.
CheckFn = Callable[[pd.DataFrame], pd.Series]


def _is_number(df: pd.DataFrame) -> pd.Series:
    return df["kind"] == "number"


def _checks(limits: Checks) -> dict[str, CheckFn]:
    rel, floor = limits.yoy_relative, limits.yoy_absolute_floor

    def yoy(df: pd.DataFrame) -> pd.Series:
        jump = (df["rate"] - df["prev"]).abs()
        allowed = np.maximum(rel * df["prev"].abs(), floor)
        return df["rate"].isna() | df["prev"].isna() | (jump <= allowed)

    return {
        "number-as-text": lambda df: df["kind"] != "text",
        "not-a-number": lambda df: df["kind"] != "other",
        "missing-value": lambda df: ~(df["required"] & (df["kind"] == "empty")),
        "negative-value": lambda df: ~_is_number(df) | (df["value"] >= df["minimum"]),
        "not-whole-number": lambda df: (
            ~_is_number(df) | ~df["whole"] | (df["value"] == np.floor(df["value"]))
        ),
        "value-out-of-range": lambda df: ~_is_number(df) | (df["value"].abs() <= df["vmax"]),
        # numerator ≤ denominator is a validation rule of the plan now (see `run_rule_checks`)
        "zero-denominator": lambda df: (
            ~((df["field"] == "measure") & df["has_den"] & (df["partner"] == 0) & (df["value"] > 0))
        ),
        "implausible-value": lambda df: df["rate"].isna() | df["pmax"].isna() | (df["rate"] <= df["pmax"]),
        "yoy-jump": yoy,
    }


#: What an input row may hold ("nodata": an element marked «Không có số liệu»; "measure": a rate row).
KINDS = ["number", "empty", "text", "other", "formula", "nodata", "measure"]

CHECKED_COLUMNS = [
    "field",
    "kind",
    "value",
    "partner",
    "minimum",
    "whole",
    "required",
    "le",
    "has_den",
    "rate",
    "pmax",
    "prev",
    "vmax",
]

_SCHEMAS: dict[tuple[float, float], tuple[pa.DataFrameSchema, list[str]]] = {}


def schema_for(limits: Checks) -> tuple[pa.DataFrameSchema, list[str]]:
    """The schema for a plan's check settings (built once; the rule parameters travel in the rows)."""
    key = (limits.yoy_relative, limits.yoy_absolute_floor)
    if key not in _SCHEMAS:
        checks = _checks(limits)
        schema = pa.DataFrameSchema(
            {
                "kind": pa.Column(str, pa.Check.isin(KINDS)),
                "value": pa.Column(float, nullable=True),
                "partner": pa.Column(float, nullable=True),
                "minimum": pa.Column(float),
                "whole": pa.Column(bool),
                "required": pa.Column(bool),
                "le": pa.Column(bool),
                "has_den": pa.Column(bool),
                "rate": pa.Column(float, nullable=True),
                "pmax": pa.Column(float, nullable=True),
                "prev": pa.Column(float, nullable=True),
                "vmax": pa.Column(float),
            },
            checks=[pa.Check(fn, name=code, error=code) for code, fn in checks.items()],
            strict=False,
            coerce=False,
        )
        _SCHEMAS[key] = (schema, list(checks))
    return _SCHEMAS[key]


def add_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Recompute each measure's value from its elements (never from cached results); an element's
    own value is its «rate» for the year-on-year check.

    Only where both are usable numbers: non-negative, denominator > 0, and numerator ≤ denominator
    for proportions; otherwise the value is left empty (the row's errors, or no data, say why).
    """
    measure = df["field"] == "measure"
    element = df["field"] == "element"
    value, partner = df["value"], df["partner"]
    has_den = df["has_den"]
    ok = measure & value.notna() & (value >= 0) & (value <= df["vmax"])
    ok &= ~has_den | (partner.notna() & (partner <= df["vmax"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(partner > 0, value / partner * df["scale"], np.nan)
    rate = np.where(has_den, ratio, value)
    ok &= ~df["le"] | partner.isna() | (value <= partner)
    own = element & (df["kind"] == "number") & (value >= 0) & (value <= df["vmax"])
    rate = np.where(own, value, rate)
    df["rate"] = np.where((ok | own) & np.isfinite(rate), rate, np.nan).astype(float)
    return df


# ------------------------------------------------------------------------------ validation rules

#: Operator codes of the rule frame (a small int column, compared vectorised).
OPERATOR_CODES = {"<": 0, "<=": 1, "==": 2, ">=": 3, ">": 4}
_EPS = 1e-9  # as in plan.expressions: absorbs binary rounding of sums of decimals only


def _rule_holds(df: pd.DataFrame) -> pd.Series:
    """True where the rule holds or cannot be judged (a side unknown), the plan's evaluator's way."""
    left, right, op = df["left"], df["right"], df["op"]
    holds = np.select(
        [op == 0, op == 1, op == 2, op == 3, op == 4],
        [
            left < right - _EPS,
            left <= right + _EPS,
            (left - right).abs() <= _EPS,
            left >= right - _EPS,
            left > right + _EPS,
        ],
        default=True,
    )
    return left.isna() | right.isna() | pd.Series(holds, index=df.index)


_RULE_SCHEMA = pa.DataFrameSchema(
    {
        "left": pa.Column(float, nullable=True),
        "right": pa.Column(float, nullable=True),
        "op": pa.Column(int, pa.Check.isin(list(OPERATOR_CODES.values()))),
    },
    checks=[pa.Check(_rule_holds, name="rule-violated", error="rule-violated")],
    strict=False,
    coerce=False,
)


def run_rule_checks(df: pd.DataFrame) -> list[int]:
    """The plan's validation rules over every file of the batch in one pandera call: one row per
    (file, rule) with both sides summed from the file's elements; returns the broken rows."""
    if df.empty:
        return []
    try:
        _RULE_SCHEMA.validate(df[["left", "right", "op"]], lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[(fc["check"] == "rule-violated") & fc["index"].notna()]
        return sorted({int(i) for i in fc["index"]})
    return []


def run_checks(df: pd.DataFrame, limits: Checks) -> list[tuple[int, str]]:
    """Validate the whole batch in one pandera call; returns deduplicated (row position, code)."""
    if df.empty:
        return []
    schema, order = schema_for(limits)
    try:
        # Only the columns the checks read: pandera reports each failing row once per column.
        schema.validate(df[CHECKED_COLUMNS], lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["check"].isin(order) & fc["index"].notna()]
        pairs = fc[["index", "check"]].drop_duplicates()
        rank = {c: i for i, c in enumerate(order)}
        out = sorted(
            ((int(i), str(c)) for i, c in pairs.itertuples(index=False)), key=lambda t: (t[0], rank[t[1]])
        )
        return out
    return []
