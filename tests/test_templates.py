"""Generated templates: what a reporting officer receives, checked by openpyxl and by LibreOffice."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.demo import libreoffice
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.workbook.layout import DATA_SHEET, META_SHEET, REPORT_SHEET, RESULT_SHEET, build_layout

from .conftest import TEMPLATE_YEAR


def _open(templates_dir: Path, plan: Plan, agency_id: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(templates_dir / template_filename(plan.agency(agency_id), TEMPLATE_YEAR))


def test_one_template_per_agency(templates_dir: Path, plan: Plan) -> None:
    files = sorted(p.name for p in templates_dir.glob("*.xlsx"))
    assert files == sorted(template_filename(a, TEMPLATE_YEAR) for a in plan.agencies)
    assert len(files) == 26


@pytest.mark.parametrize(("agency_id", "codes"), [("so-yt", 10), ("so-tp", 1), ("h-ben-luc", 35)])
def test_measures_by_agency(templates_dir: Path, plan: Plan, agency_id: str, codes: int) -> None:
    wb = _open(templates_dir, plan, agency_id)
    names = {n for n in wb.defined_names if n.startswith("TU_")}
    assert len(names) == codes
    agency = plan.agency(agency_id)
    assert names == {f"TU_{m.code}" for m in plan.measures_for(agency)}
    assert {f"MAU_{m.code}" for m in plan.measures_for(agency)} <= set(wb.defined_names)


def test_body_without_indicators_has_narrative_and_budget_only(templates_dir: Path, plan: Plan) -> None:
    wb = _open(templates_dir, plan, "cong-an")
    assert DATA_SHEET not in wb.sheetnames
    assert REPORT_SHEET in wb.sheetnames
    assert {"KP_NSNN", "KP_HUYDONG", "NV_1"} <= set(wb.defined_names)
    ws = wb[REPORT_SHEET]
    tasks = [ws[f"B{r}"].value for r in range(10, 13)]
    assert all(t for t in tasks) and "xâm hại" in " ".join(tasks)


def test_protection_locking_and_names(templates_dir: Path, plan: Plan) -> None:
    wb = _open(templates_dir, plan, "h-ben-luc")
    assert wb.security.lockStructure
    ws = wb[DATA_SHEET]
    assert ws.protection.sheet
    lay = build_layout(plan, plan.agency("h-ben-luc"), TEMPLATE_YEAR)
    row = lay.measure_rows["3a"]
    dest = next(iter(wb.defined_names["TU_3a"].destinations))
    assert dest == (DATA_SHEET, f"${lay.columns['numerator']}${row}")
    for key in ("numerator", "numerator_status", "source", "notes"):
        assert ws[f"{lay.columns[key]}{row}"].protection.locked is False
    # the denominator is typed once among the base figures; the measure row shows it, locked
    mau = lay.input_by_name["MAU_3a"]
    assert next(iter(wb.defined_names["MAU_3a"].destinations)) == (
        DATA_SHEET,
        "$" + mau.ref[0] + "$" + mau.ref[1:],
    )
    assert ws[mau.ref].protection.locked is False and mau.ref == lay.element_cells["live_births"].value
    for key in ("code", "name", "unit", "target_2025", "target_2030", "value", "denominator"):
        assert ws[f"{lay.columns[key]}{row}"].protection.locked is True
    assert ws[f"{lay.columns['target_2025']}{row}"].value == 9.5
    assert ws[f"{lay.columns['value']}{row}"].value.startswith("=IF(")
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb[RESULT_SHEET].protection.sheet is False


def test_data_validation_and_required_marking(templates_dir: Path, plan: Plan) -> None:
    wb = _open(templates_dir, plan, "so-yt")
    ws = wb[DATA_SHEET]
    lay = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR)
    num, den = lay.input_by_name["TU_3a"].ref, lay.input_by_name["MAU_3a"].ref
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for ref in (num, den):
                if ref in rng:
                    rules[ref] = dv
    assert rules[den].type == "whole" and rules[den].operator == "greaterThanOrEqual"
    assert rules[num].type == "custom" and den in rules[num].formula1  # numerator ≤ denominator
    assert "số nguyên" in rules[num].error and rules[num].showErrorMessage
    cf_ranges = {str(r.sqref) for r in ws.conditional_formatting}
    assert num in cf_ranges and den in cf_ranges


def test_fonts_and_print_layout(templates_dir: Path, plan: Plan) -> None:
    wb = _open(templates_dir, plan, "h-ben-luc")
    ws = wb[DATA_SHEET]
    assert ws["A2"].font.name == "Times New Roman" and ws["B11"].font.name == "Times New Roman"
    assert (
        str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4) == "9"
        and ws.page_setup.orientation == "landscape"
    )
    texts = [c.value for row in ws.iter_rows(max_row=3) for c in row if c.value]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert "UBND HUYỆN BẾN LỨC" in texts


def test_metadata(templates_dir: Path, plan: Plan) -> None:
    wb = _open(templates_dir, plan, "h-ben-luc")
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    assert meta["agency_id"] == "h-ben-luc" and meta["agency_code"] == "803"
    assert meta["year"] == str(TEMPLATE_YEAR) and meta["plan_id"] == plan.id
    assert meta["plan_version"] == plan.version and meta["template_version"] == "2"
    assert len(meta["fingerprint"]) == 64 and meta["fingerprint_keyed"] == "0"


def test_fingerprint_depends_on_agency_year_and_secret(plan: Plan) -> None:
    a, b = plan.agency("h-ben-luc"), plan.agency("h-duc-hoa")
    assert build_layout(plan, a, 2026).fingerprint() != build_layout(plan, b, 2026).fingerprint()
    assert build_layout(plan, a, 2026).fingerprint() != build_layout(plan, a, 2027).fingerprint()
    lay = build_layout(plan, a, 2026)
    assert lay.fingerprint(b"secret-1") != lay.fingerprint(b"secret-2") != lay.fingerprint()


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_generating_twice_gives_the_same_content(tmp_path: Path, plan: Plan) -> None:
    one = generate_templates(plan, 2024, tmp_path / "a", ["h-ben-luc"])[0].path
    time.sleep(1.1)  # a save stamped with the clock would now differ
    two = generate_templates(plan, 2024, tmp_path / "b", ["h-ben-luc"])[0].path
    assert _contents(one) == _contents(two)


def test_password_and_secret_are_configurable(tmp_path: Path, plan: Plan, monkeypatch) -> None:
    monkeypatch.setenv("XLTOOLKIT_SHEET_PASSWORD", "mat-khau-tinh")
    monkeypatch.setenv("XLTOOLKIT_SECRET", "bi-mat")
    path = generate_templates(plan, 2024, tmp_path, ["so-tp"])[0].path
    wb = openpyxl.load_workbook(path)
    assert wb[DATA_SHEET].protection.password  # stored hashed, never in plain text
    assert b"mat-khau-tinh" not in b"".join(_contents(path).values())
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    assert meta["fingerprint_keyed"] == "1"


def test_cli_templates(tmp_path: Path) -> None:
    out = tmp_path / "t"
    # 2024: the district Bến Lức (code 803) is in force; from 1/7/2025 it no longer exists
    result = CliRunner().invoke(main, ["templates", "--year", "2024", "--out", str(out), "--agency", "803"])
    assert result.exit_code == 0, result.output
    assert (out / "bao-cao-2024-h-ben-luc.xlsx").exists()
    bad = CliRunner().invoke(main, ["templates", "--year", "2024", "--out", str(out), "--agency", "999"])
    assert bad.exit_code == 2 and "unknown-agency" in bad.output
    gone = CliRunner().invoke(main, ["templates", "--year", "2026", "--out", str(out), "--agency", "803"])
    assert gone.exit_code == 2 and "agency-not-in-force" in gone.output


# ------------------------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
def test_every_template_in_libreoffice(
    require_libreoffice, templates_dir: Path, plan: Plan, tmp_path: Path
) -> None:
    """LibreOffice opens each template, a value is typed in every input, the rate is recomputed."""
    jobs, expected = [], []
    for agency in plan.agencies:
        lay = build_layout(plan, agency, TEMPLATE_YEAR)
        values, reads, want = {}, [], {}
        typed: dict[str, int] = {}
        for i, m in enumerate(lay.measures):
            # a figure shared by several measures is one element, typed once (8b's base is 8a's count)
            num = typed.setdefault(m.numerator_element or "", 3 + i)
            den = typed.setdefault(m.denominator_element or "", 1000 + 37 * i)
            values[f"TU_{m.code}"], values[f"MAU_{m.code}"] = num, den
            ref = f"{DATA_SHEET}!{lay.columns['value']}{lay.measure_rows[m.code]}"
            reads.append(ref)
            want[ref] = num / den * m.scale
        values["KP_NSNN"], values["KP_HUYDONG"] = 120.5, 30
        total = f"{REPORT_SHEET}!C{lay.budget_rows['total']}"
        reads.append(total)
        want[total] = 150.5
        keys = list(lay.meta(fingerprint="", keyed=False))
        meta_cells = {k: f"{META_SHEET}!B{keys.index(k) + 1}" for k in ("agency_id", "year", "plan_id")}
        reads += list(meta_cells.values())
        inspect = [n for n in ("TU_1", "MAU_1", "KP_NSNN") if n in values]
        if lay.measures:
            inspect.append(f"{DATA_SHEET}!B{lay.measure_rows[lay.measures[0].code]}")
        jobs.append(
            {
                "path": str(templates_dir / template_filename(agency, TEMPLATE_YEAR)),
                "set": values,
                "read": reads,
                "inspect": inspect,
                "save_as": str(tmp_path / f"{agency.id}.xlsx"),
            }
        )
        expected.append((agency, lay, want, meta_cells))
    results = libreoffice.run_uno(jobs)
    assert len(results) == len(jobs)
    for (agency, lay, want, meta_cells), got in zip(expected, results, strict=True):
        for ref, value in want.items():
            assert got["values"][ref] == pytest.approx(value), (agency.id, ref)
        meta = {k: got["values"][ref] for k, ref in meta_cells.items()}
        assert meta == {"agency_id": agency.id, "year": str(TEMPLATE_YEAR), "plan_id": plan.id}
        sheets = got["sheets"]
        assert sheets[REPORT_SHEET]["protected"] and sheets["Hướng dẫn"]["protected"]
        assert not sheets[META_SHEET]["visible"]
        assert {i.name for i in lay.inputs} <= set(got["names"])
        if lay.measures:
            assert sheets[DATA_SHEET]["protected"]
            cells = got["cells"]
            label = next(k for k in cells if k.startswith(DATA_SHEET))
            assert cells[label]["locked"] is True
            if "TU_1" in cells:
                assert cells["TU_1"]["locked"] is False and cells["TU_1"]["validation_type"] == "CUSTOM"
                assert cells["MAU_1"]["validation_type"] == "WHOLE" and cells["MAU_1"]["show_error"]
        assert cells_ok(got, "KP_NSNN", "DECIMAL") if "KP_NSNN" in got["cells"] else True
        assert (tmp_path / f"{agency.id}.xlsx").exists()


def cells_ok(got: dict, ref: str, kind: str) -> bool:
    return got["cells"][ref]["locked"] is False and got["cells"][ref]["validation_type"] == kind


@pytest.mark.libreoffice
def test_libreoffice_saved_file_keeps_names_and_locked_content(
    require_libreoffice, templates_dir: Path, plan: Plan, tmp_path: Path
) -> None:
    src = templates_dir / template_filename(plan.agency("so-yt"), TEMPLATE_YEAR)
    [saved] = libreoffice.resave([src], tmp_path)
    wb = openpyxl.load_workbook(saved)
    lay = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR)
    for cell in lay.cells:
        got = wb[cell.sheet][cell.ref].value
        if cell.formula:
            assert got.replace(" ", "").upper() == cell.formula.replace(" ", "").upper()
        else:
            assert got == cell.value, (cell.sheet, cell.ref)
    for inp in lay.inputs:
        sheet, ref = next(iter(wb.defined_names[inp.name].destinations))
        assert (sheet, ref.replace("$", "")) == (inp.sheet, inp.ref)
