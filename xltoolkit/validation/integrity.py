"""Is this our template, for this agency and year, with its locked content unchanged?

Metadata is checked first (cheap, and it tells us which layout to expect). The fingerprint is then
recomputed from the file exactly as `TemplateLayout.canonical_lines()` builds it; only when it does
not match do we diff the file against `build_layout(plan, agency, year)`, to point at the cells an
officer changed (a full diff on every file would cost time for nothing). The data-element names the
fingerprint leaves out are compared on every file. An add-in payload (values and names, no formulas,
merges or protection) cannot be fingerprinted and is always diffed, formula cells and merges left out.

A defined name of an input leading to no cell (`#REF!` after its row was deleted, or edited so) is
`name-missing` with its own wording at the cell the name belongs to (`name_issues`), in the diff of a
file, of a payload, and beside a matching fingerprint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from xltoolkit.errors import PlanError
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Agency, Plan
from xltoolkit.validation.batch import KeyedCache
from xltoolkit.validation.fingerprint import (
    canonical_value_nfc,
    fingerprint_file_lines,
    found_cells,
)
from xltoolkit.validation.name_checks import broken_name, name_issues, redirected_names
from xltoolkit.validation.read import SheetData, WorkbookData, split_ref
from xltoolkit.vn_numbers import format_vi
from xltoolkit.workbook.layout import (
    DATA_SHEET,
    FINGERPRINTED_SHEETS,
    META_SHEET,
    RESULT_SHEET,
    SUPPORTED_TEMPLATE_VERSIONS,
    TEMPLATE_FORMAT,
    TEMPLATE_VERSION,
    Cell,
    TemplateLayout,
    build_layout,
    canonical_value,
    fingerprint_lines,
)
from xltoolkit.workbook.names import INPUT_NAME

#: Template versions this validator reads: only the current one (see `_identify` on version 1).
READABLE_VERSIONS = frozenset({TEMPLATE_VERSION})


MAX_CHANGES_PER_SHEET = 30
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LayoutIndex:
    """Lookup tables of one expected layout: what the diff and the fingerprint walk compare against."""

    cells: dict[tuple[str, str], tuple[str, Cell]]  # (sheet, ref) -> (canonical value, cell)
    names: dict[str, tuple[str, str]]  # input name -> (sheet, ref)
    merges: set[tuple[str, str]]
    inputs: set[tuple[str, str]]
    addin_cols: set[str]
    #: Input names the fingerprint does not cover (the data-element names, `names.ELEMENT_NAME`) with
    #: their cells: checked even when the fingerprint matches.
    unguarded: frozenset[tuple[str, tuple[str, str]]] = frozenset()


_LAYOUTS: KeyedCache[tuple[int, str, str, int], tuple[TemplateLayout, LayoutIndex]] = KeyedCache()


def expected(plan: Plan, agency: Agency, year: int) -> tuple[TemplateLayout, LayoutIndex]:
    """The layout for (agency, year) and its lookup tables, computed once per run and reused."""
    key = (id(plan), plan.digest, agency.id, year)
    return _LAYOUTS.get(key, plan, lambda: _index(build_layout(plan, agency, year)))


Shape = tuple[object, ...]
_SHAPE_OF: KeyedCache[tuple[int, str, str], Shape] = KeyedCache(8192)
_SHAPES: KeyedCache[tuple[int, str, int, Shape], tuple[TemplateLayout, LayoutIndex]] = KeyedCache()


def layout_shape(plan: Plan, agency: Agency) -> Shape:
    """What an agency's template is built from besides its identity texts (name, code, titles):
    kind, measures, elements, rules, tasks and administrative figures. Two agencies of one shape
    get templates with the same cells, inputs, names, merges and formulas (tested), differing only
    in those texts."""

    def make() -> Shape:
        return (
            agency.kind,
            agency.is_local,
            tuple(m.code for m in plan.measures_for(agency)),
            tuple(e.id for e in plan.elements_for(agency)),
            tuple(r.id for r in plan.rules_for(agency)),
            plan.tasks_for(agency),
            tuple(sorted(plan.agency_figures(agency).items())),
        )

    return _SHAPE_OF.get((id(plan), plan.digest, agency.id), plan, make)


def expected_shape(plan: Plan, agency: Agency, year: int) -> tuple[TemplateLayout, LayoutIndex]:
    """A layout of the agency's shape (the first agency of that shape seen in the run) and its tables.

    Everything read on the way to a matching fingerprint (sheets, input names and cells, add-in
    columns, header row) is the same for every agency of a shape, so the 3,321 communes of a
    national collection share one layout instead of building one each. Where an agency's own texts
    matter (the cell-by-cell diff of a changed file), `expected` gives its exact layout.
    """
    key = (id(plan), plan.digest, year, layout_shape(plan, agency))
    return _SHAPES.get(key, plan, lambda: expected(plan, agency, year))


def _index(lay: TemplateLayout) -> tuple[TemplateLayout, LayoutIndex]:
    cells = {}
    for c in lay.cells:
        v = canonical_value_nfc(c.formula or c.value)
        if v:
            cells[(c.sheet, c.ref)] = (v, c)
    addin = {lay.columns[k] for k in ("addin_value", "addin_status")} if lay.columns else set()
    index = LayoutIndex(
        cells=cells,
        names={i.name: (i.sheet, i.ref) for i in lay.inputs},
        merges={(s, r) for s, r in lay.merges},
        inputs={(i.sheet, i.ref) for i in lay.inputs},
        addin_cols=addin,
        unguarded=frozenset((i.name, (i.sheet, i.ref)) for i in lay.inputs if not INPUT_NAME.match(i.name)),
    )
    return lay, index


# ------------------------------------------------------------------------------------ metadata


@dataclass
class MetaResult:
    meta: dict[str, str] = field(default_factory=dict)
    agency: Agency | None = None
    year: int | None = None
    #: The plan as in force in the file's year (its edition): every later check uses it.
    plan: Plan | None = None
    issues: list[Issue] = field(default_factory=list)
    fatal: bool = False

    def fail(self, found: Issue) -> MetaResult:
        self.issues.append(found)
        self.fatal = True
        return self


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v).strip()


def read_meta(sheet: SheetData) -> dict[str, str]:
    meta = {}
    for row in sheet.grid if sheet.origin == (1, 1) else []:
        if len(row) >= 1 and row[0] not in (None, ""):
            meta[_text(row[0])] = _text(row[1]) if len(row) > 1 else ""
    return meta


def check_meta(wbd: WorkbookData, plan: Plan, year: int | None, agency: str | None) -> MetaResult:
    """Metadata present and well formed, our plan, a supported version, the expected agency/year.

    The first fault that leaves us unable to tell which template the file follows ends the check.
    """
    res = MetaResult()
    ms = wbd.sheets.get(META_SHEET)
    if ms is None:
        return res.fail(issue("not-a-template"))
    meta = res.meta = read_meta(ms)
    found = _identify(meta, plan)
    if isinstance(found, Issue):
        return res.fail(found)
    res.agency, res.year, plan = found
    res.plan = plan
    res.issues += _well_formed(meta, found[0], wbd.structure_known)
    res.issues += _expected(plan, found[0], found[1], agency, year)
    res.fatal = bool(res.issues)
    if meta.get("plan_digest") != plan.digest:
        found_version = meta.get("plan_version", "?")
        res.issues.append(
            issue("plan-version-differs", META_SHEET, "B4", found=found_version, expected=plan.version)
        )
    return res


def _identify(meta: dict[str, str], plan: Plan) -> tuple[Agency, int, Plan] | Issue:
    """Which template this is (agency, year, and the plan as in force that year), or the issue saying
    why that cannot be told. The year comes first: a 2024 district file is read against the 2024
    edition, a 2025 commune file against 2025's."""
    if meta.get("format") != TEMPLATE_FORMAT:
        return issue("not-a-template", META_SHEET, "B1")
    version = meta.get("template_version", "")
    if version not in READABLE_VERSIONS:
        # A version-1 file (denominators typed in every measure row) is refused, not read: its layout
        # builder is gone, and reading it through today's names would take a base figure from one
        # measure row for all. Values of version-1 files already in the ledger still count.
        old = version in SUPPORTED_TEMPLATE_VERSIONS
        return issue(
            "unsupported-template-version",
            META_SHEET,
            "B2",
            variant="older" if old else None,
            found=version or "?",
            supported=", ".join(sorted(READABLE_VERSIONS)),
        )
    if meta.get("plan_id") != plan.id:
        return issue("wrong-plan", META_SHEET, "B3", found=meta.get("plan_id", ""), expected=plan.id)
    y = meta.get("year", "")
    if not y.isdigit() or not plan.period[0] <= int(y) <= plan.period[1]:
        return issue("meta-invalid", META_SHEET, "B9", detail=f"năm «{y[:12]}» không hợp lệ")
    try:
        in_force = plan.for_year(int(y))
    except PlanError:
        return issue("meta-invalid", META_SHEET, "B9", detail=f"kế hoạch không có phiên bản cho năm {y}")
    agency_id = meta.get("agency_id", "")
    found_agency = in_force.agency_by_id.get(agency_id)
    if found_agency is None:
        return _not_found(plan, agency_id, int(y))
    return found_agency, int(y), in_force


