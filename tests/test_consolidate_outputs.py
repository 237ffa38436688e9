"""What issue 8 asked of the consolidation outputs: typed results after the ledger round trip, layers
pointing one way, the measure table for adapters, and what a new user must be told in the text output."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.consolidation.results import BudgetLine, FileOutcome, Narrative
from xltoolkit.issues import Issue
from xltoolkit.plan.model import Plan
from xltoolkit.summary import measure_table
from xltoolkit.summary.sheets import FIRST_ROW, STATUS_COLOURS, TABLE_HEADER_ROW
from xltoolkit.summary.workbook import MEASURES_SHEET
from xltoolkit.workbook import xlio

from . import test_consolidate as base
from .test_consolidate import PREV, YEAR, M, folder, run

corpus = base.corpus  # the filled workbooks of test_consolidate, as a fixture here too

ROOT = Path(__file__).resolve().parents[1] / "xltoolkit"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_ledger_stores_and_the_summary_does_not_import_the_template() -> None:
    ledger = _imports(ROOT / "consolidation" / "ledger.py")
    assert not any(m.startswith("xltoolkit.plan.aggregate") for m in ledger)
    assert "xltoolkit.plan.aggregate" not in {m.rsplit(".", 1)[0] for m in ledger}
    for f in (ROOT / "summary").glob("*.py"):
        assert not any(m.startswith("xltoolkit.template") for m in _imports(f)), f.name


def test_results_stay_typed_after_the_ledger_round_trip(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "h-duc-hoa-bad", "ca.xlsx": "cong-an"})
    r = run(src, tmp_path, plan)
    assert all(isinstance(f, FileOutcome) for f in r.file_issues)
    assert all(isinstance(n, Narrative) for n in r.narratives)
    assert all(isinstance(b, BudgetLine) for b in r.budget)
    bad = next(f for f in r.file_issues if f.agency == "h-duc-hoa")
    issue = next(i for i in bad.issues if i.code == "numerator-exceeds-denominator")
    assert isinstance(issue, Issue) and issue.measure == M and issue.is_error
    d = r.to_dict()
    assert d["narratives"] == [n.to_dict() for n in r.narratives] and d["narratives"]
    stored = next(f for f in d["files"] if f["agency"] == "h-duc-hoa")
    assert any(i["measure"] == M for i in stored["issues"])
    # the old JSON keys are all still there
    assert {"year", "plan", "received", "late", "missing", "measures", "files", "budget"} <= d.keys()
    # read again from the ledger alone (nothing new to validate): the same typed result
    again = run(src, tmp_path, plan)
    assert again.to_dict() == {**d, "summary_path": again.to_dict()["summary_path"]}


def test_cli_says_the_files_are_of_another_year(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    res = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", str(PREV), "--workspace", str(tmp_path / "ws")]
    )
    assert res.exit_code == 0, res.output
    assert "Đã nhận: 0/" in res.output
    for name in ("a.xlsx", "b.xlsx"):
        assert f"  {name}: báo cáo năm {YEAR}" in res.output
    assert f"không thuộc năm {PREV}" in res.output


def test_received_at_given_by_the_officer_is_remembered_and_listed(
    tmp_path: Path, corpus, plan: Plan
) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc"})
    args = ["consolidate", str(src), "--year", str(YEAR), "--workspace", str(tmp_path / "ws")]
    help_text = CliRunner().invoke(main, ["consolidate", "--help"]).output
    assert "giữ nguyên ở các lần chạy" in " ".join(help_text.split())
    first = CliRunner().invoke(main, [*args, "--received-at", "h-ben-luc=2024-12-20"])
    assert first.exit_code == 0, first.output
    later = CliRunner().invoke(main, args)  # without the option: the correction is kept and said
    assert later.exit_code == 0, later.output
    assert "Ngày nhận do cán bộ nhập" in later.output
    assert "  b.xlsx: 20/12/2024 00:00" in later.output and "  a.xlsx:" not in later.output
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    given = {s["original_name"]: s["received_given"] for s in data["submissions"]}
    assert given == {"a.xlsx": False, "b.xlsx": True}


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_write_atomic_follows_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        out = xlio.write_atomic(tmp_path / "x.bin", lambda p: p.write_bytes(b"x"))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


def test_measure_table_is_the_summary_sheet(tmp_path: Path, corpus, plan: Plan) -> None:
    src = folder(tmp_path, corpus, {"a.xlsx": "tp-tan-an", "b.xlsx": "h-ben-luc", "c.xlsx": "so-ldtbxh"})
    r = run(src, tmp_path, plan)
    t = measure_table(r, plan)
    assert t.year == YEAR and len(t.rows) == len(plan.measures)
    assert r.summary_path is not None
    ws = openpyxl.load_workbook(r.summary_path)[MEASURES_SHEET]
    header = [c.value for c in ws[TABLE_HEADER_ROW]][: len(t.headers)]
    assert header == t.headers
    status = t.column("status")
    for i, row in enumerate(t.rows):
        cells = [c.value for c in ws[FIRST_ROW + i]][: len(t.headers)]
        assert cells[0] == row.code
        assert cells[status] == row.cells[status]
        assert row.colour == STATUS_COLOURS[row.status]
        got = ws.cell(FIRST_ROW + i, status + 1).fill.fgColor.rgb
        assert got.endswith(row.colour)
