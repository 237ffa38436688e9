"""Numbers typed as text: work out what the officer most likely meant, so the message can say it.

A value pasted over data validation, or typed into a cell formatted as text, arrives as a string
("9,5", "1.234", "95%", " 12 "). The validator never uses such a value (guessing silently could turn
1.234 into 1,234 or into 1234): it reports an error whose message names the number we think was meant,
and the officer retypes it. Vietnamese convention is assumed first: '.' groups thousands, ',' is the
decimal mark; a form that is only valid the English way (12.5, 1,234.5) is read the English way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Whitespace that Excel users paste in: ordinary, no-break, narrow no-break, thin, figure space.
_SPACES = "\u00a0\u202f\u2009\u2007\u200b\ufeff\t\r\n "
_MINUS = "-\u2212\u2013"

_PLAIN = re.compile(r"^\d+$")
_DOT_GROUPS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 1.234 / 1.234.567
_COMMA_GROUPS = re.compile(r"^\d{1,3}(,\d{3})+$")  # 1,234 / 1,234,567
_SPACE_GROUPS = re.compile(r"^\d{1,3}( \d{3})+$")  # 1 234 567
_VI_DECIMAL = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+),\d+$")  # 9,5 / 1.234,5
_EN_DECIMAL = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)\.\d+$")  # 12.5 / 1,234.5
_SPACE_DECIMAL = re.compile(r"^\d{1,3}( \d{3})+[.,]\d+$")  # 1 234,5


@dataclass(frozen=True)
class TextNumber:
    """The number a text most likely means, and whether the text looked like a percentage."""

    value: float
    percent: bool = False
    ambiguous: bool = False


def parse_number_text(text: str, *, whole: bool = False) -> TextNumber | None:
    """Read a number out of text typed by an officer; None when it is not a number at all.

    `whole` says the cell holds a count: then '1,234' is read as one thousand two hundred and
    thirty-four (a count cannot be 1.234), otherwise as the Vietnamese decimal 1,234.
    """
    s = text.strip(_SPACES)
    for ch in "\u00a0\u202f\u2009\u2007":
        s = s.replace(ch, " ")
    percent = False
    if s.endswith("%"):
        percent = True
        s = s[:-1].strip(_SPACES)
    sign = 1.0
    if s[:1] in _MINUS:
        sign, s = -1.0, s[1:].strip(_SPACES)
    elif s[:1] == "+":
        s = s[1:].strip(_SPACES)
    if not s or len(s) > 40:
        return None
    ambiguous = False
    if _PLAIN.match(s):
        value = float(s)
    elif _DOT_GROUPS.match(s):
        value = float(s.replace(".", ""))
        ambiguous = s.count(".") == 1 and not whole
    elif _COMMA_GROUPS.match(s):
        if whole:
            value = float(s.replace(",", ""))
        else:
            value = float(s.replace(",", ".")) if s.count(",") == 1 else float(s.replace(",", ""))
        ambiguous = s.count(",") == 1
    elif _SPACE_GROUPS.match(s):
        value = float(s.replace(" ", ""))
    elif _VI_DECIMAL.match(s):
        value = float(s.replace(".", "").replace(",", "."))
    elif _EN_DECIMAL.match(s):
        value = float(s.replace(",", ""))
    elif _SPACE_DECIMAL.match(s):
        value = float(s.replace(" ", "").replace(",", "."))
    else:
        return None
    if not math.isfinite(value):
        return None
    return TextNumber(sign * value, percent=percent, ambiguous=ambiguous)


def format_vi(value: float) -> str:
    """A number the Vietnamese way, as the officer would type it: 1234,5 (no thousands grouping).

    No grouping because a typed '.' is exactly the mistake we are correcting. Whole numbers are
    written out in full up to 10^22 (every one a float holds exactly), never as «1e+20».
    """
    if value == int(value) and abs(value) < 1e22:
        return f"{value + 0.0:.0f}"  # + 0.0: -0.0 reads 0
    return format(value, ".10g").replace(".", ",")


def format_vi_grouped(value: float, decimals: int = 2) -> str:
    """A number for reading (not typing): 1.234,56 — used for rates and expected values in messages."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}"
    if "." in text:  # only a fraction's trailing zeros go: 1e20 with no decimals keeps its own
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
