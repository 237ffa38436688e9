"""The input-name scheme: every cell an officer fills has a workbook-level defined name.

Readers find inputs by name, never by position, so a template can change its layout without breaking
the reader, the integrity checks, the add-in or the sample generator. This module is the one place
that knows how a name is spelt.
"""

from __future__ import annotations

import re

NUMERATOR = "TU"
DENOMINATOR = "MAU"
SOURCE = "NGUON"
NOTES = "GHICHU"
TASK = "NV"
#: Per data element: its value, its status («Không có số liệu», ...) and the note giving the reason.
ELEMENT = "SL"
STATUS = "TT"
REASON = "LYDO"
#: Per validation rule: the check cell reading «Sai: ...» while the rule is broken (a formula, not an input).
CHECK = "KT"
#: The data sheet's line counting broken rules.
CHECK_SUMMARY = "KT_TONG"

BUDGET_STATE = "KP_NSNN"
BUDGET_MOBILISED = "KP_HUYDONG"
DIFFICULTIES = "KHO_KHAN"
REPORTER = "NGUOI_LAP"
PHONE = "DIEN_THOAI"

#: Budget input name of each budget field of the input rules.
BUDGET_NAMES: dict[str, str] = {"budget_state": BUDGET_STATE, "budget_mobilised": BUDGET_MOBILISED}

#: Free-text inputs of the narrative sheet and the report attribute each one fills.
TEXT_NAMES: tuple[tuple[str, str], ...] = (
    (DIFFICULTIES, "difficulties"),
    (REPORTER, "reporter"),
    (PHONE, "phone"),
)

_PER_MEASURE = (NUMERATOR, DENOMINATOR, SOURCE, NOTES)

#: Any name this scheme can produce (integrity checks tell template names from the officer's own).
INPUT_NAME = re.compile(
    r"^(("
    + "|".join((*_PER_MEASURE, TASK))
    + r")_\w+|"
    + "|".join((BUDGET_STATE, BUDGET_MOBILISED, DIFFICULTIES, REPORTER, PHONE))
    + r")$"
)


#: Names of the data-element scheme (template version 2). Kept apart from INPUT_NAME on purpose: the
#: fingerprint covers the INPUT_NAME names only, so files of either version fingerprint alike; these
#: names are compared one by one on every file instead (deleted, #REF!, or pointed elsewhere:
#: `validation.name_checks.name_issues`).
ELEMENT_NAME = re.compile(r"^(" + "|".join((ELEMENT, STATUS, REASON, CHECK)) + r")_\w+$")


def numerator(code: str) -> str:
    return f"{NUMERATOR}_{code}"


def denominator(code: str) -> str:
    return f"{DENOMINATOR}_{code}"


def source(code: str) -> str:
    return f"{SOURCE}_{code}"


def notes(code: str) -> str:
    return f"{NOTES}_{code}"


def task(number: int) -> str:
    return f"{TASK}_{number}"


def measure_field(field: str, code: str) -> str:
    """The name of a measure's input by rule field ('numerator' or 'denominator')."""
    return numerator(code) if field == "numerator" else denominator(code)


def element(element_id: str) -> str:
    return f"{ELEMENT}_{element_id}"


def status(element_id: str) -> str:
    return f"{STATUS}_{element_id}"


def reason(element_id: str) -> str:
    return f"{REASON}_{element_id}"


def check(rule_id: str) -> str:
    return f"{CHECK}_{rule_id}"
