"""Acceptance of issue 3: a corpus of returned workbooks (openpyxl- and LibreOffice-filled, clean and
with every fault) is validated; each fault is reported with the right code at the right cell, and the
clean files pass with no error."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates, template_filename
from xltoolkit.validation.validate import validate_paths, validate_values, validate_workbook
from xltoolkit.workbook.layout import DATA_SHEET, META_SHEET, build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import Case, build_corpus, clean_values, fill_workbook, measure_input

STRUCTURE_CODES = {"sheet-unprotected", "fingerprint-mismatch", "locked-cell-changed", "formula-changed"}


@pytest.fixture(scope="module")
def corpus(
    require_libreoffice, tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan
) -> list[Case]:
    out = tmp_path_factory.mktemp("corpus")
    return build_corpus(plan, templates_dir, out, TEMPLATE_YEAR, use_libreoffice=True)


def triples(report) -> set[tuple[str, str | None, str | None]]:
    return {(i.code, i.sheet, i.cell) for i in report.issues}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_fault_reported_at_its_cell_and_clean_files_pass(corpus: list[Case], plan: Plan) -> None:
    problems = []
    for case in corpus:
        f = validate_workbook(case.path, plan, **case.kwargs).files[0]
        got = triples(f)
        if case.key == "duplicate":
            continue  # only visible in a batch (below)
        if not case.expect <= got:
            problems.append((case.key, "missing", case.expect - got))
        if case.clean and not f.valid:
            problems.append((case.key, "errors in clean file", [i.code for i in f.errors]))
        if case.integrity_ok is not None and f.integrity_ok is not case.integrity_ok:
            problems.append((case.key, "integrity", f.integrity_ok))
        for i in f.issues:
            assert i.severity in ("error", "warning") and re.fullmatch(r"[a-z][a-z-]+", i.code)
            assert i.message and any(
                ch in i.message for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
            )
    assert not problems, problems


def test_clean_files_have_no_issue_at_all(corpus: list[Case], plan: Plan) -> None:
    for case in (c for c in corpus if c.clean):
        f = validate_workbook(case.path, plan).files[0]
        assert f.issues == [], (case.key, [(i.code, i.cell) for i in f.issues])
        assert f.integrity_ok and f.budget is not None


def test_file_level_faults_are_errors_and_never_block_other_files(corpus: list[Case], plan: Plan) -> None:
    paths = [c.path for c in corpus if not c.kwargs]
    report = validate_paths(paths, plan)
    assert [f.path for f in report.files] == [str(p) for p in paths]
    by_key = {c.key: report.files[i] for i, c in enumerate(c for c in corpus if not c.kwargs)}
    for key in ("not-a-zip", "legacy-xls", "encrypted", "empty", "oversized", "zip-bomb", "xml-entities"):
        f = by_key[key]
        assert not f.valid and not f.integrity_ok and len(f.issues) == 1, key
    assert by_key["lock-file"].valid and [i.code for i in by_key["lock-file"].issues] == ["lock-file"]
    assert by_key["clean-district"].valid and by_key["lo-clean-dept"].valid
    dup = by_key["duplicate"]
    assert [i.code for i in dup.issues] == ["duplicate-file"] and dup.sha256 == by_key[
        "clean-district"
    ].sha256
    macro = by_key["macro"]
    assert [i.code for i in macro.issues] == ["macro-enabled"] and macro.integrity_ok
    assert len(macro.values) == len(by_key["clean-district"].values)


def test_batch_finds_the_same_issues_as_single_files(corpus: list[Case], plan: Plan) -> None:
    cases = [c for c in corpus if not c.kwargs and c.key != "duplicate"]
    batch = validate_paths([c.path for c in cases], plan)
    for case, f in zip(cases, batch.files, strict=True):
        single = validate_workbook(case.path, plan).files[0]
        assert triples(f) == triples(single), case.key


def test_folder_input_skips_lock_files(corpus: list[Case], plan: Plan) -> None:
    folder = corpus[0].path.parent
    report = validate_paths([folder], plan)
    names = {Path(f.path).name for f in report.files}
    assert "~$clean-district.xlsx" not in names and "clean-district.xlsx" in names
    assert "cu.xls" in names and "macro.xlsm" in names


def test_files_are_never_modified(corpus: list[Case], plan: Plan) -> None:
    before = {c.path: _sha(c.path) for c in corpus}
    validate_paths([c.path for c in corpus], plan)
    assert {c.path: _sha(c.path) for c in corpus} == before


def test_values_are_read_by_name_and_recomputed(plan: Plan, templates_dir: Path, tmp_path: Path) -> None:
    agency = "h-ben-luc"
    values = clean_values(plan, agency, TEMPLATE_YEAR, seed=7)
    path = fill_workbook(
        templates_dir / template_filename(plan.agency(agency), TEMPLATE_YEAR), tmp_path / "a.xlsx", values
    )
    f = validate_workbook(path, plan, agency=agency, year=TEMPLATE_YEAR).files[0]
    assert f.valid and f.integrity_ok and f.agency == agency and f.year == TEMPLATE_YEAR
    df = f.values.set_index("code")
    assert list(df.columns) == [
        "agency",
        "year",
        "numerator",
        "denominator",
        "value",
        "source",
        "notes",
        "blocked",
        "no_data",
    ]
    for m in plan.measures_for(plan.agency(agency)):
        num = measure_input(plan, values, agency, m.code, "TU")
        den = measure_input(plan, values, agency, m.code, "MAU")
        row = df.loc[m.code]
        assert row["numerator"] == num and row["denominator"] == den
        assert row["value"] == pytest.approx(num / den * m.scale)
        assert not row["blocked"] and row["source"] == values[f"NGUON_{m.code}"]
    assert f.budget == {
        "state": pytest.approx(values["KP_NSNN"]),
        "mobilised": pytest.approx(values["KP_HUYDONG"]),
    }
    assert [t["result"] for t in f.tasks] == [values[f"NV_{t['no']}"] for t in f.tasks]
    assert f.tasks[0]["task"] == plan.tasks_for(plan.agency(agency))[0]
    assert f.difficulties == values["KHO_KHAN"] and f.reporter == values["NGUOI_LAP"]
    assert f.meta["agency_id"] == agency and len(f.sha256) == 64


def test_blocked_measures_and_invalid_budget(corpus: list[Case], plan: Plan) -> None:
    case = next(c for c in corpus if c.key == "values")
    f = validate_workbook(case.path, plan).files[0]
    df = f.values.set_index("code")
    for code in ("1", "2", "3a", "3b", "4a", "4b", "5a", "5b", "6"):
        assert df.loc[code, "blocked"] and df["value"].isna()[code], code
    assert not df.loc["9", "blocked"]  # implausible is a warning: value used, shown
    assert not df.loc["7", "blocked"] and df.loc["7", "value"] >= 0
    assert f.budget is None and f.integrity_ok


def test_cached_formula_results_are_ignored(corpus: list[Case], plan: Plan, tmp_path: Path) -> None:
    """A LibreOffice file whose cached results were tampered with still yields recomputed values."""
    case = next(c for c in corpus if c.key == "lo-clean-dept")
    src = case.path
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1<v>999</v>", data)
            zout.writestr(info.filename, data)
    stale = tmp_path / "stale.xlsx"
    stale.write_bytes(buf.getvalue())
    assert b"<v>999</v>" in zipfile.ZipFile(stale).read("xl/worksheets/sheet2.xml")
    good = validate_workbook(src, plan).files[0].values
    got = validate_workbook(stale, plan).files[0]
    assert got.valid
    assert got.values["value"].tolist() == pytest.approx(good["value"].tolist())
    assert (got.values["value"] < 999).all()


def test_rows_shifted_file_still_read_by_names(corpus: list[Case], plan: Plan) -> None:
    shifted = validate_workbook(next(c for c in corpus if c.key == "rows-shifted").path, plan).files[0]
    clean = validate_workbook(next(c for c in corpus if c.key == "clean-dept").path, plan).files[0]
    assert not shifted.integrity_ok and shifted.values["blocked"].all()
    pd_cols = ["code", "numerator", "denominator"]
    assert shifted.values[pd_cols].equals(clean.values[pd_cols])


def test_keyed_fingerprint(plan: Plan, tmp_path: Path) -> None:
    [t] = generate_templates(plan, TEMPLATE_YEAR, tmp_path / "t", ["so-tp"], secret=b"bi-mat", password=None)
    path = fill_workbook(t.path, tmp_path / "so-tp.xlsx", clean_values(plan, "so-tp", TEMPLATE_YEAR))
    ok = validate_workbook(path, plan, secret=b"bi-mat").files[0]
    assert ok.valid and ok.integrity_ok and ok.meta["fingerprint_keyed"] == "1"
    wrong = validate_workbook(path, plan, secret=b"khac").files[0]
    assert "fingerprint-mismatch" in {i.code for i in wrong.errors} and not wrong.integrity_ok
    unknown = validate_workbook(path, plan, secret=b"").files[0]
    assert {i.code for i in unknown.issues} == {"fingerprint-unverifiable"} and unknown.integrity_ok


def test_to_dict_contract(corpus: list[Case], plan: Plan) -> None:
    report = validate_paths([corpus[0].path, next(c.path for c in corpus if c.key == "values")], plan)
    d = report.to_dict()
    assert set(d) == {"files"}
    for f in d["files"]:
        assert set(f) == {"path", "agency", "year", "valid", "issues"}
        for i in f["issues"]:
            assert set(i) == {"code", "severity", "sheet", "cell", "measure", "message"}
    # a shared base figure's cell can carry an issue for each measure dividing by it
    by_cell = {(i["sheet"], i["cell"], i["measure"]) for i in d["files"][1]["issues"]}
    measured = [i for i in report.files[1].issues if i.measure]
    assert measured and all((i.sheet, i.cell, i.measure) in by_cell for i in measured)
    assert d["files"][0]["valid"] is True and d["files"][1]["valid"] is False
    assert (
        not report.valid
        and report.stats["files"] == 2
        and report.stats["errors"] == len([i for i in report.issues if i.is_error])
    )


# ------------------------------------------------------------------------------- add-in entry point


def grids_and_names(path: Path) -> tuple[dict[str, list[list]], list[dict[str, str]]]:
    """What the add-in sends: every sheet's values from A1, defined names as {name, sheet, address}."""
    import openpyxl

    wb = CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in wb.sheet_names:
        sh = wb.get_sheet_by_name(name)
        sheets[name] = sh.to_python(skip_empty_area=False)
    names = []
    for n, dn in openpyxl.load_workbook(path, read_only=False).defined_names.items():
        sheet, ref = next(iter(dn.destinations))
        names.append({"name": n, "sheet": sheet, "address": ref})
    return sheets, names


