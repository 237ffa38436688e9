"""`xltoolkit demo`: the whole cycle on the sample, checked against what the sample planted."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltoolkit.cli.demo import render
from xltoolkit.cli.main import main
from xltoolkit.demo.run import MARKER, DemoResult, run_demo
from xltoolkit.demo.sample import DEFAULT_YEARS
from xltoolkit.plan.model import Plan
from xltoolkit.summary.sheets import FIRST_ROW
from xltoolkit.summary.workbook import MEASURES_SHEET, measure_columns
from xltoolkit.workbook.layout import build_layout

#: Across the 2025 change (districts, then communes) and a review year; the CLI default runs 2021-2026.
YEARS = (2024, 2025)


@pytest.fixture(scope="module")
def demo(require_libreoffice, tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> DemoResult:
    return run_demo(plan, tmp_path_factory.mktemp("demo") / "ws", seed=3, years=YEARS)


def test_default_demo_runs_the_plan_across_the_change(plan: Plan) -> None:
    kinds = {plan.for_year(y).districts[0].kind for y in DEFAULT_YEARS}
    assert tuple(range(plan.period[0], DEFAULT_YEARS[-1] + 1)) == DEFAULT_YEARS and kinds == {
        "district",
        "commune",
    }


def test_every_year_is_consolidated_with_the_planted_gaps(demo: DemoResult, plan: Plan) -> None:
    s = demo.sample
    assert sorted(demo.results) == list(s.years) == list(YEARS)
    for year, r in demo.results.items():
        assert r.late == s.late.get(year, []), year
        assert r.missing == s.missing.get(year, []) != [], year
        assert len(r.received) == len(plan.for_year(year).agencies) - len(r.missing)
    assert {a.kind for y in YEARS for a in plan.for_year(y).agencies if a.id in s.missing[y] + s.late[y]} >= {
        "district",
        "department",
    }
    last = demo.latest
    assert last.summary_path and last.summary_path.exists()
    assert last.summary_path.parent == demo.workspace / str(YEARS[-1])


def test_typos_are_caught_at_the_right_cell(demo: DemoResult, plan: Plan) -> None:
    last = demo.latest
    by_file = {Path(f.path).name: f.to_dict() for f in last.file_issues}
    expected_codes = {
        "text-thousands": "number-as-text",
        "text-decimal": "number-as-text",
        "numerator-gt-denominator": "numerator-exceeds-denominator",
    }
    for d in demo.sample.defects:
        report = by_file[d.file]
        assert report["valid"] is False
        yplan = plan.for_year(d.year)
        lay = build_layout(yplan, yplan.agency(d.agency), d.year)
        cell = lay.input_by_name[d.name].ref
        found = {(i["code"], i["cell"]) for i in report["issues"] if i["severity"] == "error"}
        assert (expected_codes[d.kind], cell) in found, (d, found)
        code = d.name.removeprefix("TU_")
        measure = next(m for m in last.measures if m.code == code)
        accepted_bad = any(
            f.agency == d.agency and f.defects and f.path.name == d.file for f in demo.sample.files
        )
        if accepted_bad and (d.year, d.agency) not in demo.sample.resubmissions:
            assert d.agency in measure.districts_excluded


def test_resubmission_supersedes_the_first_file(demo: DemoResult) -> None:
    [(year, agency)] = demo.sample.resubmissions
    subs = [s for s in demo.results[year].submissions if s.agency == agency]
    states = {s.original_name: s.state for s in subs}
    first, second = sorted(
        (f for f in demo.sample.files if f.agency == agency and f.year == year), key=lambda f: f.received_at
    )
    assert states == {first.path.name: "superseded", second.path.name: "accepted"}


def test_aggregates_are_sums_of_district_counts(demo: DemoResult, plan: Plan) -> None:
    last = demo.latest
    year = last.year
    checked = 0
    for m in last.measures:
        pm = plan.measure_by_code[m.code]
        used = m.districts_used
        if not used or not pm.denominator:
            continue
        num = sum(demo.sample.counts[(year, d, m.code)][0] for d in used)
        den = sum(demo.sample.counts[(year, d, m.code)][1] for d in used)
        assert m.district_aggregate == pytest.approx(num / den * pm.scale)
        checked += 1
    assert checked == len(plan.measures)
    flagged = {m.code for m in last.measures if m.reconciliation_flag}
    assert flagged == {c for y, c in demo.sample.reconciliation if y == year}


def test_summary_workbook_matches_the_result(demo: DemoResult, plan: Plan) -> None:
    last = demo.latest
    years = sorted({y for m in last.measures for y in m.trend})
    assert years == list(YEARS)
    cols = measure_columns(plan, years)
    idx = {c.key: i for i, c in enumerate(cols)}
    ws = openpyxl.load_workbook(last.summary_path)[MEASURES_SHEET]
    rows = {r[0]: r for r in ws.iter_rows(min_row=FIRST_ROW, max_col=len(cols), values_only=True) if r[0]}
    for m in last.measures:
        assert rows[m.code][idx["value"]] == pytest.approx(m.value)
        assert rows[m.code][idx[f"trend_{YEARS[0]}"]] == pytest.approx(m.trend[YEARS[0]])


def test_report_text(demo: DemoResult, plan: Plan) -> None:
    text = "\n".join(render(demo, plan))
    assert str(demo.latest.summary_path) in text
    for year, r in demo.results.items():
        assert f"Năm {year}: nhận {len(r.received)}/{len(plan.for_year(year).agencies)}" in text
    late = plan.for_year(demo.latest.year).agency_by_id[demo.latest.late[0]].label
    assert f"Gửi muộn: {late}" in text
    assert "lưu bằng LibreOffice" in text


def test_cli_refuses_a_folder_that_is_not_a_demo_workspace(tmp_path: Path) -> None:
    (tmp_path / "so-lieu-that.xlsx").write_bytes(b"x")
    result = CliRunner().invoke(main, ["demo", "--workspace", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "demo-workspace-not-empty"
    assert (tmp_path / "so-lieu-that.xlsx").exists() and not (tmp_path / MARKER).exists()


def test_consolidate_json_equals_the_summary_as_libreoffice_reads_it(
    demo: DemoResult, plan: Plan, tmp_path: Path
) -> None:
    """The provincial officer's command: its --json and its workbook (opened by LibreOffice) agree."""
    from xltoolkit.demo import libreoffice
    from xltoolkit.plan.status import STATUS_LABELS
    from xltoolkit.summary.lists import DISTRICT_KEY_ROW
    from xltoolkit.summary.workbook import units_level_sheet

    year = max(demo.results)
    out = tmp_path / "tong-hop.xlsx"
    args = ["consolidate", str(demo.sample.folder(year)), "--year", str(year)]
    args += ["--workspace", str(demo.workspace), "-o", str(out), "--json"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["received"] == demo.results[year].received  # a re-run changes nothing
    [saved] = libreoffice.resave([out], tmp_path / "lo")
    wb = openpyxl.load_workbook(saved, data_only=True)

    years = sorted({int(y) for m in data["measures"] for y in m["trend"]})
    cols = measure_columns(plan, years)
    idx = {c.key: i for i, c in enumerate(cols)}
    ws = wb[MEASURES_SHEET]
    rows = {r[0]: r for r in ws.iter_rows(min_row=FIRST_ROW, max_col=len(cols), values_only=True) if r[0]}
    assert set(rows) == {m["code"] for m in data["measures"]}
    for m in data["measures"]:
        row = rows[m["code"]]
        for key in ("value", "district_aggregate", "target"):
            assert row[idx[key]] == (pytest.approx(m[key]) if m[key] is not None else None), (m["code"], key)
        assert row[idx["status"]] == STATUS_LABELS[m["status"]]
        for y, v in m["trend"].items():
            assert row[idx[f"trend_{y}"]] == pytest.approx(v)

    ws = wb[units_level_sheet(plan.for_year(year))]
    header = [c.value for c in ws[DISTRICT_KEY_ROW]]
    matrix = {r[0]: r for r in ws.iter_rows(min_row=FIRST_ROW, values_only=True) if r[0]}
    for d in data["districts"]:
        col = header.index(d["agency"])
        for m in d["measures"]:
            got = matrix[m["code"]][col]
            if m["small_number"]:  # shown as «số nhỏ», never as a figure to compare (issue 10)
                assert got == "số nhỏ", (d["agency"], m["code"], got)
            elif m["value"] is None:
                assert got in (None, "", "—", "Không có số liệu"), (d["agency"], m["code"], got)
            else:
                assert got == pytest.approx(m["value"]), (d["agency"], m["code"])


def test_demo_drafts_the_mid_term_review_document(demo: DemoResult, plan: Plan) -> None:
    """Issue 11: 2025 is a review year of the plan; its report document lies beside the summary."""
    import docx

    assert sorted(demo.reports) == [y for y in demo.results if y in plan.review_years] == [2025]
    path = demo.reports[2025]
    assert path.exists() and path.parent == demo.results[2025].summary_path.parent
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "sơ kết" in text.lower() and "Kính gửi" in text
    assert str(path) in "\n".join(render(demo, plan))
