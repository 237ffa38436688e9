"""Excel without Excel: build the Office.js request payload from an .xlsx, replay the response on it.

The add-in's scripts only ever see the JSON the Office.js client sends (xlwings-server's
`getBookData` in static/js/custom-scripts/index.js) and only ever answer with a list of actions
the client applies. So a faithful round trip is: openpyxl file -> payload like Office.js builds ->
POST -> actions -> applied with openpyxl like Office.js applies them -> assert on the file, i.e. on
what the officer would see.

The replayer models Excel's protection (a locked cell of a protected sheet cannot be written, a
sheet cannot be added to a structure-protected workbook) and fails loudly on any action it does not
know, so a script starting to use a new xlwings feature cannot pass the tests unreplayed.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

SCRIPT_URL = "/xlwings/custom-scripts-call/{name}"
#: What only a file shows (formulas, merges, protection, the fingerprint): never in an add-in payload.
FILE_ONLY = {"formula-changed", "merge-changed", "sheet-unprotected", "fingerprint-mismatch"}


# ------------------------------------------------------------------------------------------- payload


def _office_value(value: Any) -> Any:
    """A cell value as Office.js delivers it: blanks "", whole numbers int, dates ISO strings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"  # Date.toISOString()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _last_used(ws: Worksheet) -> tuple[int, int]:
    """Last row and column holding a value (Office.js' values-only used range), 0 if none."""
    rows = cols = 0
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None and c.value != "":
                rows = max(rows, c.row)
                cols = max(cols, c.column)
    return rows, cols


def build_payload(path: str | Path, *, active_sheet: int = 0) -> dict[str, Any]:
    """The request body Office.js' `xlwings.runPython` sends for the workbook at `path`.

    Values are read with `data_only=True`: like Excel, the client sends computed values, never
    formulas; a file never opened in a spreadsheet application has no cached results ("").
    """
    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        rows, cols = _last_used(ws)
        if rows == 0:
            values: list[list[Any]] = [[""]]
            address = None
        else:
            values = [
                [_office_value(v) for v in row]
                for row in ws.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=cols, values_only=True)
            ]
            address = f"A1:{get_column_letter(cols)}{rows}" if (rows, cols) != (1, 1) else "A1"
        sheets.append(
            {
                "name": ws.title,
                "visibility": {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}[
                    ws.sheet_state
                ],
                "show_gridlines": True,
                "print_area": None,
                "notes": [],
                "notes_supported": True,
                "used_range_address": address,
                "used_range_row_count": rows or None,
                "used_range_column_count": cols or None,
                "values": values,
                "pictures": [],
                "shapes": [],
                "charts": [],
                "tables": [],
                "pivot_tables": [],
            }
        )
    positions = {ws.title: i for i, ws in enumerate(wb.worksheets)}
    names = []
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        sheet, ref = dests[0] if len(dests) == 1 else (None, None)
        names.append(
            {
                "name": name,
                "refers_to": f"={dn.attr_text}",
                "type": "Range" if sheet else "Error",
                "sheet_index": positions.get(sheet) if sheet else None,
                # Office.js Range.address: unqualified and without '$'.
                "address": ref.replace("$", "") if ref else None,
                "scope_sheet_name": None,
                "scope_sheet_index": None,
                "book_scope": True,
            }
        )
    return {
        "client": "Office.js",
        "version": version("xlwings"),
        "book": {
            "name": path.name,
            "active_sheet_index": active_sheet,
            "selection": "A1",
            "calculation": "Automatic",
        },
        "names": names,
        "sheets": sheets,
    }


# ------------------------------------------------------------------------------------------- replay


class UnmodelledAction(AssertionError):
    """The response holds an action this replayer does not know: the test must not pass silently."""


class ExcelWouldRefuse(AssertionError):
    """Excel would reject this action (protected cell or structure)."""


@dataclass
class Replay:
    """What the officer sees after the client applied the response."""

    path: Path
    alerts: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def workbook(self) -> Workbook:
        return openpyxl.load_workbook(self.path)


def _cells(ws: Worksheet, a: dict[str, Any]):
    r0, c0 = a["start_row"] + 1, a["start_column"] + 1
    for r in range(r0, r0 + a["row_count"]):
        for c in range(c0, c0 + a["column_count"]):
            yield ws.cell(row=r, column=c)


def _check_writable(ws: Worksheet, cell) -> None:
    if ws.protection.sheet and (cell.protection is None or cell.protection.locked):
        raise ExcelWouldRefuse(f"Excel refuses to write locked cell {ws.title}!{cell.coordinate}")