def test_validate_values_matches_file_validation(corpus: list[Case], plan: Plan) -> None:
    for key in ("values", "lo-text", "clean-district", "lo-over"):
        case = next(c for c in corpus if c.key == key)
        sheets, names = grids_and_names(case.path)
        from_addin = validate_values(sheets, names, plan).files[0]
        from_file = validate_workbook(case.path, plan).files[0]
        assert triples(from_addin) == triples(from_file) - {
            t for t in triples(from_file) if t[0] in STRUCTURE_CODES
        }
        assert from_addin.values.drop(columns="source").equals(from_file.values.drop(columns="source")), key


def test_validate_values_checks_agency_year_and_locked_cells(corpus: list[Case], plan: Plan) -> None:
    case = next(c for c in corpus if c.key == "locked-cell")
    sheets, names = grids_and_names(case.path)
    found = validate_values(sheets, names, plan).files[0]  # no formulas: no fingerprint, a layout diff
    assert triples(found) == case.expect and not found.valid
    wrong = validate_values(sheets, names, plan, agency="h-ben-luc", year=TEMPLATE_YEAR + 1).files[0]
    assert {"wrong-agency", "wrong-year"} <= {i.code for i in wrong.errors}
    del sheets[META_SHEET]
    assert "not-a-template" in {i.code for i in validate_values(sheets, names, plan).files[0].errors}


