"""Release testing: returned files that kill the process instead of getting an issue.

A value in the last cell of a sheet (XFD1048576: Ctrl+End and type, or a hostile file) makes the
reader (python-calamine) allocate the whole grid, 512 GB: Rust aborts the process (signal 6, a Rust
backtrace on the console), so one file stops the whole `validate` or `consolidate` run. It is run in
a child process under an address-space limit so the test can never take the machine's memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xltoolkit.plan.model import Plan
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import DATA_SHEET, REPORT_SHEET

from .corpus import clean_return

YEAR = 2024
AGENCY = "h-ben-luc"

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from xltoolkit import load_plan, validate_paths
rep = validate_paths(sys.argv[1:], load_plan(), year=2024)
print(json.dumps(rep.to_dict()))
"""


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    return clean_return(tmp_path_factory.mktemp("robust-hostile"), plan, YEAR, AGENCY)


def _validate_in_child(*paths: Path) -> subprocess.CompletedProcess[str]:
    root = str(Path(__file__).resolve().parents[1])
    return subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": root, "PATH": "/usr/bin:/bin", "XLTOOLKIT_WORKERS": "1"},
        check=False,
    )


def test_the_child_validates_a_clean_file(clean_file: Path) -> None:
    done = _validate_in_child(clean_file)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["files"][0]["valid"]


@pytest.mark.parametrize("sheet", [DATA_SHEET, REPORT_SHEET])
def test_a_value_in_the_last_cell_of_a_sheet_is_an_issue_not_a_crash(
    tmp_path: Path, clean_file: Path, sheet: str
) -> None:
    wb = openpyxl.load_workbook(clean_file)
    wb[sheet]["XFD1048576"] = "x"
    wb.save(tmp_path / "far.xlsx")
    done = _validate_in_child(clean_file, tmp_path / "far.xlsx")
    assert done.returncode == 0, done.stderr[-500:]
    files = json.loads(done.stdout)["files"]
    assert [f["valid"] for f in files] == [True, False]  # the other file of the run is still checked
    assert all(i["message"] for i in files[1]["issues"])
    found = files[1]["issues"][0]
    assert (found["code"], found["sheet"], found["cell"]) == ("sheet-out-of-range", sheet, "XFD1048576")


def test_a_deleted_feedback_sheet_does_not_reject_the_report(
    tmp_path: Path, plan: Plan, clean_file: Path
) -> None:
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.workbook.layout import RESULT_SHEET

    wb = openpyxl.load_workbook(clean_file)
    del wb[RESULT_SHEET]
    (tmp_path / "nhan-ve").mkdir()
    wb.save(tmp_path / "nhan-ve" / "bao-cao.xlsx")
    res = consolidate(tmp_path / "nhan-ve", YEAR, plan=plan, workspace=tmp_path / "ws")
    assert [s.state for s in res.submissions] == ["accepted"]
    (report,) = validate_paths([tmp_path / "nhan-ve" / "bao-cao.xlsx"], plan, year=YEAR).files
    assert report.valid and report.integrity_ok
    found = [(i.code, i.severity, i.sheet) for i in report.issues]
    assert found == [("feedback-sheet-missing", "warning", RESULT_SHEET)]


def test_a_deleted_data_sheet_is_still_an_error(tmp_path: Path, plan: Plan, clean_file: Path) -> None:
    wb = openpyxl.load_workbook(clean_file)
    del wb[REPORT_SHEET]
    wb.save(tmp_path / "no-report.xlsx")
    (report,) = validate_paths([tmp_path / "no-report.xlsx"], plan, year=YEAR).files
    assert not report.valid and not report.integrity_ok
    assert ("sheet-missing", REPORT_SHEET) in {(i.code, i.sheet) for i in report.issues}
