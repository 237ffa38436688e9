"""Build returned workbooks for tests: filled templates, clean and with every fault the validator knows.

Reusable by other tests: `fill_workbook` (openpyxl, by defined name), `fill_with_libreoffice` (one
LibreOffice run for many files, as an officer's office suite saves them), `clean_values` (plausible
inputs for an agency). `build_corpus` makes the fault corpus: each `Case` says which issues
(code, sheet, cell) the validator must report for it.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

from xltoolkit.demo import libreoffice
from xltoolkit.demo.sample_values import make_consistent
from xltoolkit.plan.model import Plan
from xltoolkit.plan.rules import plausible_max
from xltoolkit.template.render import template_filename
from xltoolkit.workbook.layout import DATA_SHEET, META_SHEET, REPORT_SHEET, build_layout


def fill_workbook(template_path: Path, out_path: Path, values: dict[str, Any]) -> Path:
    """Copy a template with `values` typed into the cells of the given defined names (openpyxl)."""
    wb = openpyxl.load_workbook(template_path)
    for name, value in values.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        wb[sheet][ref.replace("$", "")] = value
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def fill_with_libreoffice(jobs: list[tuple[Path, Path, dict[str, Any]]]) -> list[Path]:
    """Fill many templates in ONE LibreOffice run: (template, out, {name: value}); str stays text."""
    specs = [{"path": str(t), "set": v, "save_as": str(o)} for t, o, v in jobs]
    for _, out, _ in jobs:
        out.parent.mkdir(parents=True, exist_ok=True)
    libreoffice.run_uno(specs)
    return [o for _, o, _ in jobs]


def element_keys(plan: Plan, agency_id: str) -> dict[str, str]:
    """Element id -> the one TU_/MAU_ name it is typed under in test inputs: the first measure's.

    A shared base figure is one cell with several names; giving it one key means a fault typed
    under any of its names afterwards (`dict | faults`) is what the cell ends up holding.
    """
    out: dict[str, str] = {}
    for m in plan.measures_for(plan.agency(agency_id)):
        for key, ref in ((f"TU_{m.code}", m.numerator_element), (f"MAU_{m.code}", m.denominator_element)):
            if ref:
                out.setdefault(ref, key)
    return out


def measure_input(plan: Plan, values: dict[str, Any], agency_id: str, code: str, part: str) -> Any:
    """What test inputs typed for a measure's numerator ('TU') or denominator ('MAU')."""
    m = plan.measure_by_code[code]
    ref = m.numerator_element if part == "TU" else m.denominator_element
    return values[element_keys(plan, agency_id)[ref or ""]]


def consistent(plan: Plan, agency_id: str, values: dict[str, Any], *, one_key: bool = True) -> dict[str, Any]:
    """`values` with its TU_/MAU_ counts made consistent with the plan's data elements and rules.

    A base figure shared by several measures is one cell: it takes the largest value the measures
    naming it give, broken rules are repaired by raising the larger side (or setting the administrative
    count), then every measure's TU_/MAU_ is written from its elements, so what a test expects per
    measure is what the file holds.
    """
    agency = plan.agency(agency_id)
    measures = plan.measures_for(agency)
    elements: dict[str, int] = {}
    for m in measures:
        for key, ref in ((f"TU_{m.code}", m.numerator_element), (f"MAU_{m.code}", m.denominator_element)):
            if ref and isinstance(values.get(key), int):
                elements[ref] = max(elements.get(ref, values[key]), values[key])
    elements = make_consistent(plan, agency, elements)
    out = dict(values)
    for m in measures:
        out[f"TU_{m.code}"] = elements[m.numerator_element or ""]
        if m.denominator_element:
            out[f"MAU_{m.code}"] = elements[m.denominator_element]
    if one_key:
        keep = set(element_keys(plan, agency_id).values())
        out = {k: v for k, v in out.items() if not k.startswith(("TU_", "MAU_")) or k in keep}
    return out


