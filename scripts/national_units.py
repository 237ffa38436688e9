"""Every commune/ward of Vietnam since 1 July 2025, for the national-scale benchmark (one workbook each).

Read from the pinned `vietnamadminunits` dataset (a test/benchmark dependency, not a runtime one), so the
benchmark's 3,321 units are real names and official codes rather than synthetic ones.

    python scripts/national_units.py            # prints code, name, province as TSV

`national_plan()` is the bundled plan as the 2025 edition has it (indicators, measures, data elements,
rules, departments), with one reporting agency per commune of the country instead of Tây Ninh's: the
plan a national collection would consolidate against, through the ordinary `Plan` and `consolidate`.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xltoolkit.plan.model import Plan

#: The year of the national run: the first whole reporting year of the 2025 communes.
NATIONAL_YEAR = 2025
#: Communes and wards in force from the 2025 reorganisation.
COMMUNES_FROM = date(2025, 7, 1)


@dataclass(frozen=True)
class NationalUnit:
    code: str
    name: str
    kind: str
    province: str
    province_code: str


def national_units() -> list[NationalUnit]:
    """All communes, wards and special zones in force since 1/7/2025, sorted by official code."""
    db = resources.files("vietnamadminunits") / "data" / "dataset.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT wardCode, ward, wardType, province, provinceCode "
            "FROM admin_units ORDER BY wardCode"
        ).fetchall()
    return [
        NationalUnit(code, name, kind.lower(), province, pcode) for code, name, kind, province, pcode in rows
    ]


def national_agency(u: NationalUnit) -> dict[str, Any]:
    """A commune as the 2025 edition makes its communes agencies (one commune each, no district)."""
    return {
        "id": f"{u.code}-2025",
        "name": u.name,
        "kind": "commune",
        "code": u.code,
        "communes": 1,
        "valid_from": COMMUNES_FROM,
    }


def national_plan(base: Plan | None = None, year: int = NATIONAL_YEAR) -> Plan:
    """The plan of `year` (the bundled plan by default) with the country's communes as its reporters.

    Built from the year's view: its edition keeps consolidator, leads, report and guide, but selects
    no units from the province's units file (the communes are listed instead), so `for_year(year)` of
    the result keeps these 3,321 agencies.
    """
    from xltoolkit.plan.model import Plan, load_plan

    view = (base or load_plan()).for_year(year)
    data = view.model_dump(by_alias=True)
    data["edition"]["units"] = None
    kept = [a for a in data["agencies"] if a["kind"] not in ("district", "commune")]
    data["agencies"] = kept + [national_agency(u) for u in national_units()]
    return Plan.model_validate(data)


def main() -> int:
    for u in national_units():
        sys.stdout.write(f"{u.code}\t{u.name}\t{u.province}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ------------------------------------------------------------------------------------ workbooks

_INLINE = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]+)"([^>]*)><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
)
SHARED_STRINGS = "xl/sharedStrings.xml"
_WORK: dict[str, Any] = {}  # set before the pool forks: plan, seed texts and members, secret


def _texts(lay: Any, fingerprint: str, keyed: bool) -> dict[tuple[str, str], Any]:
    """Every fixed cell's content and every metadata value of a layout, by (sheet, ref)."""
    from xltoolkit.workbook.layout import META_SHEET

    out: dict[tuple[str, str], Any] = {(c.sheet, c.ref): c.formula or c.value for c in lay.cells}
    for row, value in enumerate(lay.meta(fingerprint, keyed).values(), start=1):
        out[(META_SHEET, f"B{row}")] = value
    return out


def _changes(
    seed: dict[tuple[str, str], Any], other: dict[tuple[str, str], Any]
) -> dict[tuple[str, str], str]:
    """(sheet, ref) -> the other commune's text, where it differs from the seed's; refuses what a
    text rewrite could not express (another set of cells, a number or formula that differs)."""
    if seed.keys() != other.keys():
        raise ValueError("layouts differ in their cells: derive from a template per commune instead")
    out: dict[tuple[str, str], str] = {}
    for key, old in seed.items():
        new = other[key]
        if old == new:
            continue
        if not (isinstance(old, str) and isinstance(new, str)) or old.startswith("=") or new.startswith("="):
            raise ValueError(f"{key}: {old!r} -> {new!r} is not a plain text change")
        out[key] = new
    return out


