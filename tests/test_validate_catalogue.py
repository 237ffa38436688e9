"""One issue model: every code the validation package can emit is in the catalogue, with its severity
and Vietnamese message; an Issue with an unknown code cannot be built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import xltoolkit.validation as validation_pkg
from xltoolkit.issues import MESSAGES, SEVERITY, VARIANTS, Issue, issue
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation.schema import _checks
from xltoolkit.validation.validate import validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook

PACKAGE = Path(validation_pkg.__file__).parent
#: A code passed as a literal to whatever builds an issue: issue("…"), refuse("…"), Issue("…", …).
LITERAL = re.compile(r"""\b(?:issue|refuse|Issue)\(\s*["']([a-z][a-z0-9-]*)["']""")


def _emitted_literals() -> set[str]:
    codes: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        codes |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_code_the_validation_package_emits_is_in_the_catalogue(plan: Plan) -> None:
    literals = _emitted_literals()
    assert {"corrupt-zip", "meta-invalid", "duplicate-file", "name-missing"} <= literals  # the scan works
    checks = set(_checks(plan.checks))
    assert literals | checks <= set(MESSAGES)
    assert "validator-crashed" in MESSAGES
    assert set(SEVERITY) <= set(MESSAGES)
    assert {key.split(":")[0] for key in VARIANTS} <= set(MESSAGES)


def test_an_issue_with_an_unknown_code_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        issue("no-such-code")
    with pytest.raises(ValueError):
        Issue("no-such-code", "error", "x")
    with pytest.raises(ValueError):
        Issue("corrupt-zip", "fatal", "x")  # type: ignore[arg-type]
    found = issue("macro-enabled")
    assert found.severity == "warning" and not found.is_error and "macro" in found.message


def test_a_decimal_typed_as_text_into_a_count_asks_for_a_whole_count(
    tmp_path: Path, templates_dir: Path, plan: Plan
) -> None:
    tpl = templates_dir / template_filename(plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    values = clean_values(plan, "h-ben-luc", TEMPLATE_YEAR) | {"MAU_1": "14,2", "KP_NSNN": "12,5"}
    f = validate_workbook(fill_workbook(tpl, tmp_path / "x.xlsx", values), plan).files[0]
    communes = build_layout(plan, plan.agency("h-ben-luc"), TEMPLATE_YEAR).element_cells["communes_total"]
    count = next(i for i in f.issues if i.cell == communes.value and i.code == "number-as-text")  # MAU_1
    assert count.is_error and "14,2" in count.message  # shows what was typed …
    assert not re.search(r"gõ lại 14,2|gõ 14,2", count.message)  # … but never suggests retyping it
    assert "số nguyên" in count.message
    budget = next(i for i in f.issues if i.code == "number-as-text" and i.sheet != DATA_SHEET)
    assert "12,5" in budget.message.split("»", 1)[1]  # a decimal budget: the number meant is suggested