def _not_found(plan: Plan, agency_id: str, year: int) -> Issue:
    """A unit of another edition (a former district in 2026, a commune in 2024) is told apart from
    an unknown one: the officer needs to hear that the unit no longer reports, not that it never did."""
    for other in range(plan.period[0], plan.period[1] + 1):
        try:
            former = plan.for_year(other).agency_by_id.get(agency_id)
        except PlanError:
            continue
        if former is not None:
            return issue("agency-not-in-force", META_SHEET, "B6", found=former.name, year=year)
    return issue("unknown-agency", META_SHEET, "B6", found=agency_id)


def _well_formed(meta: dict[str, str], found: Agency, structure_known: bool) -> list[Issue]:
    out = []
    if (found.code or "") != meta.get("agency_code", ""):
        out.append(issue("meta-invalid", META_SHEET, "B7", detail="mã đơn vị không khớp với cơ quan"))
    if structure_known and not _FINGERPRINT.fullmatch(meta.get("fingerprint", "")):
        out.append(issue("meta-invalid", META_SHEET, "B11", detail="thiếu dấu kiểm tra"))
    return out


def _expected(
    plan: Plan, found: Agency, found_year: int, agency: str | None, year: int | None
) -> list[Issue]:
    """The agency and year the caller expects, when it says."""
    out = []
    if agency is not None:
        want = plan.agency(agency)
        if want.id != found.id:
            names: dict[str, Any] = {
                "found_name": plan.body_name(found),
                "expected_name": plan.body_name(want),
            }
            out.append(issue("wrong-agency", META_SHEET, "B6", **names))
    if year is not None and found_year != year:
        out.append(issue("wrong-year", META_SHEET, "B9", found=found_year, expected=year))
    return out


