"""Issue 12, done when: one workspace consolidates 2023 and 2024 (districts) and 2025 (communes); the
2025 provincial figures, status and trend run on over the 2023-2024 district history, 2025
completeness counts communes, and the 2024 ledger rows stay as they were."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xltoolkit.consolidation.intake import consolidate
from xltoolkit.consolidation.ledger import Ledger
from xltoolkit.plan.aggregate import rate
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import assess
from xltoolkit.template.render import generate_templates
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import META_SHEET

from .corpus import fill_workbook as fill
from .test_consolidate import M, inputs, stamp

DISTRICTS = ("tp-tan-an", "h-ben-luc", "h-duc-hoa")
#: measure M per unit and year: (numerator, denominator), hand-computable sums.
DISTRICT_COUNTS = {
    2023: {"tp-tan-an": (10, 100), "h-ben-luc": (20, 200), "h-duc-hoa": (5, 100)},
    2024: {"tp-tan-an": (30, 100), "h-ben-luc": (40, 200), "h-duc-hoa": (15, 100)},
}
COMMUNE_COUNTS = ((12, 40), (9, 30), (20, 50), (7, 20))


def _meta_agency(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True) if r and r[0]}
    wb.close()
    return str(rows["agency_id"])


@pytest.fixture(scope="module")
def across(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> dict:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("across")
    p25 = plan.for_year(2025)
    communes = [a.id for a in p25.districts[: len(COMMUNE_COUNTS)]]
    counts = {**DISTRICT_COUNTS, 2025: dict(zip(communes, COMMUNE_COUNTS, strict=True))}
    folders: dict[int, Path] = {}
    for year, units in counts.items():
        year_plan = plan.for_year(year)
        gen = generate_templates(plan, year, root / f"t{year}", list(units), secret=None, password=None)
        folder = folders[year] = root / str(year)
        folder.mkdir()
        for g in gen:
            values = inputs(year_plan, g.agency, {M: units[g.agency]})
            stamp(fill(g.path, folder / g.path.name, values), f"{year}-12-01T09:00:00")
    return {"root": root, "folders": folders, "counts": counts, "communes": communes}


def test_templates_follow_the_edition(across: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    p24, p25 = plan.for_year(2024), plan.for_year(2025)
    for year, folder in across["folders"].items():
        units = {_meta_agency(f) for f in folder.glob("*.xlsx")}
        kinds = {plan.for_year(year).agency_by_id[a].kind for a in units}
        assert kinds == ({"commune"} if year == 2025 else {"district"}), (year, kinds)
    assert not {a.id for a in p24.districts} & {a.id for a in p25.districts}


def test_files_of_different_years_each_meet_their_edition(across: dict, plan: Plan) -> None:  # type: ignore[type-arg]
    paths = [f for y in (2024, 2025) for f in sorted(across["folders"][y].glob("*.xlsx"))]
    report = validate_paths(paths, plan)
    assert all(f.valid for f in report.files), [(f.path, [i.code for i in f.errors]) for f in report.files]
    assert {f.year for f in report.files} == {2024, 2025}


def test_a_former_district_file_is_refused_after_the_change(
    across: dict,  # type: ignore[type-arg]
    plan: Plan,
    tmp_path: Path,
) -> None:
    src = next(across["folders"][2024].glob("*.xlsx"))
    wb = openpyxl.load_workbook(src)
    for row in wb[META_SHEET].iter_rows():
        if row[0].value == "year":
            row[1].value = "2026"
    wb.save(tmp_path / "cu.xlsx")
    f = validate_paths([tmp_path / "cu.xlsx"], plan).files[0]
    assert "agency-not-in-force" in {i.code for i in f.errors} and not f.integrity_ok


def _file_counts(folder: Path, plan: Plan) -> dict[str, tuple[float, float]]:
    """Measure M's counts as the files hold them (the fill makes them consistent with the rules,
    which may raise a typed denominator)."""
    out = {}
    for f in validate_paths(sorted(folder.glob("*.xlsx")), plan).files:
        row = f.values[f.values["code"] == M].iloc[0]
        out[str(f.agency)] = (float(row["numerator"]), float(row["denominator"]))
    return out


def _sum_rate(plan: Plan, counts: dict[str, tuple[float, float]]) -> float | None:
    m = plan.measure_by_code[M]
    num = sum(n for n, _ in counts.values())
    den = sum(d for _, d in counts.values())
    return rate(num, den, m.scale, has_denominator=True)


def test_one_workspace_across_the_change(across: dict, plan: Plan, tmp_path: Path) -> None:  # type: ignore[type-arg]
    ws = tmp_path / "ws"
    folders, counts = across["folders"], across["counts"]
    consolidate(folders[2023], 2023, plan=plan, workspace=ws, output=tmp_path / "s23.xlsx")
    r24 = consolidate(folders[2024], 2024, plan=plan, workspace=ws, output=tmp_path / "s24.xlsx")
    with Ledger(ws, create=False) as led:
        before = led.values(year=2024, plan_id=plan.id).sort_values(["agency", "code"]).reset_index(drop=True)
    subs24 = sorted((s.agency, s.sha256, s.state) for s in r24.submissions if s.year == 2024)

    r25 = consolidate(folders[2025], 2025, plan=plan, workspace=ws, output=tmp_path / "s25.xlsx")

    # completeness over the communes and departments in force in 2025, never the former districts
    p25 = plan.for_year(2025)
    assert sorted(r25.received) == sorted(across["communes"])
    assert set(r25.received) | set(r25.missing) == {a.id for a in p25.agencies}
    assert not set(DISTRICTS) & (set(r25.received) | set(r25.missing) | set(r25.late))
    # the series runs on: each year summed over the units that reported that year
    m = next(x for x in r25.measures if x.code == M)
    expected = {y: _sum_rate(plan, _file_counts(folders[y], plan)) for y in (2023, 2024, 2025)}
    assert _file_counts(folders[2024], plan) == counts[2024]
    assert m.trend == pytest.approx(expected)
    assert m.value == pytest.approx(expected[2025])
    assert m.coverage is not None and (m.coverage.reporting, m.coverage.expected) == (4, len(p25.districts))
    assert m.status.base_year == 2023 and m.status.latest_year == 2025
    assert m.status == assess(plan.measure_by_code[M], m.trend, 2025)
    # the 2024 district rows of the ledger are untouched by the 2025 run
    with Ledger(ws, create=False) as led:
        after = led.values(year=2024, plan_id=plan.id).sort_values(["agency", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert sorted(set(before["agency"])) == sorted(DISTRICTS)
    again = consolidate(folders[2024], 2024, plan=plan, workspace=ws, output=tmp_path / "s24b.xlsx")
    assert sorted((s.agency, s.sha256, s.state) for s in again.submissions if s.year == 2024) == subs24
