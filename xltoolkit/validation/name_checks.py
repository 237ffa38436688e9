"""What happened to the input names of a returned workbook: deleted, leading to no cell, or pointed
at another cell. One home for the three callers: the layout diff of a file, of an add-in payload, and
the data-element names checked beside a matching fingerprint (integrity.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from xltoolkit.issues import Issue, issue
from xltoolkit.validation.read import WorkbookData, split_ref
from xltoolkit.workbook.layout import DATA_SHEET, TemplateLayout


def redirected_names(
    wbd: WorkbookData, lay: TemplateLayout, expected: dict[str, tuple[str, str]], rows_moved: bool
) -> dict[str, tuple[str, str]]:
    """Input names pointing at another cell of the template than their own.

    Inserted or deleted rows move names too (the measure codes then move with them): a name on
    another row counts as redirected only when no measure code moved, or when it changed sheet.
    """
    out = {}
    for name, (sheet, ref) in expected.items():
        got = wbd.names.get(name)
        if got is None or got == (sheet, ref) or broken_name(got):
            continue
        if got[0] not in lay.sheets:
            if sheet in wbd.sheets:  # its own sheet is there (not renamed): the name was sent elsewhere
                out[name] = got
            continue
        same_row = split_ref(got[1])[0] == split_ref(ref)[0]
        if got[0] != sheet or same_row or (sheet == DATA_SHEET and not rows_moved):
            out[name] = got
    return out


def broken_name(dest: tuple[str, str]) -> bool:
    """A name that leads to no single cell: `#REF!` (its cell deleted with a row or a column, or the
    name edited to it), a range, a constant or a formula. The file reader keeps such a name as
    ("", its text); the add-in may send ("Số liệu", "#REF!")."""
    sheet, ref = dest
    if not sheet:
        return True
    try:
        split_ref(ref)
    except ValueError:
        return True
    return False


def _name_text(dest: tuple[str, str]) -> str:
    """What a name refers to, as Excel's Name Manager shows it («='Số liệu'!#REF!»).

    A payload's text arrives split at its last '!' (`read.from_values`): «#REF!» as ("#REF", "").
    """
    sheet, ref = dest
    if not sheet:
        return "=" + ref.lstrip("=")
    return "=" + (f"{sheet.lstrip('=')}!" if not ref else f"'{sheet}'!{ref}")


def name_issues(
    wbd: WorkbookData,
    lay: TemplateLayout,
    expected: dict[str, tuple[str, str]],
    redirected: dict[str, tuple[str, str]],
    names: Iterable[str],
) -> list[Issue]:
    """What happened to each of `names` (input names of the layout): deleted (`name-missing`),
    leading to no cell (`name-missing:broken` for #REF!, `name-redirected:other` for a range or a
    constant) or pointed at another cell (`name-redirected`).

    Names of one cell broken alike are one issue at that cell (a base figure's cell carries its
    `SL_` name and every measure's `TU_`/`MAU_` alias: deleting its row breaks them all at once).
    """
    issues: list[Issue] = []
    broken: dict[tuple[str, str, bool, str], list[str]] = {}
    for name in names:
        sheet, ref = expected[name]
        inp = lay.input_by_name[name]
        got = wbd.names.get(name)
        if got is None:
            issues.append(issue("name-missing", sheet, ref, inp.code, name=name, label=inp.label or name))
        elif name in redirected:
            to = redirected[name]
            found = to[1] if to[0] == sheet else f"{to[0]}!{to[1]}"
            issues.append(issue("name-redirected", sheet, ref, inp.code, name=name, found=found))
        elif broken_name(got):
            text = _name_text(got)
            broken.setdefault((sheet, ref, "#REF!" in text.upper(), text), []).append(name)
    for (sheet, ref, deleted, text), group in broken.items():
        inputs = [lay.input_by_name[n] for n in group]
        codes = {i.code for i in inputs if i.code}
        code, variant = ("name-missing", "broken") if deleted else ("name-redirected", "other")
        issues.append(
            issue(
                code,
                sheet,
                ref,
                codes.pop() if len(codes) == 1 else None,
                variant=variant,
                name="», «".join(group),
                label=next((i.label for i in inputs if i.label), group[0]),
                found=text,
            )
        )
    return issues
