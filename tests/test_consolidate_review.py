"""Issue 11, items 1-2: the consolidation carries the review of the year (verdict, gap, outlook,
indicators, and in a review year the counts), in `--json` and in the text output; hand-computed from
the sums of measure 2 over two communes (no department figure in these folders; measure 1's
denominator is the administrative commune count since the data elements, so it is not free to choose).
The plan's review years (2025 mid-term) fall after the 2025 change, so communes report them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename

from .corpus import fill_workbook as fill
from .test_consolidate import M, inputs, stamp

PREV = 2025  # the mid-term review year
YEAR = 2026
#: (year, commune index) -> measure M as (numerator, denominator)
FIGURES = {(PREV, 0): (5, 100), (PREV, 1): (5, 100), (YEAR, 0): (10, 100), (YEAR, 1): (30, 200)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> dict[str, Path]:
    """Two communes' returns for 2025 and 2026: key f"{i}-{year}" -> filled workbook."""
    root = tmp_path_factory.mktemp("review-corpus")
    out: dict[str, Path] = {}
    for year in (PREV, YEAR):
        yplan = plan.for_year(year)
        communes = [a.id for a in yplan.districts[:2]]
        generate_templates(plan, year, root / str(year), communes, secret=None, password=None)
        for i, agency_id in enumerate(communes):
            template = root / str(year) / template_filename(yplan.agency(agency_id), year)
            filled = inputs(yplan, agency_id, {M: FIGURES[(year, i)]})
            out[f"{i}-{year}"] = fill(template, root / f"{i}-{year}.xlsx", filled)
    return out


def folder(tmp_path: Path, corpus: dict[str, Path], keys: list[str]) -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    for key in keys:
        stamp(Path(shutil.copy(corpus[key], d / f"{key}.xlsx")), f"{key[-4:]}-12-01T09:00:00")
    return d


def _consolidate(tmp_path: Path, src: Path, year: int) -> tuple[dict, str]:
    args = ["consolidate", str(src), "--year", str(year), "--workspace", str(tmp_path / "ws")]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    out = CliRunner().invoke(main, [*args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output), text.output


def test_review_year_verdicts_gap_and_counts(tmp_path: Path, corpus, plan: Plan) -> None:
    assert PREV in plan.review_years
    src = folder(tmp_path, corpus, [f"0-{PREV}", f"1-{PREV}"])
    data, text = _consolidate(tmp_path, src, PREV)
    m1 = next(m for m in data["measures"] if m["code"] == "2")
    # (5 + 5) / (100 + 100) × 100 = 5 %, target 90 % in 2025: short by 85 percentage points.
    assert m1["value"] == pytest.approx(5.0)
    assert m1["verdict"] == "not_met" and m1["gap"] == pytest.approx(85.0)
    assert m1["outlook"] is None  # one year of data: no rate to carry forward
    assert len(data["indicators"]) == len(plan.indicators) == 24
    assert {i["number"] for i in data["indicators"]} == {i.number for i in plan.indicators}
    ind1 = next(i for i in data["indicators"] if i["number"] == plan.indicator_of["2"].number)
    assert "2" in ind1["measures"] and ind1["verdict"] == "not_met"
    review = data["review"]
    assert review["year"] == PREV
    verdicts = [m["verdict"] for m in data["measures"]]
    assert review["measures_met"] == verdicts.count("met")
    assert review["indicators_met"] == sum(i["verdict"] == "met" for i in data["indicators"])
    assert review["indicators_with_target"] == sum(bool(i["measures"]) for i in data["indicators"])
    assert review["measures_with_target"] == sum(len(i["measures"]) for i in data["indicators"])
    assert f"Kết quả sơ kết năm {PREV}:" in text and "24 chỉ tiêu gồm 35 nội dung" in text
    assert "  2: Không đạt (còn thiếu 85,0 điểm phần trăm)" in text


def test_other_year_outlook_and_no_review(tmp_path: Path, corpus, plan: Plan) -> None:
    assert YEAR not in plan.review_years
    src = folder(tmp_path, corpus, [f"0-{YEAR}", f"1-{YEAR}", f"0-{PREV}", f"1-{PREV}"])
    data, text = _consolidate(tmp_path, src, YEAR)
    assert data["review"] is None
    m1 = next(m for m in data["measures"] if m["code"] == "2")
    # 2026: (10 + 30) / (100 + 200) = 13.33 %; 2025: 5 %. Not a milestone year of measure 2.
    assert m1["verdict"] is None and m1["gap"] is None
    rate = (40 / 300 * 100 / 5.0) - 1
    projected = min(100.0, 40 / 300 * 100 * (1 + rate) ** (2030 - YEAR))
    out = m1["outlook"]
    assert out["year"] == 2030 and out["projected"] == pytest.approx(projected, rel=1e-9)
    assert out["on_track"] is (projected >= 95)
    assert f"2: Dự báo năm 2030: {'có khả năng đạt' if projected >= 95 else 'có nguy cơ không đạt'}" in text
    expected = len(plan.for_year(YEAR).districts)
    assert m1["coverage"] == {"reporting": 2, "expected": expected}  # 2 of the communes reported