def test_text_numbers_are_never_used(corpus: list[Case], plan: Plan) -> None:
    f = validate_workbook(next(c for c in corpus if c.key == "values").path, plan).files[0]
    df = f.values.set_index("code")
    assert pd.isna(df.loc["3a", "numerator"]) and pd.isna(df.loc["1", "denominator"])  # "9,5", " 12 "
    births = build_layout(plan, plan.agency("h-ben-luc"), TEMPLATE_YEAR).element_cells["live_births"].value
    msg = next(i.message for i in f.issues if i.code == "number-as-text" and i.cell == births)  # MAU_3b
    assert "1234" in msg and births in msg  # the number meant and the cell to retype


def test_structure_changes_found_cell_by_cell(corpus: list[Case], plan: Plan, tmp_path: Path) -> None:
    import openpyxl

    base = next(c for c in corpus if c.key == "clean-dept").path
    lay = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR)
    wb = openpyxl.load_workbook(base)
    ws = wb[DATA_SHEET]
    ws.unmerge_cells("A5:" + lay.columns["notes"] + "5")
    extra_ref = f"{lay.columns['code']}{lay.last_data_row + 3}"
    ws[extra_ref] = "ghi thêm"
    addin_ref = f"{lay.columns['addin_status']}{lay.measure_rows['3a']}"
    ws[addin_ref] = "Đạt"  # the add-in's own column: not a change
    wb.remove(wb["Hướng dẫn"])
    wb.save(tmp_path / "changed.xlsx")
    f = validate_workbook(tmp_path / "changed.xlsx", plan).files[0]
    got = triples(f)
    assert ("merge-changed", DATA_SHEET, "A5") in got
    assert ("locked-cell-changed", DATA_SHEET, extra_ref) in got
    assert ("sheet-missing", "Hướng dẫn", None) in got
    assert not any(t[2] == addin_ref for t in got) and not f.integrity_ok