_SHARED_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"([^>]*\bt="s"[^>]*)><v>([0-9]+)</v></c>')
_SI = re.compile(rb"<si>(.*?)</si>", re.S)
_SI_TEXT = re.compile(rb"<t(?: [^>]*)?>([^<]*)</t>")


def shared_strings(data: bytes) -> list[str]:
    """The plain texts of a shared string table (runs joined), as the cells index them."""
    from html import unescape

    return [unescape(b"".join(_SI_TEXT.findall(m.group(1))).decode()) for m in _SI.finditer(data)]


def _rewrite(
    data: bytes, cells: dict[str, str], old: dict[str, Any], strings: list[str], added: list[str]
) -> bytes:
    """One sheet part with the texts of `cells` replaced: inline strings in place (as openpyxl
    writes them); shared-string cells (as Excel and LibreOffice write them) pointed at new entries
    appended to the table (`added`), so a string the seed shares with an unchanged cell stays."""
    from html import unescape  # numeric character references too (openpyxl writes non-ASCII so)
    from xml.sax.saxutils import escape

    done: set[str] = set()

    def check(ref: str, text: str) -> None:
        if text != old[ref]:
            raise ValueError(f"{ref}: the seed file does not hold the layout's text")
        done.add(ref)

    def inline(m: re.Match[bytes]) -> bytes:
        ref = m.group(1).decode()
        if ref not in cells:
            return m.group(0)
        check(ref, unescape(m.group(3).decode()))
        return b'<c r="%s"%s><is><t>%s</t></is></c>' % (m.group(1), m.group(2), escape(cells[ref]).encode())

    def shared(m: re.Match[bytes]) -> bytes:
        ref = m.group(1).decode()
        if ref not in cells:
            return m.group(0)
        check(ref, strings[int(m.group(3))])
        added.append(cells[ref])
        return b'<c r="%s"%s><v>%d</v></c>' % (m.group(1), m.group(2), len(strings) + len(added) - 1)

    out = _SHARED_CELL.sub(shared, _INLINE.sub(inline, data))
    if done != cells.keys():
        raise ValueError(f"cells not found as text: {sorted(cells.keys() - done)[:5]}")
    return out


def _append_strings(data: bytes, added: list[str]) -> bytes:
    """The shared string table with `added` at its end and its counts raised to match."""
    from xml.sax.saxutils import escape

    if not added:
        return data
    items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % escape(t).encode() for t in added)
    end = data.rindex(b"</sst>")
    data = data[:end] + items + data[end:]

    def more(m: re.Match[bytes]) -> bytes:
        return m.group(1) + str(int(m.group(2)) + len(added)).encode() + m.group(3)

    return re.sub(rb'(\b(?:count|uniqueCount)=")([0-9]+)(")', more, data, count=2)


def _derive_national(job: tuple[str, str, int, float]) -> str:
    """Write one commune's workbook: the seed file with the commune's identity texts, fingerprint
    and title, and a state budget of its own (so every file differs)."""
    from xml.sax.saxutils import escape

    from xltoolkit.workbook.layout import build_layout

    agency_id, out, k, stamp = job
    plan, seed_texts, members, secret = (_WORK[n] for n in ("plan", "texts", "members", "secret"))
    sheet_of: dict[str, str] = _WORK["sheets"]
    agency = plan.agency_by_id[agency_id]
    lay = build_layout(plan, agency, plan.year)
    changes = _changes(seed_texts, _texts(lay, lay.fingerprint(secret), secret is not None))
    by_member: dict[str, dict[str, str]] = {}
    for (sheet, ref), text in changes.items():
        by_member.setdefault(sheet_of[sheet], {})[ref] = text
    seed_of = {sheet_of[s]: {} for s in sheet_of}
    for (sheet, ref), text in seed_texts.items():
        seed_of[sheet_of[sheet]][ref] = text
    title = f"Báo cáo năm {plan.year} - {plan.body_name(agency)}"
    budget_member, budget_ref = _WORK["budget"]
    strings: list[str] = _WORK["strings"]
    added: list[str] = []
    parts = {}
    for info, data in members:
        if info.filename in by_member:
            data = _rewrite(data, by_member[info.filename], seed_of[info.filename], strings, added)
        parts[info.filename] = data
    if SHARED_STRINGS in parts:
        parts[SHARED_STRINGS] = _append_strings(parts[SHARED_STRINGS], added)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info, _ in members:
            data = parts[info.filename]
            if info.filename == "docProps/core.xml":
                data = data.replace(escape(_WORK["title"]).encode(), escape(title).encode())
            if info.filename == budget_member:
                data = re.sub(
                    rb'(<c r="%s"[^>]*><v>)([^<]*)(</v>)' % budget_ref.encode(),
                    lambda m: m.group(1) + str(round(float(m.group(2)) + k / 100, 2)).encode() + m.group(3),
                    data,
                )
            z.writestr(info, data)
    os.utime(out, (stamp, stamp))
    return out