# ---------------------------------------------------------------------------------- fingerprint


def check_structure(
    wbd: WorkbookData, plan: Plan, agency: Agency, year: int, meta: dict[str, str], secret: bytes | None
) -> tuple[list[Issue], bool]:
    """Sheets present and protected, fingerprint matching; returns (issues, integrity_ok).

    With the provincial secret configured the HMAC is always checked: the file's own
    `fingerprint_keyed` flag can raise the check (no secret: unverifiable) but never lower it.
    An add-in payload has no fingerprint to check: its layout is diffed instead (`_check_values_layout`).
    A matching fingerprint still leaves the data-element names to check (`_unguarded_names`); any of
    them altered fails integrity like an altered name under the fingerprint does.
    """
    lay, extra = expected_shape(plan, agency, year)
    issues = _missing_sheets(wbd, lay, extra)
    missing = any(i.is_error for i in issues)
    if not wbd.structure_known:
        return _check_values_layout(wbd, plan, agency, year, issues, missing)
    for s in FINGERPRINTED_SHEETS:
        sd = wbd.sheets.get(s)
        if sd is not None and s in lay.sheets and sd.protected is False:
            issues.append(issue("sheet-unprotected", s))
    unverifiable = not secret and meta.get("fingerprint_keyed") == "1"
    if unverifiable:
        issues.append(issue("fingerprint-unverifiable", META_SHEET, "B11"))
        matches = False
    else:
        lines = fingerprint_file_lines(wbd, meta, lay, extra.inputs, extra.addin_cols)
        matches = fingerprint_lines(lines, secret or None) == meta.get("fingerprint")
    if matches and not missing:
        altered = _unguarded_names(wbd, plan, agency, year, extra)
        return issues + altered, not altered
    lay, extra = expected(plan, agency, year)  # its own texts, to name the cells that changed
    changes = diff_layout(wbd, lay, extra, found_cells(wbd, lay, extra.inputs, extra.addin_cols))
    if not changes and unverifiable:
        return issues, not missing
    if not changes and not missing:
        changes = [issue("fingerprint-mismatch", META_SHEET, "B11")]
    return issues + changes, False