def clean_values(plan: Plan, agency_id: str, year: int, seed: int = 0) -> dict[str, Any]:
    """Plausible inputs for every input of the agency's template (rates below plausible maxima),
    one value per data element: denominators first, then numerators against them."""
    rnd = random.Random(f"{agency_id}-{year}-{seed}")
    lay = build_layout(plan, plan.agency(agency_id), year)
    values: dict[str, Any] = {}
    dens: dict[str, int] = {}
    for m in lay.measures:
        if m.denominator_element:
            dens.setdefault(m.denominator_element, rnd.randint(2000, 5000))
    nums: dict[str, int] = {}
    for m in lay.measures:
        el = m.numerator_element or ""
        if m.denominator_element:
            den = dens[m.denominator_element]
            limit = plausible_max(plan, m.code) or m.scale
            top = min(den, int(den * 0.5 * limit / m.scale))
            values[f"MAU_{m.code}"] = den
        else:
            top = 50
        value = dens.get(el, nums.get(el))
        if value is None:
            value = nums[el] = rnd.randint(0, max(top, 0))
        values[f"TU_{m.code}"] = value
        values[f"NGUON_{m.code}"] = "Sổ theo dõi của đơn vị"
    rules = plan.rules_for(plan.agency(agency_id))
    pinned = {r.left_side.elements[0] for r in rules if r.operator == "==" and len(r.left_side.elements) == 1}
    for _ in range(3):  # a shared numerator may sit on a small base: widen the base, repair again
        values = consistent(plan, agency_id, values, one_key=False)
        for m in lay.measures:
            num, den = values[f"TU_{m.code}"], values.get(f"MAU_{m.code}")
            limit = plausible_max(plan, m.code) or m.scale
            if den and num * m.scale / den > 0.9 * limit:
                if m.denominator_element in pinned:  # an administrative count: lower the numerator
                    values[f"TU_{m.code}"] = int(den * 0.5 * limit / m.scale)
                else:
                    values[f"MAU_{m.code}"] = int(num * m.scale / (0.5 * limit)) + 1
    values = consistent(plan, agency_id, values)
    values["KP_NSNN"] = round(rnd.uniform(10, 900), 2)
    values["KP_HUYDONG"] = round(rnd.uniform(0, 300), 1)
    for inp in lay.inputs:
        if inp.kind == "task":
            values[inp.name] = f"Đã triển khai nhiệm vụ {inp.code} theo kế hoạch."
    values["KHO_KHAN"] = "Không có khó khăn lớn."
    values["NGUOI_LAP"] = "Nguyễn Văn An"
    values["DIEN_THOAI"] = "0272 3826 123"
    return values


@dataclass
class Case:
    """One corpus file and what validating it must report. `expect` = {(code, sheet, cell)}."""

    key: str
    path: Path
    expect: set[tuple[str, str | None, str | None]] = field(default_factory=set)
    clean: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)  # extra validate_workbook arguments
    integrity_ok: bool | None = None


def _ref(plan: Plan, agency: str, year: int, name: str) -> tuple[str, str]:
    inp = build_layout(plan, plan.agency(agency), year).input_by_name[name]
    return inp.sheet, inp.ref


def _edit(src: Path, out: Path, change: Any) -> Path:
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(out)
    return out


def _rewrite_zip(
    src: Path, out: Path, replace: dict[str, bytes], add: dict[str, bytes] | None = None
) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def _insert_row(wb: openpyxl.Workbook, row: int) -> None:
    """Insert a row in the data sheet the way Excel does: names and merges below it move down."""
    ws = wb[DATA_SHEET]
    ws.protection.sheet = False
    ws.insert_rows(row)
    for name, dn in list(wb.defined_names.items()):
        sheet, ref = next(iter(dn.destinations))
        col, r = ref.replace("$", "")[0], int(ref.replace("$", "")[1:])
        if sheet == DATA_SHEET and r >= row:
            wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${col}${r + 1}")
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row >= row:
            rng.shift(0, 1)


