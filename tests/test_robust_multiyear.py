"""Release testing across years in one workspace: a past year's file arriving in this year's folder."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.consolidation.intake import consolidate
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename

from .corpus import clean_values, fill_workbook

AGENCY = "h-duc-hoa"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("robust-years")
    generate_templates(plan, 2024, out, [AGENCY], secret=None, password=None)
    tpl = out / template_filename(plan.agency(AGENCY), 2024)
    values = clean_values(plan.for_year(2024), AGENCY, 2024)
    first = fill_workbook(tpl, out / "first.xlsx", values)
    corrected = fill_workbook(tpl, out / "corrected.xlsx", values | {"TU_1": 0})
    return {"first": first, "corrected": corrected, "blank": tpl}


def _put(src: Path, dst: Path, when: float) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    os.utime(dst, (when, when))
    return dst


def _report_of_2024(tmp_path: Path, plan: Plan, files: dict[str, Path]) -> tuple[Path, float, Any]:
    """Đức Hòa's 2024 report, received an hour ago and consolidated: (workspace, now, result)."""
    ws, now = tmp_path / "ws", time.time()
    _put(files["first"], tmp_path / "2024" / "bao-cao-2024-h-duc-hoa.xlsx", now - 3600)
    return ws, now, consolidate(tmp_path / "2024", 2024, plan=plan, workspace=ws)


def test_a_past_years_file_in_this_years_folder_says_which_year_to_redo(
    tmp_path: Path, plan: Plan, files: dict[str, Path]
) -> None:
    ws, now, before = _report_of_2024(tmp_path, plan, files)
    _put(files["corrected"], tmp_path / "2026" / "duc-hoa-2024-sua.xlsx", now)
    res = CliRunner().invoke(
        main, ["consolidate", str(tmp_path / "2026"), "--year", "2026", "--workspace", str(ws)]
    )
    assert res.exit_code == 0, res.output
    (line,) = [ln for ln in res.output.splitlines() if ln.startswith("  duc-hoa-2024-sua.xlsx: ")]
    assert "--year 2024" in line
    after = consolidate(tmp_path / "2024", 2024, plan=plan, workspace=ws)
    agg = {m.code: m.district_aggregate for m in after.measures}
    assert agg["1"] == 0 != {m.code: m.district_aggregate for m in before.measures}["1"]
    states = {s.original_name: s.state for s in after.submissions}
    assert states == {"bao-cao-2024-h-duc-hoa.xlsx": "superseded", "duc-hoa-2024-sua.xlsx": "accepted"}


def test_a_blank_past_year_template_does_not_replace_that_years_report(
    tmp_path: Path, plan: Plan, files: dict[str, Path]
) -> None:
    ws, now, before = _report_of_2024(tmp_path, plan, files)
    _put(files["blank"], tmp_path / "2026" / "nham-mau-2024.xlsx", now)
    consolidate(tmp_path / "2026", 2026, plan=plan, workspace=ws)
    after = consolidate(tmp_path / "2024", 2024, plan=plan, workspace=ws)
    agg = {m.code: m.district_aggregate for m in before.measures}
    assert {m.code: m.district_aggregate for m in after.measures} == agg
    states = {s.original_name: s.state for s in after.submissions}
    assert states == {"bao-cao-2024-h-duc-hoa.xlsx": "accepted", "nham-mau-2024.xlsx": "rejected"}
    blank = next(f for f in after.file_issues if f.path.endswith("nham-mau-2024.xlsx"))
    assert "blank-report" in [i.code for i in blank.issues]


def test_a_blank_form_sent_after_the_report_does_not_replace_it(
    tmp_path: Path, plan: Plan, files: dict[str, Path]
) -> None:
    """The same year: the unit's report, then the blank template received later; and a blank
    template alone is still the unit's report (its errors shown), not silently dropped."""
    ws, now = tmp_path / "ws", time.time()
    _put(files["blank"], tmp_path / "only" / "mau.xlsx", now)
    alone = consolidate(tmp_path / "only", 2024, plan=plan, workspace=tmp_path / "ws-alone")
    assert [s.state for s in alone.submissions] == ["accepted"]
    _put(files["first"], tmp_path / "in" / "bao-cao.xlsx", now - 3600)
    _put(files["blank"], tmp_path / "in" / "mau-trong.xlsx", now)
    res = consolidate(tmp_path / "in", 2024, plan=plan, workspace=ws)
    states = {s.original_name: s.state for s in res.submissions}
    assert states == {"bao-cao.xlsx": "accepted", "mau-trong.xlsx": "rejected"}
    blank = next(f for f in res.file_issues if f.path.endswith("mau-trong.xlsx"))
    assert "blank-report" in [i.code for i in blank.issues]


def test_a_file_named_for_another_unit_is_flagged(tmp_path: Path, plan: Plan, files: dict[str, Path]) -> None:
    """Đức Hòa's report under Bến Lức's template name is flagged (both units named); Đức Hòa's own
    name with a suffix («-sua») is not."""
    src = tmp_path / "nhan-ve"
    now = time.time()
    _put(files["first"], src / "bao-cao-2024-h-ben-luc (1).xlsx", now)
    _put(files["corrected"], src / "bao-cao-2024-h-duc-hoa-sua.xlsx", now)
    res = consolidate(src, 2024, plan=plan, workspace=tmp_path / "ws")
    flagged = {
        Path(o.path).name: i
        for o in res.file_issues
        for i in o.issues
        if i.code == "file-named-for-other-unit"
    }
    assert list(flagged) == ["bao-cao-2024-h-ben-luc (1).xlsx"]
    assert flagged["bao-cao-2024-h-ben-luc (1).xlsx"].severity == "warning"
    assert "Bến Lức" in flagged["bao-cao-2024-h-ben-luc (1).xlsx"].message
    res = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", "2024", "--workspace", str(tmp_path / "ws")]
    )
    assert "  bao-cao-2024-h-ben-luc (1).xlsx: " in res.output


def test_file_names_are_matched_to_units_as_before(plan: Plan) -> None:
    """The unit a file name carries: the longest unit id the name starts with, ended by a
    non-alphanumeric character (a lookup per name, not a loop over every unit)."""
    from xltoolkit.consolidation.guard import named_for_other_unit

    assert named_for_other_unit("bao-cao-2024-h-ben-luc (1).xlsx", AGENCY, 2024, plan) is not None
    assert named_for_other_unit("Bao-Cao-2024-H-Duc-Hoa-sua.xlsx", AGENCY, 2024, plan) is None
    assert named_for_other_unit("bao-cao-2024-h-ben-lucx.xlsx", AGENCY, 2024, plan) is None
    assert named_for_other_unit("bao-cao-2024-h-ben-luc.xlsx", "h-ben-luc", 2024, plan) is None
    assert named_for_other_unit("bao-cao-2024-h-ben-luc.xlsx", AGENCY, None, plan) is None