def _unguarded_names(
    wbd: WorkbookData, plan: Plan, agency: Agency, year: int, shape: LayoutIndex
) -> list[Issue]:
    """The data-element names (`SL_`, `TT_`, `LYDO_`) of a file whose fingerprint matched.

    The fingerprint leaves them out (files of either template version fingerprint alike), so a matching
    fingerprint says nothing about them: one deleted, broken (#REF!) or pointed at another cell would
    otherwise be read through, or be a bare «Chưa nhập». One look-up per name when all is well (~20 µs).
    """
    if wbd.names.items() >= shape.unguarded:
        return []
    lay, extra = expected(plan, agency, year)
    redirected = redirected_names(wbd, lay, extra.names, rows_moved=False)
    names = [n for n, dest in extra.names.items() if (n, dest) in extra.unguarded]
    return name_issues(wbd, lay, extra.names, redirected, names)


def _check_values_layout(
    wbd: WorkbookData, plan: Plan, agency: Agency, year: int, issues: list[Issue], missing: bool
) -> tuple[list[Issue], bool]:
    """The add-in's payload: no fingerprint to recompute (no formulas, merges or protection in it),
    but its values and names are the file's, so the layout diff runs on every payload. An inserted
    row, a redirected or deleted name or an edited label then shows in «Kiểm tra» with the codes and
    cells `validate` gives, instead of a clear answer for a file the province will refuse."""
    lay, extra = expected(plan, agency, year)
    changes = diff_layout(wbd, lay, extra, found_cells(wbd, lay, extra.inputs, extra.addin_cols))
    return issues + changes, not missing and not any(c.is_error for c in changes)


def _missing_sheets(wbd: WorkbookData, lay: TemplateLayout, extra: LayoutIndex) -> list[Issue]:
    """Sheets of the layout not in the file; one that was renamed is named by where its inputs went.

    The result sheet only shows the last check's findings (tools rewrite it, nothing reads it), so
    its loss is a warning: rejecting a whole report for it would cost the officer a resend for nothing.
    """
    out = []
    for s in lay.sheets:
        if s in wbd.sheets:
            continue
        if s == RESULT_SHEET:
            out.append(issue("feedback-sheet-missing", s))
            continue
        went = {
            wbd.names[n][0]
            for n, (sheet, _) in extra.names.items()
            if sheet == s and n in wbd.names and not broken_name(wbd.names[n])  # a #REF! went nowhere
        }
        went -= set(lay.sheets)
        if len(went) == 1 and (found := went.pop()):
            out.append(issue("sheet-renamed", s, found=found))
        else:
            out.append(issue("sheet-missing", s))
    return out


# ---------------------------------------------------------------------------------- layout diff


def _shown(v: str) -> str:
    """A canonical value as the officer sees it: formulas with '=', numbers with a decimal comma."""
    if v.startswith("f:"):
        return "=" + v[2:]
    try:
        return format_vi(float(v))
    except ValueError:
        return v


