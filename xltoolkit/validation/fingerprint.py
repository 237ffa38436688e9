"""The fingerprint lines of a returned file: its locked content as `TemplateLayout.canonical_lines()`
writes it, so the fingerprint in its metadata can be recomputed and compared.

Two ways to the same lines. `found_cells` + `file_lines` walk every cell and keep a map of the
locked content, which the cell-by-cell diff needs when the fingerprint does not match.
`fingerprint_file_lines` is the per-file path: every file of a shape repeats the same locked rows
(labels, codes, targets), so each row's lines are cached under the row's values with the input,
formula and add-in cells blanked; a row seen before costs one dictionary lookup instead of a walk
over its cells. Tests check the two give the same lines, hostile edits included.
"""

from __future__ import annotations

import unicodedata

from openpyxl.utils import column_index_from_string

from xltoolkit.validation.batch import memo
from xltoolkit.validation.read import SheetData, WorkbookData, make_ref, split_ref
from xltoolkit.workbook.layout import (
    DATA_SHEET,
    FINGERPRINTED_SHEETS,
    FIRST_DATA_ROW,
    TemplateLayout,
    canonical_cell,
    canonical_name,
    canonical_value,
)
from xltoolkit.workbook.names import INPUT_NAME

Ref = tuple[str, str]
META_KEYS = ("plan_id", "agency_id", "year", "template_version")


def _nfc(value: object) -> object:
    """Text in one Unicode form: «Số liệu» typed with combining marks must equal the template's."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


#: Labels repeat across every file of a run: canonical text is computed once per (sheet, ref, value),
#: so normalising inside the cached function costs nothing on the hits.
@memo(1 << 16)
def canonical_cell_nfc(sheet: str, ref: str, value: object) -> str:
    return canonical_cell(sheet, ref, _nfc(value))


@memo(1 << 16)
def canonical_value_nfc(value: object) -> str:
    return canonical_value(_nfc(value))


@memo()
def is_input_name(name: str) -> bool:
    """Every file of a run carries the same ~150 names: matched once each, not once per file."""
    return INPUT_NAME.match(name) is not None


@memo()
def _name_line(name: str, sheet: str, ref: str) -> str:
    return canonical_name(name, f"'{sheet}'!${ref}")


def skip_refs(wbd: WorkbookData, inputs: set[Ref]) -> set[Ref]:
    """Cells left out of the fingerprint: the layout's inputs and wherever an input name now points."""
    skip = set(inputs)
    for name, dest in wbd.names.items():
        if is_input_name(name):
            skip.add(dest)
    return skip


def found_cells(
    wbd: WorkbookData, lay: TemplateLayout, inputs: set[Ref], addin_cols: set[str]
) -> dict[Ref, object]:
    """Locked content of the file: (sheet, ref) -> value or formula, skipping inputs and add-in columns."""
    skip = skip_refs(wbd, inputs)
    addin = {column_index_from_string(c) for c in addin_cols}
    out: dict[Ref, object] = {}
    for sheet in FINGERPRINTED_SHEETS:
        sd = wbd.sheets.get(sheet)
        if sd is None:
            continue
        formulas = sd.formulas or {}
        skip_cols = addin if sheet == DATA_SHEET else set()
        r0, c0 = sd.origin
        for i, line in enumerate(sd.grid):
            row = r0 + i
            # the add-in's columns below the first data row, but not the measure table's header
            cols = skip_cols if row >= FIRST_DATA_ROW and row != lay.header_row else ()
            for j, v in enumerate(line):
                if v is None or v == "" or (c0 + j) in cols:
                    continue
                key = (sheet, make_ref(row, c0 + j))
                if key[1] not in formulas and key not in skip:
                    out[key] = v
        for ref, f in formulas.items():
            if _formula_skipped(sheet, ref, skip, skip_cols):
                continue
            out[(sheet, ref)] = f
    return out


def _formula_skipped(sheet: str, ref: str, skip: set[Ref], skip_cols: set[int]) -> bool:
    """A formula in an input cell, or in an add-in column from the first data row (header included)."""
    if (sheet, ref) in skip:
        return True
    return bool(skip_cols) and split_ref(ref)[1] in skip_cols and split_ref(ref)[0] >= FIRST_DATA_ROW


def _other_lines(wbd: WorkbookData, meta: dict[str, str]) -> list[str]:
    """Names, merges and metadata lines (everything but the cells)."""
    lines = [_name_line(n, s, r) for n, (s, r) in wbd.names.items() if is_input_name(n)]
    for sheet in FINGERPRINTED_SHEETS:
        sd = wbd.sheets.get(sheet)
        if sd is not None and sd.merges:
            lines += [f"merge\t{sheet}\t{r}" for r in sd.merges]
    lines += [f"meta\t{k}\t{meta.get(k, '')}" for k in META_KEYS]
    return lines


def file_lines(wbd: WorkbookData, meta: dict[str, str], cells: dict[Ref, object]) -> list[str]:
    """The fingerprint lines of the file, built exactly as TemplateLayout.canonical_lines() builds them."""
    lines = [canonical_cell_nfc(s, r, v) for (s, r), v in cells.items()]
    lines += _other_lines(wbd, meta)
    return sorted(line for line in lines if line)


