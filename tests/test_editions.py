"""The plan over time: editions, agencies and reporting units in force, templates of each edition."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.cli.main import main
from xltoolkit.demo import libreoffice
from xltoolkit.errors import PlanError
from xltoolkit.plan.checks import evaluate_rules
from xltoolkit.plan.model import Plan, default_plan_path, load_plan
from xltoolkit.plan.units import default_units_path, load_units
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.workbook.layout import DATA_SHEET, GUIDE_SHEET, META_SHEET, REPORT_SHEET, build_layout

MIXED_INCLUDED, MIXED_EXCLUDED = "27694-2025", "25459-2025"  # Phường Long An, Phường Tân Ninh
BINH_HIEP = "27793-2025"


@pytest.fixture(scope="module")
def whole() -> Plan:
    return load_plan()


# ------------------------------------------------------------------------------------ the model


def test_districts_until_2024_communes_from_2025(whole: Plan) -> None:
    reg = load_units()
    for year in range(2021, 2025):
        p = whole.for_year(year)
        assert len(p.districts) == 15 and {a.kind for a in p.districts} == {"district"}
        assert p.consolidator == "so-ldtbxh" and p.province == "Long An"
        assert {a.unit for a in p.districts} == {str(c) for c in range(794, 809)}
    for year in (2025, 2026, 2030):
        p = whole.for_year(year)
        assert p.edition is not None and p.edition.id == "tay-ninh-2025"
        communes = p.districts
        assert len(communes) == 60 and {a.kind for a in communes} == {"commune"}
        # ids are the units file's (stable over time), never a bare code
        assert all(a.id == a.unit and a.id in reg.by_id for a in communes)
        assert MIXED_INCLUDED in {a.id for a in communes} and MIXED_EXCLUDED not in {a.id for a in communes}
        assert p.agency_by_id[p.consolidator].name == "Sở Y tế tỉnh Tây Ninh"
        assert p.province == "Tây Ninh" and "TÂY NINH" in p.issuer
        assert not any(a.id.startswith("so-") or a.kind == "district" for a in p.agencies)
        assert (
            p.report.recipients[0] == "Ủy ban nhân dân tỉnh Tây Ninh" and "Bộ Y tế" in p.report.recipients[1]
        )


def test_leads_change_with_the_edition(whole: Plan) -> None:
    before, after = whole.for_year(2024), whole.for_year(2025)
    lead = {p.year: {i.number: i.lead for i in p.indicators} for p in (before, after)}
    assert lead[2024][1] == "so-ldtbxh" and lead[2025][1] == "tn-so-yt"
    assert lead[2024][3] == "so-yt" and lead[2025][3] == "tn-so-yt"
    assert lead[2025][10] == "tn-so-nv" and lead[2025][14] == "tn-so-tp"
    assert after.edition is not None and 10 in after.edition.lead_notes  # the assumption is written down
    # what a department reports follows its leads; every local unit reports every measure
    assert {m.code for m in after.measures_for(after.agency("tn-so-yt"))} >= {"1", "3a", "8a", "24"}
    assert all(len(after.measures_for(u)) == len(after.measures) for u in after.districts)


def test_one_view_per_year_cached_and_stable(whole: Plan) -> None:
    v = whole.for_year(2025)
    assert whole.for_year(2025) is v and v.for_year(2025) is v
    assert v.for_year(2024) is whole.for_year(2024)  # a year's plan reaches the others
    again = load_plan()
    assert (
        again.for_year(2025).digest == v.digest and again.for_year(2024).digest == whole.for_year(2024).digest
    )
    assert v.digest != whole.for_year(2024).digest != whole.digest
    assert whole.edition is None and whole.year is None  # the plan as written is untouched


def test_the_plan_as_written_is_unchanged(whole: Plan) -> None:
    assert len(whole.agencies) == 26 and len(whole.districts) == 15 and whole.consolidator == "so-ldtbxh"
    assert whole.report.symbol == "SLĐTBXH"  # the folded [report] is the first edition's
    assert whole.for_year(2024).report == whole.report


def test_commune_counts_rule_at_each_level(whole: Plan) -> None:
    """«Tổng số xã, phường» equals the unit's count: a district's own, 1 for a commune, the total for a
    department; so the rule fires on a wrong count, and never on a commune reporting itself."""
    rule = "so_xa_theo_hanh_chinh"
    y24, y25 = whole.for_year(2024), whole.for_year(2025)
    cases = [
        (y24, y24.agency("h-ben-luc"), 14),
        (y24, y24.agency("so-ldtbxh"), 186),
        (y25, y25.agency(BINH_HIEP), 1),
        (y25, y25.agency("tn-so-yt"), 60),
    ]
    for plan, agency, right in cases:
        assert rule in {r.id for r in plan.rules_for(agency)}, agency.id
        fired = {v.rule for v in evaluate_rules(plan, {"communes_total": right}, agency=agency)}
        assert rule not in fired, agency.id
        fired = {v.rule for v in evaluate_rules(plan, {"communes_total": right + 1}, agency=agency)}
        assert rule in fired, agency.id
    # a commune's indicator 1: achieved (1) or not (0) of 1; 2 of 1 breaks numerator <= denominator
    commune = y25.agency(BINH_HIEP)
    ok = evaluate_rules(y25, {"communes_child_friendly": 1, "communes_total": 1}, agency=commune)
    bad = evaluate_rules(y25, {"communes_child_friendly": 2, "communes_total": 1}, agency=commune)
    assert not ok and {v.rule for v in bad} == {"tu_mau_1"}
    assert "thị trấn" not in y25.measure_by_code["1"].name and "thị trấn" in y24.measure_by_code["1"].name


DAYS = (date(2030, 12, 31) - date(2021, 1, 1)).days


@given(st.integers(min_value=0, max_value=DAYS))
def test_exactly_one_edition_and_its_agencies_in_force_every_day(offset: int) -> None:
    plan = _PLAN
    on = date(2021, 1, 1) + timedelta(days=offset)
    live = [e for e in plan.editions if e.in_force(on)]
    assert len(live) == 1
    edition = live[0]
    assert plan.edition_at(on) == edition
    named = {*plan.leads_of(edition).values(), edition.consolidator or plan.consolidator}
    in_force = {a.id for a in plan.agencies_at(on)}
    assert named <= in_force, (on, named - in_force)


_PLAN = load_plan()


def test_every_edition_loads_and_checks(whole: Plan) -> None:
    used = {whole.for_year(y).edition.id for y in range(2021, 2031)}  # type: ignore[union-attr]
    assert used == {"long-an-2021", "tay-ninh-2025"}
    for e in whole.editions:
        start = e.valid_from or date(2021, 1, 1)
        in_force = {a.id for a in whole.agencies_at(start)}
        assert (
            set(whole.leads_of(e).values()) <= in_force and (e.consolidator or whole.consolidator) in in_force
        )
    for y in range(2021, 2031):
        v = whole.for_year(y)
        assert Plan.model_validate(v.model_dump(by_alias=True)).digest == v.digest


def _copy_plan(tmp_path: Path, old: str, new: str) -> Path:
    text = default_plan_path().read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "plan.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    shutil.copy(default_units_path(), tmp_path / default_units_path().name)
    return tmp_path / "plan.toml"


def test_the_mixed_ward_decision_is_one_line(tmp_path: Path) -> None:
    plan = load_plan(_copy_plan(tmp_path, '  "25459-2025",  # Phường Tân Ninh: see above\n', ""))
    ids = {a.id for a in plan.for_year(2025).districts}
    assert len(ids) == 61 and {MIXED_INCLUDED, MIXED_EXCLUDED} <= ids


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("valid_from = 2025-07-01\nprovince", "valid_from = 2025-06-01\nprovince", "valid_from"),
        ('10 = "tn-so-nv"', '10 = "so-ldtbxh"', "leads.10"),
        ('consolidator = "tn-so-yt"', 'consolidator = "tn-khong-co"', "consolidator"),
    ],
)
def test_broken_editions_name_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(_copy_plan(tmp_path, old, new))
    assert err.value.code == "plan-invalid" and field in err.value.message


def test_a_former_unit_is_not_in_force_later(whole: Plan) -> None:
    with pytest.raises(PlanError) as err:
        whole.for_year(2026).agency("h-ben-luc")
    assert err.value.code == "agency-not-in-force"
    with pytest.raises(PlanError) as err:
        whole.for_year(2024).agency(BINH_HIEP)
    assert err.value.code == "unknown-agency"


# ------------------------------------------------------------------------------------ the CLI


def test_plan_show_year_json() -> None:
    result = CliRunner().invoke(main, ["plan", "show", "--year", "2025", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["year"] == 2025 and shown["edition"]["id"] == "tay-ninh-2025"
    assert shown["consolidator_name"] == "Sở Y tế tỉnh Tây Ninh"
    assert len(shown["units"]) == 60 and {u["kind"] for u in shown["units"]} == {"commune"}
    assert "tn-so-yt" in shown["departments"] and "so-ldtbxh" not in shown["departments"]
    assert shown["edition"]["leads"]["10"] == "tn-so-nv" and "10" in shown["edition"]["lead_notes"]
    old = json.loads(CliRunner().invoke(main, ["plan", "show", "--year", "2024", "--json"]).output)
    assert len(old["units"]) == 15 and old["consolidator_name"] == "Sở Lao động - Thương binh và Xã hội"
    text = CliRunner().invoke(main, ["plan", "show", "--year", "2025"]).output
    assert "Sở Y tế tỉnh Tây Ninh" in text and "Xã Bình Hiệp" in text
    bad = CliRunner().invoke(main, ["plan", "show", "--year", "2040"])
    assert bad.exit_code == 2 and "year-outside-plan" in bad.output


def _templates(tmp_path: Path, year: int) -> dict[str, openpyxl.Workbook]:
    out = tmp_path / str(year)
    result = CliRunner().invoke(main, ["templates", "--year", str(year), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["templates"]
    return {t["agency"]: Path(t["path"]) for t in listed}  # type: ignore[misc]


def test_templates_2024_districts_to_so_ldtbxh(tmp_path: Path, whole: Plan) -> None:
    files = _templates(tmp_path, 2024)
    plan = whole.for_year(2024)
    assert len(files) == 26 and sum(plan.agency(a).kind == "district" for a in files) == 15
    wb = openpyxl.load_workbook(files["h-ben-luc"])
    assert wb[REPORT_SHEET]["A7"].value == "Kính gửi: Sở Lao động - Thương binh và Xã hội"
    # Nghị định 30/2020: a district dates its documents with its own place name, without «Huyện».
    assert _row3(wb, DATA_SHEET) == _row3(wb, REPORT_SHEET) == "Bến Lức, ngày ..... tháng ..... năm 2024"
    assert "trên địa bàn Huyện Bến Lức" in wb[DATA_SHEET]["A6"].value
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    assert meta["edition"] == "long-an-2021" and meta["agency_unit"] == "803"


def _row3(wb: openpyxl.Workbook, sheet: str) -> str:
    return next(str(c.value) for c in wb[sheet][3] if c.value)


def test_templates_2025_communes_to_so_y_te_tay_ninh(tmp_path: Path, whole: Plan) -> None:
    files = _templates(tmp_path, 2025)
    plan = whole.for_year(2025)
    kinds = [plan.agency(a).kind for a in files]
    assert len(files) == 69 and kinds.count("commune") == 60
    wb = openpyxl.load_workbook(files[BINH_HIEP])
    assert wb[REPORT_SHEET]["A7"].value == "Kính gửi: Sở Y tế tỉnh Tây Ninh"
    assert _row3(wb, REPORT_SHEET) == "Bình Hiệp, ngày ..... tháng ..... năm 2025"
    assert wb[REPORT_SHEET]["A2"].value == "UBND XÃ BÌNH HIỆP" and wb[REPORT_SHEET]["A1"].value is None
    assert "trên địa bàn Xã Bình Hiệp" in wb[DATA_SHEET]["A6"].value
    guide = " ".join(str(r[0].value) for r in wb[GUIDE_SHEET].iter_rows() if r[0].value)
    assert "Sở Y tế tỉnh Tây Ninh" in guide and "ghi 1" in guide
    dept = openpyxl.load_workbook(files["tn-so-gddt"])
    assert _row3(dept, REPORT_SHEET).startswith("Tây Ninh, ngày")
    assert dept[REPORT_SHEET]["A1"].value == "UBND TỈNH TÂY NINH"
    assert "trên địa bàn tỉnh Long An cũ" in dept[DATA_SHEET]["A6"].value
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    assert meta["edition"] == "tay-ninh-2025" and meta["agency_id"] == BINH_HIEP
    assert meta["plan_digest"] == plan.digest
    assert files[BINH_HIEP].name == template_filename(plan.agency(BINH_HIEP), 2025)


# ------------------------------------------------------------------------------------ LibreOffice


@pytest.mark.libreoffice
def test_commune_templates_in_libreoffice(require_libreoffice: None, tmp_path: Path, whole: Plan) -> None:
    """LibreOffice opens 2025 commune templates; indicator 1 is 0 or 1 of 1; the count rule works."""
    plan = whole.for_year(2025)
    chosen = [plan.agency(BINH_HIEP), plan.agency(MIXED_INCLUDED)]
    made = generate_templates(plan, 2025, tmp_path / "t", [a.id for a in chosen], secret=None, password=None)
    jobs, expected = [], []
    for agency, typed in zip(chosen, ({"TU_1": 1, "MAU_1": 1}, {"TU_1": 0, "MAU_1": 2}), strict=True):
        lay = build_layout(plan, agency, 2025)
        value = f"{DATA_SHEET}!{lay.columns['value']}{lay.measure_rows['1']}"
        sheet, ref = lay.formula_names["KT_so_xa_theo_hanh_chinh"]
        check = f"{sheet}!{ref}"
        path = next(g.path for g in made if g.agency == agency.id)
        jobs.append({"path": str(path), "set": typed, "read": [value, check]})
        expected.append((value, check, typed))
    results = libreoffice.run_uno(jobs)
    for (value, check, typed), got in zip(expected, results, strict=True):
        assert got["values"][value] == pytest.approx(typed["TU_1"] / typed["MAU_1"] * 100)
        assert bool(got["values"][check]) == (typed["MAU_1"] != 1)  # «Sai: …» only for 2 communes of 1
    _picture(next(g.path for g in made if g.agency == BINH_HIEP), tmp_path)


def _picture(xlsx: Path, tmp_path: Path) -> None:
    """The first rendered page of a commune template, for a person to look at."""
    soffice = libreoffice.find_soffice()
    pdftoppm = shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        return
    profile = (tmp_path / "profile").resolve().as_uri()
    cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf"]
    subprocess.run(
        [*cmd, "--outdir", str(tmp_path), str(xlsx)], capture_output=True, timeout=300, check=False
    )
    pdf = tmp_path / (xlsx.stem + ".pdf")
    assert pdf.exists()
    subprocess.run([pdftoppm, "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    target = Path("/tmp/work")
    if target.is_dir():
        for i, page in enumerate(pages[:4], start=1):
            shutil.copy(page, target / f"commune-template-{i}.png")
        shutil.copy(pages[1 if len(pages) > 1 else 0], target / "commune-template.png")  # the data sheet