def diff_layout(
    wbd: WorkbookData, lay: TemplateLayout, extra: LayoutIndex, raw_cells: dict[tuple[str, str], object]
) -> list[Issue]:
    """Cell-level differences from the expected layout: moved rows, renamed names, edited cells."""
    cells = {k: c for k, v in raw_cells.items() if (c := canonical_value_nfc(v))}
    values_only = not wbd.structure_known
    issues: list[Issue] = []
    code_moves = _code_moves(wbd, lay)
    redirected = redirected_names(wbd, lay, extra.names, bool(code_moves))
    shifted = _shifted_rows(wbd, lay, extra, redirected, code_moves)
    issues += shifted
    shifted_sheets = {i.sheet for i in shifted}
    issues += name_issues(wbd, lay, extra.names, redirected, extra.names)
    blind = set(redirected.values())  # hidden from the walk by the altered names: not the officer's edit
    per_sheet: dict[str, int] = {}
    exp_cells = extra.cells
    for key in sorted(set(exp_cells) | set(cells), key=lambda k: (k[0], split_ref(k[1]))):
        sheet, ref = key
        if sheet in shifted_sheets or sheet not in wbd.sheets or key in blind:
            continue
        want = exp_cells[key][0] if key in exp_cells else ""
        got = cells.get(key, "")
        if want == got or (values_only and want.startswith("f:")):
            continue  # a payload holds a formula's result, never the formula: nothing to compare
        per_sheet[sheet] = per_sheet.get(sheet, 0) + 1
        if per_sheet[sheet] > MAX_CHANGES_PER_SHEET:
            continue
        code = "formula-changed" if want.startswith("f:") or got.startswith("f:") else "locked-cell-changed"
        issues.append(
            issue(code, sheet, ref, expected=_shown(want) or "(trống)", found=_shown(got) or "(trống)")
        )
    for sheet, n in per_sheet.items():
        if n > MAX_CHANGES_PER_SHEET:
            issues.append(issue("too-many-changes", sheet, count=n - MAX_CHANGES_PER_SHEET))
    if values_only:
        return issues  # merges are not in a payload
    found_merges = {
        (s, r) for s in FINGERPRINTED_SHEETS if s in wbd.sheets for r in (wbd.sheets[s].merges or [])
    }
    for s, r in sorted(found_merges ^ extra.merges):
        if s not in shifted_sheets and s in wbd.sheets:
            issues.append(issue("merge-changed", s, r.split(":")[0]))
    return issues


def _code_moves(wbd: WorkbookData, lay: TemplateLayout) -> list[tuple[int, int, str]]:
    """Measure codes of the data sheet found on another row: (template row, row now, code)."""
    data = wbd.sheets.get(DATA_SHEET)
    if data is None or not lay.columns:
        return []
    col = lay.columns["code"]
    where: dict[str, int] = {}
    for ref, v in data.cells():
        if ref.rstrip("0123456789") == col:
            where.setdefault(canonical_value(v), split_ref(ref)[0])
    out = []
    for code, row in lay.measure_rows.items():
        at_row = where.get(code)
        if at_row is not None and at_row != row:
            out.append((row, at_row, code))
    return out


def _shifted_rows(
    wbd: WorkbookData,
    lay: TemplateLayout,
    extra: LayoutIndex,
    redirected: dict[str, tuple[str, str]],
    code_moves: list[tuple[int, int, str]],
) -> list[Issue]:
    """Defined names or measure codes now on other rows: rows were inserted or deleted."""
    moves: dict[str, list[tuple[int, int, str]]] = {}
    for name, (sheet, ref) in extra.names.items():
        got = wbd.names.get(name)
        if got is None or got == (sheet, ref) or name in redirected or broken_name(got):
            continue  # a broken name is reported as such (`name_issues`), not as a deleted row
        want_row, got_row = split_ref(ref)[0], split_ref(got[1])[0]
        if got[0] == sheet and got_row != want_row:
            moves.setdefault(sheet, []).append((want_row, got_row, name))
    if code_moves:
        moves.setdefault(DATA_SHEET, []).extend(code_moves)
    out = []
    for sheet, items in moves.items():
        items.sort()
        first_row, got_row, _ = items[0]
        delta = got_row - first_row
        detail = f"dòng {first_row} của biểu mẫu nay nằm ở dòng {got_row}"
        if delta and len(items) > 1:
            detail += f" ({len(items)} ô nhập liệu hoặc mã chỉ tiêu bị lệch {abs(delta)} dòng)"
        col = lay.columns.get("code", "A") if sheet == DATA_SHEET else "A"
        out.append(issue("rows-shifted", sheet, f"{col}{first_row}", detail=detail))
    return out
