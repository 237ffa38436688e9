"""Done when: inconsistent figures typed in LibreOffice read «Sai» in the workbook's own check cell,
and the same saved file fails `validate` with `rule-violated` at those figures' cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltoolkit.demo import libreoffice
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation.validate import validate_workbook
from xltoolkit.workbook.layout import build_layout

from .conftest import TEMPLATE_YEAR
from .test_template_checks import consistent_values


@pytest.mark.libreoffice
def test_sai_in_the_workbook_and_rule_violated_in_validate(
    require_libreoffice, templates_dir: Path, plan: Plan, tmp_path: Path
) -> None:
    agency = plan.agency("h-ben-luc")
    lay = build_layout(plan, agency, TEMPLATE_YEAR)
    bad = dict(consistent_values(plan, agency.id), deaths_neonatal=30, deaths_u1=20)
    rule = "tu_vong_so_sinh_duoi_1_tuoi"
    saved = tmp_path / "bad.xlsx"
    job = {
        "path": str(templates_dir / template_filename(agency, TEMPLATE_YEAR)),
        "set": {f"SL_{k}": v for k, v in bad.items()} | {"KP_NSNN": 100, "KP_HUYDONG": 0},
        "read": [f"KT_{rule}", "KT_TONG"],
        "save_as": str(saved),
    }
    [out] = libreoffice.run_uno([job])
    assert str(out["values"][f"KT_{rule}"]).startswith("Sai")
    assert "có 1 quy tắc" in out["values"]["KT_TONG"]
    rep = validate_workbook(saved, plan, year=TEMPLATE_YEAR, secret=b"").files[0]
    assert rep.integrity_ok
    cells = {lay.element_cells[e].value for e in plan.rule_by_id[rule].elements}
    found = {i.cell for i in rep.issues if i.code == "rule-violated" and i.is_error}
    assert found == cells
    assert not rep.valid
