"""Release testing: `templates --out` pointed at a folder of returned files keeps every report."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename

from .corpus import clean_values, fill_workbook

YEAR = 2024
AGENCY, OTHER = "h-ben-luc", "h-duc-hoa"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_returned_report_under_the_templates_name_is_kept(tmp_path: Path, plan: Plan) -> None:
    blank = tmp_path / "blank"
    (tpl,) = generate_templates(plan, YEAR, blank, [AGENCY], secret=None, password=None)
    returned = tmp_path / "nhan-ve"
    name = template_filename(plan.agency(AGENCY), YEAR)
    report = fill_workbook(tpl.path, returned / name, clean_values(plan.for_year(YEAR), AGENCY, YEAR))
    (returned / template_filename(plan.agency(OTHER), YEAR)).write_bytes(b"not a workbook at all")
    before = {p.name: _sha(p) for p in returned.iterdir()}
    with pytest.raises(XltoolkitError) as err:
        generate_templates(plan, YEAR, returned, [AGENCY, OTHER, "so-yt"], secret=None, password=None)
    assert err.value.code == "template-over-report"
    assert {p.name: _sha(p) for p in returned.iterdir() if p.name in before} == before
    assert (returned / template_filename(plan.agency("so-yt"), YEAR)).exists()  # the others are written
    assert _sha(report) == before[name]


def test_a_blank_template_is_simply_made_again(tmp_path: Path, plan: Plan) -> None:
    generate_templates(plan, YEAR, tmp_path, [AGENCY], secret=None, password=None)
    (again,) = generate_templates(plan, YEAR, tmp_path, [AGENCY], secret=None, password=None)
    assert again.path.exists()