# ------------------------------------------------------------------------------ per-file path

#: (sheet, row, first column, blanked row values) -> the row's cell lines. Bounded: cleared when full.
_ROW_LINES: dict[tuple[object, ...], list[str]] = {}
#: (sheet, origin, rows, header row) -> [(skip, formulas, blanked cells, formula lines)], few per run.
_SHEETS: dict[
    tuple[object, ...], list[tuple[frozenset[Ref], dict[str, str], dict[int, list[int]], list[str]]]
] = {}
CACHE_LIMIT = 50_000
#: Sheets of one size and header row that differ in inputs or formulas (one per agency kind of a run).
SHAPES_PER_KEY = 32


def _blanked(
    sheet: str, sd: SheetData, skip: set[Ref], skip_cols: set[int], header_row: int
) -> dict[int, list[int]]:
    """Row -> grid indexes whose value is not part of the row's lines (inputs, formulas, add-in cells)."""
    r0, c0 = sd.origin
    out: dict[int, list[int]] = {}
    refs = [r for s, r in skip if s == sheet] + list(sd.formulas or ())
    for ref in refs:
        try:
            row, col = split_ref(ref)
        except ValueError:
            continue
        if make_ref(row, col) == ref:  # 'H011' names no cell the grid walk would produce
            out.setdefault(row, []).append(col - c0)
    if skip_cols:
        cols = [c - c0 for c in skip_cols]
        for i in range(max(FIRST_DATA_ROW - r0, 0), len(sd.grid)):
            if r0 + i != header_row:
                out.setdefault(r0 + i, []).extend(cols)
    return out


def _sheet_parts(
    sheet: str, sd: SheetData, skip: set[Ref], skip_cols: set[int], header_row: int
) -> tuple[dict[int, list[int]], list[str]]:
    """The blanked cells and the formula lines of a sheet, shared by the files with the same input
    cells and formulas (checked by equality, so an altered name or formula is never served)."""
    formulas = sd.formulas or {}
    key = (sheet, sd.origin, len(sd.grid), header_row)
    for seen_skip, seen_formulas, blank, lines in _SHEETS.get(key, ()):
        if seen_skip == skip and seen_formulas == formulas:
            return blank, lines
    blank = _blanked(sheet, sd, skip, skip_cols, header_row)
    lines = [
        text
        for ref, f in formulas.items()
        if not _formula_skipped(sheet, ref, skip, skip_cols) and (text := canonical_cell_nfc(sheet, ref, f))
    ]
    if len(_SHEETS) >= CACHE_LIMIT:
        _SHEETS.clear()
    _SHEETS.setdefault(key, []).insert(0, (frozenset(skip), dict(formulas), blank, lines))
    del _SHEETS[key][SHAPES_PER_KEY:]
    return blank, lines


def _compute_row(sheet: str, row: int, c0: int, values: tuple[object, ...]) -> list[str]:
    return [
        line
        for j, v in enumerate(values)
        if v is not None and v != "" and (line := canonical_cell_nfc(sheet, make_ref(row, c0 + j), v))
    ]


def _cell_lines(sheet: str, sd: SheetData, blank: dict[int, list[int]], lines: list[str]) -> None:
    """Append the lines of the sheet's cells (blanked ones left out), row by row through the cache.

    A row holding a value equal to 0 or 1 is computed, not cached: 0.0 == -0.0 == False and
    1.0 == True, which read «0», «-0», «FALSE», «1», «TRUE»; every other value equals only values
    with the same reading.
    """
    r0, c0 = sd.origin
    get = _ROW_LINES.get
    for i, line in enumerate(sd.grid):
        row = r0 + i
        cols = blank.get(row)
        if cols:
            line = list(line)
            for j in cols:
                if 0 <= j < len(line):
                    line[j] = None
        values = tuple(line)
        if 0.0 in values or 1.0 in values:
            lines += _compute_row(sheet, row, c0, values)
            continue
        key = (sheet, row, c0, values)
        hit = get(key)
        if hit is None:
            hit = _compute_row(sheet, row, c0, values)
            if len(_ROW_LINES) >= CACHE_LIMIT:
                _ROW_LINES.clear()
            _ROW_LINES[key] = hit
        lines += hit


def fingerprint_file_lines(
    wbd: WorkbookData, meta: dict[str, str], lay: TemplateLayout, inputs: set[Ref], addin_cols: set[str]
) -> list[str]:
    """`file_lines(wbd, meta, found_cells(...))`, through the sheet and row caches."""
    skip = skip_refs(wbd, inputs)
    addin = {column_index_from_string(c) for c in addin_cols}
    lines: list[str] = []
    for sheet in FINGERPRINTED_SHEETS:
        sd = wbd.sheets.get(sheet)
        if sd is None:
            continue
        blank, formula_lines = _sheet_parts(
            sheet, sd, skip, addin if sheet == DATA_SHEET else set(), lay.header_row
        )
        _cell_lines(sheet, sd, blank, lines)
        lines += formula_lines
    lines += [line for line in _other_lines(wbd, meta) if line]
    lines.sort()
    return lines