def build_corpus(
    plan: Plan, templates_dir: Path, out: Path, year: int, use_libreoffice: bool = True
) -> list[Case]:
    """Write the corpus into `out` and return its cases (file-level, integrity and value faults)."""
    out.mkdir(parents=True, exist_ok=True)

    def tpl(agency: str) -> Path:
        return templates_dir / template_filename(plan.agency(agency), year)

    def at(agency: str, name: str) -> tuple[str, str]:
        return _ref(plan, agency, year, name)

    cases: list[Case] = []
    dist, dept = "h-ben-luc", "so-yt"
    clean_d, clean_y = clean_values(plan, dist, year), clean_values(plan, dept, year)
    p = fill_workbook(tpl(dist), out / "clean-district.xlsx", clean_d)
    cases.append(Case("clean-district", p, clean=True, integrity_ok=True))
    cases.append(Case("clean-dept", fill_workbook(tpl(dept), out / "clean-dept.xlsx", clean_y), clean=True))
    ca = clean_values(plan, "cong-an", year)
    cases.append(
        Case("clean-no-data-sheet", fill_workbook(tpl("cong-an"), out / "clean-cong-an.xlsx", ca), clean=True)
    )

    # ---- values typed as text, and other value faults (district file)
    bad = dict(clean_d)
    bad |= {"TU_3a": "9,5", "MAU_3b": "1.234", "TU_1": "95%", "MAU_1": " 12 ", "TU_2": "nhiều"}
    bad |= {"TU_4a": -3, "MAU_4b": 100.5, "TU_5a": 50, "MAU_5a": 10, "TU_5b": 3, "MAU_5b": 0}
    # 9: a rate above its plausible maximum (10 % of all children), its base figure left as it was
    abused = int(measure_input(plan, clean_d, dist, "9", "MAU") * 0.1)
    bad |= {"TU_6": None, "TU_9": abused, "KP_NSNN": "12,5", "KP_HUYDONG": -1, "NV_1": None}
    p = fill_workbook(tpl(dist), out / "values.xlsx", bad)
    lay = build_layout(plan, plan.agency(dist), year)
    row9 = lay.measure_rows["9"]
    expect = {
        ("number-as-text", *at(dist, "TU_3a")),
        ("number-as-text", *at(dist, "MAU_3b")),
        ("number-as-text", *at(dist, "TU_1")),
        ("number-as-text", *at(dist, "MAU_1")),
        ("not-a-number", *at(dist, "TU_2")),
        ("negative-value", *at(dist, "TU_4a")),
        ("not-whole-number", *at(dist, "MAU_4b")),
        ("numerator-exceeds-denominator", *at(dist, "TU_5a")),
        ("zero-denominator", *at(dist, "MAU_5b")),
        ("missing-value", *at(dist, "TU_6")),
        ("implausible-value", DATA_SHEET, f"{lay.columns['value']}{row9}"),
        ("number-as-text", *at(dist, "KP_NSNN")),
        ("negative-value", *at(dist, "KP_HUYDONG")),
        ("missing-task-result", *at(dist, "NV_1")),
    }
    cases.append(Case("values", p, expect, integrity_ok=True))
    # year-on-year jump against a known earlier value
    jump = dict(clean_d) | {"TU_1": 90, "MAU_1": 100}
    p = fill_workbook(tpl(dist), out / "yoy.xlsx", jump)
    row1 = lay.measure_rows["1"]
    cases.append(
        Case(
            "yoy",
            p,
            {("yoy-jump", DATA_SHEET, f"{lay.columns['value']}{row1}")},
            kwargs={"history": {(dist, "1"): {year - 1: 30.0}}},
            integrity_ok=True,
        )
    )

    # ---- integrity faults
    base = cases[1].path  # clean department file
    lay_y = build_layout(plan, plan.agency(dept), year)
    r3a = lay_y.measure_rows["3a"]
    target_ref = f"{lay_y.columns['target_2025']}{r3a}"
    value_ref = f"{lay_y.columns['value']}{r3a}"

    def set_cell(sheet: str, ref: str, v: Any):
        return lambda wb: wb[sheet].__setitem__(ref, v)

    cases.append(
        Case(
            "locked-cell",
            _edit(base, out / "locked-cell.xlsx", set_cell(DATA_SHEET, target_ref, 12)),
            {("locked-cell-changed", DATA_SHEET, target_ref)},
            integrity_ok=False,
        )
    )
    cases.append(
        Case(
            "formula",
            _edit(base, out / "formula.xlsx", set_cell(DATA_SHEET, value_ref, "=8.5")),
            {("formula-changed", DATA_SHEET, value_ref)},
            integrity_ok=False,
        )
    )
    shift_row = lay_y.measure_rows["3b"]
    cases.append(
        Case(
            "rows-shifted",
            _edit(base, out / "rows-shifted.xlsx", lambda wb: _insert_row(wb, shift_row)),
            {("rows-shifted", DATA_SHEET, f"{lay_y.columns['code']}{shift_row}")},
            integrity_ok=False,
        )
    )

    def unprotect(wb: openpyxl.Workbook) -> None:
        wb[DATA_SHEET].protection.sheet = False

    cases.append(
        Case(
            "unprotected",
            _edit(base, out / "unprotected.xlsx", unprotect),
            {("sheet-unprotected", DATA_SHEET, None)},
            integrity_ok=True,
        )
    )
    cases.append(
        Case(
            "fingerprint",
            _edit(base, out / "fingerprint.xlsx", set_cell(META_SHEET, "B11", "0" * 64)),
            {("fingerprint-mismatch", META_SHEET, "B11")},
            integrity_ok=False,
        )
    )
    cases.append(
        Case(
            "template-version",
            _edit(base, out / "version.xlsx", set_cell(META_SHEET, "B2", "9")),
            {("unsupported-template-version", META_SHEET, "B2")},
            integrity_ok=False,
        )
    )
    cases.append(
        Case(
            "meta-year",
            _edit(base, out / "meta-year.xlsx", set_cell(META_SHEET, "B9", "năm nay")),
            {("meta-invalid", META_SHEET, "B9")},
            integrity_ok=False,
        )
    )

    def drop_name(wb: openpyxl.Workbook) -> None:
        del wb.defined_names["TU_3a"]

    cases.append(
        Case(
            "name-missing",
            _edit(base, out / "name-missing.xlsx", drop_name),
            {("name-missing", *at(dept, "TU_3a"))},
            integrity_ok=False,
        )
    )
    foreign = openpyxl.Workbook()
    foreign.active["A1"] = "Danh sách cán bộ"
    foreign.save(out / "foreign.xlsx")
    cases.append(Case("foreign", out / "foreign.xlsx", {("not-a-template", None, None)}, integrity_ok=False))
    cases.append(
        Case(
            "wrong-year",
            base,
            {("wrong-year", META_SHEET, "B9")},
            kwargs={"year": year + 1},
            integrity_ok=False,
        )
    )
    cases.append(
        Case(
            "wrong-agency",
            cases[0].path,
            {("wrong-agency", META_SHEET, "B6")},
            kwargs={"agency": dept},
            integrity_ok=False,
        )
    )

    # ---- file-level faults
    def raw(name: str, data: bytes) -> Path:
        (out / name).write_bytes(data)
        return out / name

    cases.append(
        Case("not-a-zip", raw("thu.xlsx", "Báo cáo năm 2026\n".encode()), {("not-a-zip", None, None)})
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    cases.append(
        Case("legacy-xls", raw("cu.xls", ole + b"Workbook".ljust(64, b"\x00")), {("legacy-xls", None, None)})
    )
    enc = ole + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    cases.append(Case("encrypted", raw("mat-khau.xlsx", enc), {("encrypted-workbook", None, None)}))
    cases.append(Case("empty", raw("rong.xlsx", b""), {("empty-file", None, None)}))
    big = out / "qua-lon.xlsx"
    with big.open("wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(21 * 2**20)
    cases.append(Case("oversized", big, {("file-too-large", None, None)}))
    bomb = out / "bom.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (8 * 2**20))
    cases.append(Case("zip-bomb", bomb, {("zip-bomb", None, None)}))
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
    )
    p = _rewrite_zip(base, out / "xml-attack.xlsx", {"xl/workbook.xml": laughs})
    cases.append(Case("xml-entities", p, {("unsafe-xml", None, None)}))
    trunc = out / "hong.xlsx"
    trunc.write_bytes(base.read_bytes()[:3000])
    cases.append(Case("corrupt", trunc, {("corrupt-zip", None, None)}))
    ods = out / "bang-tinh.xlsx"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    cases.append(Case("ods", ods, {("unsupported-format", None, None)}))
    xlsm = _rewrite_zip(cases[0].path, out / "macro.xlsm", {}, {"xl/vbaProject.bin": b"\x00VBA-not-run"})
    cases.append(Case("macro", xlsm, {("macro-enabled", None, None)}, integrity_ok=True))
    lock = raw("~$clean-district.xlsx", b"\x0dNguyen Van An" + b"\x20" * 40)
    cases.append(Case("lock-file", lock, {("lock-file", None, None)}))
    dup = Path(shutil.copy(cases[0].path, out / "clean-district-ban-sao.xlsx"))
    cases.append(Case("duplicate", dup, {("duplicate-file", None, None)}, integrity_ok=True))

    if use_libreoffice:
        cases += _libreoffice_cases(plan, tpl, out / "lo", year)
    return cases


def _libreoffice_cases(plan: Plan, tpl: Any, out: Path, year: int) -> list[Case]:
    """Files typed and saved by LibreOffice (one run): clean ones, and text pasted over validation."""
    dist, dept = "h-ben-luc", "so-yt"
    clean_d = clean_values(plan, dist, year, seed=1)
    text = dict(clean_d) | {"TU_3a": "9,5", "MAU_3b": "1.234", "TU_1": "95%", "MAU_1": " 12 "}
    over = dict(clean_values(plan, dept, year, seed=1)) | {"TU_3a": 900, "MAU_3a": 100}
    jobs = [
        (tpl(dist), out / "lo-clean-district.xlsx", clean_d),
        (tpl(dept), out / "lo-clean-dept.xlsx", clean_values(plan, dept, year, seed=1)),
        (tpl("cong-an"), out / "lo-clean-cong-an.xlsx", clean_values(plan, "cong-an", year, seed=1)),
        (tpl(dist), out / "lo-text.xlsx", text),
        (tpl(dept), out / "lo-over.xlsx", over),
    ]
    fill_with_libreoffice(jobs)

    def at(agency: str, name: str) -> tuple[str, str]:
        return _ref(plan, agency, year, name)

    return [
        Case("lo-clean-district", jobs[0][1], clean=True, integrity_ok=True),
        Case("lo-clean-dept", jobs[1][1], clean=True, integrity_ok=True),
        Case("lo-clean-cong-an", jobs[2][1], clean=True, integrity_ok=True),
        Case(
            "lo-text",
            jobs[3][1],
            {
                ("number-as-text", *at(dist, "TU_3a")),
                ("number-as-text", *at(dist, "MAU_3b")),
                ("number-as-text", *at(dist, "TU_1")),
                ("number-as-text", *at(dist, "MAU_1")),
            },
            integrity_ok=True,
        ),
        Case(
            "lo-over", jobs[4][1], {("numerator-exceeds-denominator", *at(dept, "TU_3a"))}, integrity_ok=True
        ),
    ]


__all__ = [
    "REPORT_SHEET",
    "Case",
    "build_corpus",
    "clean_values",
    "consistent",
    "element_keys",
    "fill_with_libreoffice",
    "fill_workbook",
    "measure_input",
]


def clean_return(out: Path, plan: Plan, year: int, agency: str) -> Path:
    """`agency`'s template of `year`, generated into `out` and filled with consistent values: the
    clean returned file the release tests alter one way at a time."""
    from xltoolkit.template.render import generate_templates, template_filename

    generate_templates(plan, year, out, [agency], secret=None, password=None)
    tpl = out / template_filename(plan.agency(agency), year)
    return fill_workbook(tpl, out / "clean.xlsx", clean_values(plan.for_year(year), agency, year))
