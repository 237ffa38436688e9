"""Numbers typed as text: what the officer most likely meant (property tests and the issue's examples)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.vn_numbers import format_vi, format_vi_grouped, parse_number_text


def vi_grouped(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.mark.parametrize(
    ("text", "whole", "value", "percent"),
    [
        ("9,5", False, 9.5, False),
        ("1.234", True, 1234, False),
        ("1.234", False, 1234, False),
        ("95%", True, 95, True),
        (" 12 ", True, 12, False),
        ("1.234.567", True, 1234567, False),
        ("1.234,5", False, 1234.5, False),
        ("12.5", False, 12.5, False),
        ("1,234", True, 1234, False),
        ("1,234", False, 1.234, False),
        ("1 234", True, 1234, False),
        ("\u00a012\u00a0", True, 12, False),
        ("12,5 %", False, 12.5, True),
        ("−5", True, -5, False),
    ],
)
def test_examples(text: str, whole: bool, value: float, percent: bool) -> None:
    got = parse_number_text(text, whole=whole)
    assert got is not None
    assert got.value == pytest.approx(value) and got.percent is percent


@pytest.mark.parametrize("text", ["", "   ", "abc", "nhiều", "1e5", "12abc", "1..2", "1,2,3,4.5.6", "%"])
def test_not_numbers(text: str) -> None:
    assert parse_number_text(text) is None


@given(st.integers(min_value=0, max_value=10**12), st.booleans())
def test_integers_plain_and_grouped_with_dots(n: int, whole: bool) -> None:
    for text in (str(n), vi_grouped(n), f"  {n} ", f"{vi_grouped(n)}\u00a0"):
        got = parse_number_text(text, whole=whole)
        assert got is not None and got.value == n and not got.percent


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=99))
def test_vietnamese_decimal_comma(units: int, cents: int) -> None:
    text = f"{vi_grouped(units)},{cents:02d}"
    got = parse_number_text(text)
    assert got is not None and got.value == pytest.approx(units + cents / 100)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=9))
def test_percent_sign_is_stripped_and_flagged(units: int, tenth: int) -> None:
    got = parse_number_text(f"{units},{tenth}%")
    assert got is not None and got.percent and got.value == pytest.approx(units + tenth / 10)


@given(st.text(alphabet="abcdefghđêôươ xyz", min_size=1, max_size=12))
def test_letters_are_never_numbers(text: str) -> None:
    assert parse_number_text(text) is None


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: round(x, 3)))
def test_format_vi_round_trips_through_the_parser(x: float) -> None:
    """What a message tells the officer to type is read back as the same number."""
    text = format_vi(x)
    assert "." not in text
    got = parse_number_text(text)
    assert got is not None and got.value == pytest.approx(x)


@given(st.integers(min_value=0, max_value=10**9))
def test_grouped_display_parses_back(n: int) -> None:
    got = parse_number_text(format_vi_grouped(float(n)), whole=True)
    assert got is not None and got.value == n


@given(st.integers(-(10**21), 10**21))
def test_whole_numbers_are_written_in_full(n: int) -> None:
    """A count typed as 100000000000000000000 is quoted back as typed, never as «1e+20»."""
    value = float(n)
    assert format_vi(value) == str(int(value))