def apply_actions(path: str | Path, response: dict[str, Any], out: str | Path | None = None) -> Replay:
    """Apply the server's actions to the workbook like the Office.js client; save to `out`."""
    path = Path(path)
    out = Path(out) if out else path
    wb = openpyxl.load_workbook(path)
    replay = Replay(out, actions=list(response.get("actions", [])))
    for a in replay.actions:
        func = a["func"]
        ws = wb.worksheets[a["sheet_position"]] if a.get("sheet_position") is not None else None
        if func == "setValues":
            assert ws is not None
            values = a["values"]
            a = {**a, "row_count": len(values), "column_count": len(values[0]) if values else 0}
            for i, row in enumerate(values):
                for j, v in enumerate(row):
                    cell = ws.cell(row=a["start_row"] + 1 + i, column=a["start_column"] + 1 + j)
                    _check_writable(ws, cell)
                    if isinstance(v, str) and v.startswith("'"):
                        v = v[1:]  # Excel: a leading apostrophe marks literal text and is not stored
                    elif isinstance(v, str) and v.startswith("="):
                        raise ExcelWouldRefuse(
                            f"text written as a formula at {ws.title}!{cell.coordinate}: {v}"
                        )
                    cell.value = None if v == "" else v
        elif func == "setRangeColor":
            assert ws is not None
            color = a["args"][0]
            fill = PatternFill() if color is None else PatternFill("solid", fgColor=color.lstrip("#").upper())
            for cell in _cells(ws, a):
                if ws.protection.sheet and ws.protection.formatCells:
                    raise ExcelWouldRefuse(f"formatting is protected on {ws.title}")
                cell.fill = fill
        elif func == "setRangeColors":
            assert ws is not None
            matrix = a["args"][0]
            for i, row in enumerate(matrix):
                for j, color in enumerate(row):
                    if color == "keep":
                        continue
                    cell = ws.cell(row=a["start_row"] + 1 + i, column=a["start_column"] + 1 + j)
                    cell.fill = (
                        PatternFill() if color is None else PatternFill("solid", fgColor=color.lstrip("#"))
                    )
        elif func == "setNumberFormat":
            assert ws is not None
            for cell in _cells(ws, a):
                cell.number_format = a["args"][0]
        elif func in ("rangeClearContents", "sheetClearContents"):
            assert ws is not None
            cells = (
                _cells(ws, a) if func == "rangeClearContents" else (c for row in ws.iter_rows() for c in row)
            )
            for cell in cells:
                if cell.value is not None:
                    _check_writable(ws, cell)
                    cell.value = None
        elif func == "addSheet":
            if wb.security is not None and wb.security.lockStructure:
                raise ExcelWouldRefuse("the workbook structure is protected: Excel cannot add a sheet")
            ix, name = a["args"]
            wb.create_sheet(name, ix)
        elif func == "alert":
            prompt, title, buttons, mode, _callback = a["args"]
            replay.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        else:
            raise UnmodelledAction(f"the test replayer does not model action {func!r}: {a}")
    wb.save(out)
    return replay


# ------------------------------------------------------------------------------------------- reading


def fill_hex(cell) -> str | None:
    """The solid fill colour of a cell as 'RRGGBB', None when it has no fill."""
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = fill.fgColor.rgb if fill.fgColor is not None else None
    return rgb[-6:].upper() if isinstance(rgb, str) else None


def sheet_rows(ws: Worksheet) -> list[tuple[Any, ...]]:
    """Non-empty rows of a sheet as value tuples (trailing blanks dropped)."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        vals = list(row)
        while vals and vals[-1] is None:
            vals.pop()
        if vals:
            rows.append(tuple(vals))
    return rows


# ------------------------------------------------------------------------------------------- server

TEST_TOKEN = "test-token-0123456789abcdef"
TEST_MAX_BYTES = 2 * 1024 * 1024


def make_app(workspace: Path):
    """The add-in ASGI app in-process, configured like `addin serve` with a token.

    xlwings-server reads its settings once, at import: the environment is set here first. The
    first call in a test session decides the settings; the workspace and token are read per call
    from the environment, so later calls may point them elsewhere.
    """
    from xltoolkit.addin import server

    os.environ[server.TOKEN_ENV] = TEST_TOKEN
    server.configure_environment(workspace=workspace, require_token=True, max_bytes=TEST_MAX_BYTES)
    return server.create_app()


def auth_headers(token: str = TEST_TOKEN) -> dict[str, str]:
    """The headers ribbon.js sends: the token (getAuth() in static/js/auth.js) and the anti-forgery
    token of this server process (read from the task pane page it runs in)."""
    from xltoolkit.addin import server

    return {
        "Authorization": token,
        "Auth-Provider": "custom",
        server.ANTI_FORGERY_HEADER: server.anti_forgery_token(),
    }


def run_script(client, name: str, path: Path, *, token: str = TEST_TOKEN, out: Path | None = None) -> Replay:
    """Click a ribbon button on the workbook at `path`: payload in, actions applied to the file."""
    payload = build_payload(path)
    response = client.post(SCRIPT_URL.format(name=name), json=payload, headers=auth_headers(token))
    assert response.status_code == 200, response.text
    return apply_actions(path, response.json(), out)


def fill_by_names(path: Path, values: dict[str, Any], out: Path | None = None) -> Path:
    """Fill input cells of a template by defined name (TU_<code>, MAU_<code>, KP_NSNN, ...)."""
    wb = openpyxl.load_workbook(path)
    for name, value in values.items():
        ((sheet, ref),) = wb.defined_names[name].destinations
        wb[sheet][ref.replace("$", "")] = value
    target = out or path
    wb.save(target)
    return target


def kiem_tra_texts(client: Any, path: Path) -> list[str]:
    """Every text «Kiểm tra» writes into the workbook (its result table: codes, cells, messages)."""
    res = client.post(
        SCRIPT_URL.format(name="validate_workbook"), json=build_payload(path), headers=auth_headers()
    )
    assert res.status_code == 200, res.text
    return [
        v
        for action in res.json()["actions"]
        if action["func"] == "setValues"
        for row in action["values"] or []
        for v in row
        if isinstance(v, str) and v
    ]


def kiem_tra_codes(client: Any, path: Path) -> set[str]:
    """The issue codes «Kiểm tra» writes into the workbook's result table."""
    return {v for v in kiem_tra_texts(client, path) if v.replace("-", "").isalpha() and v.islower()}