def test_addin_columns_do_not_break_the_fingerprint(corpus: list[Case], plan: Plan, tmp_path: Path) -> None:
    import openpyxl

    base = next(c for c in corpus if c.key == "clean-dept").path
    lay = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR)
    wb = openpyxl.load_workbook(base)
    for code, row in lay.measure_rows.items():
        wb[DATA_SHEET][f"{lay.columns['addin_value']}{row}"] = 1.5
        wb[DATA_SHEET][f"{lay.columns['addin_status']}{row}"] = f"Đạt ({code})"
    wb["Kết quả kiểm tra"]["A1"] = "Đã kiểm tra"
    wb.save(tmp_path / "addin.xlsx")
    f = validate_workbook(tmp_path / "addin.xlsx", plan).files[0]
    assert f.valid and f.integrity_ok and f.issues == []


def test_an_unexpected_failure_is_a_report_not_a_traceback(
    corpus: list[Case], plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xltoolkit.validation.validate as v

    real = v.extract

    def boom(wbd, lay, reported):
        if wbd.sheets.get(DATA_SHEET) is None:  # the file without a data sheet reads normally
            return real(wbd, lay, reported)
        raise RuntimeError("bug")

    monkeypatch.setattr(v, "extract", boom)
    cases = {c.key: c.path for c in corpus}
    report = validate_paths([cases["clean-dept"], cases["not-a-zip"], cases["clean-no-data-sheet"]], plan)
    codes = [[i.code for i in f.issues] for f in report.files]
    assert codes == [["read-failed"], ["not-a-zip"], []]
    assert not report.files[0].integrity_ok


def test_entity_declaration_in_shared_strings_is_refused(
    corpus: list[Case], plan: Plan, tmp_path: Path
) -> None:
    """LibreOffice (like Excel) writes shared strings, which only calamine parses: still guarded."""
    src = next(c for c in corpus if c.key == "lo-clean-dept").path
    bomb = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    out = tmp_path / "sst.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        assert "xl/sharedStrings.xml" in zin.namelist()
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = bomb + re.sub(rb"^<\?xml[^>]*\?>", b"", data)
            zout.writestr(info.filename, data)
    f = validate_workbook(out, plan).files[0]
    assert [i.code for i in f.issues] == ["unsafe-xml"]


def test_annotated_macro_file_is_a_plain_xlsx(corpus: list[Case], plan: Plan, tmp_path: Path) -> None:
    from xltoolkit.validation.feedback import annotate_report

    paths = [c.path for c in corpus if c.key in ("macro", "foreign", "values", "zip-bomb")]
    before = [_sha(p) for p in paths]
    written = annotate_report(validate_paths(paths, plan), tmp_path)
    assert sorted(p.name for p in written) == ["foreign.xlsx", "macro.xlsx", "values.xlsx"]
    assert "xl/vbaProject.bin" not in zipfile.ZipFile(tmp_path / "macro.xlsx").namelist()
    assert [_sha(p) for p in paths] == before
    import openpyxl

    foreign = openpyxl.load_workbook(tmp_path / "foreign.xlsx")
    assert foreign.active.title == "Kết quả kiểm tra"
    assert foreign.active.cell(row=4, column=5).value == "not-a-template"


def test_scan_and_full_parse_agree_on_libreoffice_files(
    corpus: list[Case], plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xltoolkit.validation.ooxml as ooxml

    paths = [c.path for c in corpus if c.key.startswith("lo-")]
    fast = validate_paths(paths, plan)
    monkeypatch.setattr(ooxml, "ALWAYS_PARSE", True)
    strict = validate_paths(paths, plan)
    assert fast.to_dict() == strict.to_dict()
    assert [f.value_rows for f in fast.files] == [f.value_rows for f in strict.files]