def sheet_members(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its XML."""
    import defusedxml.ElementTree as ET

    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in wb.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        t = target[sheet.get(f"{ns}id")].lstrip("/")
        out[sheet.get("name")] = t if t.startswith("xl/") else f"xl/{t}"
    return out


def seed_workbook(plan: Plan, agency_id: str, path: Path, seed: int, secret: bytes | None) -> None:
    """One commune's template, generated and filled as an officer would (values consistent with the
    plan's rules, tasks, budget, reporter), saved with openpyxl."""
    from xltoolkit.demo.sample_values import fill_report, make_consistent, named_cells, set_named
    from xltoolkit.template.render import build_workbook

    agency = plan.agency_by_id[agency_id]
    wb, lay, _ = build_workbook(plan, agency, plan.year, secret=secret)
    rng = random.Random(seed)
    values = make_consistent(plan, agency, {e.id: rng.randint(20, 900) for e in plan.elements_for(agency)})
    names = named_cells(wb)
    for inp in lay.inputs:
        if inp.kind == "element" and inp.element is not None:
            set_named(wb, names, inp.name, values[inp.element])
    fill_report(wb, names, plan, agency, rng)
    wb.save(path)


def make_national_files(
    folder: Path,
    plan: Plan,
    *,
    seed: int = 7,
    workers: int = 2,
    limit: int | None = None,
    office_suite: bool = True,
) -> list[Path]:
    """One returned workbook per commune of `plan` (the first `limit` ones), derived from one filled
    commune workbook: same values, each with its own identity and fingerprint.

    With `office_suite` the filled seed is first saved through LibreOffice, as the returns of a real
    collection are saved by Excel, LibreOffice or WPS (texts in a shared string table, formulas with
    cached values); without it, the files are as openpyxl writes them (inline strings, no cached
    values), which no office suite sends back."""
    from concurrent.futures import ProcessPoolExecutor

    from xltoolkit import config
    from xltoolkit.workbook.layout import build_layout

    secret = config.fingerprint_secret()
    communes = [a for a in plan.agencies if a.kind == "commune"][:limit]
    folder.mkdir(parents=True, exist_ok=True)
    seed_path = folder.parent / "seed-commune.xlsx"
    first = communes[0]
    seed_workbook(plan, first.id, seed_path, seed, secret)
    if office_suite:  # saved as an officer's office suite saves a return (shared strings, cached values)
        from xltoolkit.demo import libreoffice

        seed_path = libreoffice.resave([seed_path], folder.parent / "seed-saved")[0]
    lay = build_layout(plan, first, plan.year)
    with zipfile.ZipFile(seed_path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
        sheet_of = sheet_members(z)
        strings = shared_strings(z.read(SHARED_STRINGS)) if SHARED_STRINGS in z.NameToInfo else []
    budget = next(i for i in lay.inputs if i.kind == "budget_state")
    _WORK.update(
        plan=plan,
        texts=_texts(lay, lay.fingerprint(secret), secret is not None),
        members=members,
        secret=secret,
        title=f"Báo cáo năm {plan.year} - {plan.body_name(first)}",
        budget=(sheet_of[budget.sheet], budget.ref),
        sheets=sheet_of,
        strings=strings,
    )
    deadline = datetime(plan.year, 12, 15, 17, 0)
    jobs = [
        (
            a.id,
            str(folder / f"bao-cao-{plan.year}-{a.id}.xlsx"),
            k,
            (deadline - timedelta(days=20, seconds=-37 * k)).timestamp(),
        )
        for k, a in enumerate(communes)
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [Path(p) for p in pool.map(_derive_national, jobs, chunksize=64)]
