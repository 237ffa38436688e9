"""Runs under the system Python with LibreOffice's `uno` module; driven by libreoffice.run_uno.

Job format (JSON list): {"path": in.xlsx, "save_as": out.xlsx | null,
  "set": {"TU_3a": 12, "'Số liệu'!H13": "9,5", ...}   # by defined name or Sheet!A1; str stays text
  "read": ["Số liệu!K13", "TU_3a", ...],               # values after recalculation
  "inspect": ["Số liệu!H13", ...]}                     # locked flag and validation of these cells
Result per job: {"values": {...}, "cells": {ref: {"locked", "validation_type", "error_message"}},
  "sheets": {name: {"protected": bool, "visible": bool}}, "names": [...]}
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from typing import Any

import uno
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name: str, value: Any) -> Any:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(soffice: str, profile: str) -> tuple[subprocess.Popen[bytes], Any]:
    pipe = f"xltk{os.getpid()}"
    proc = subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 90
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            if time.time() > deadline:
                proc.kill()
                raise
            time.sleep(0.3)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def resolve(doc: Any, ref: str) -> Any:
    """A defined name or 'Sheet'!A1 reference -> the cell object."""
    names = doc.NamedRanges
    if names.hasByName(ref):
        return names.getByName(ref).getReferredCells().getCellByPosition(0, 0)
    sheet, addr = ref.rsplit("!", 1)
    sheet = sheet.strip("'")
    return doc.Sheets.getByName(sheet).getCellRangeByName(addr.replace("$", ""))


def cell_value(cell: Any) -> Any:
    t = cell.Type.value
    if t == "EMPTY":
        return None
    if t == "VALUE":
        return cell.getValue()
    if t == "TEXT":
        return cell.getString()
    # FORMULA: numeric result or string result
    if cell.FormulaResultType2 == 1:  # VALUE
        return cell.getValue()
    return cell.getString()


def run_job(desktop: Any, job: dict[str, Any]) -> dict[str, Any]:
    url = uno.systemPathToFileUrl(os.path.abspath(job["path"]))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    try:
        for ref, value in job.get("set", {}).items():
            cell = resolve(doc, ref)
            if value is None:
                cell.setString("")
            elif isinstance(value, str):
                cell.setString(value)
            else:
                cell.setValue(value)
        doc.calculateAll()
        out: dict[str, Any] = {
            "values": {},
            "cells": {},
            "sheets": {},
            "names": list(doc.NamedRanges.ElementNames),
        }
        for ref in job.get("read", []):
            out["values"][ref] = cell_value(resolve(doc, ref))
        for ref in job.get("inspect", []):
            cell = resolve(doc, ref)
            val = cell.Validation
            out["cells"][ref] = {
                "locked": bool(cell.CellProtection.IsLocked),
                "validation_type": val.Type.value,
                "error_message": val.ErrorMessage,
                "show_error": bool(val.ShowErrorMessage),
            }
        for name in doc.Sheets.ElementNames:
            sh = doc.Sheets.getByName(name)
            out["sheets"][name] = {"protected": bool(sh.isProtected()), "visible": bool(sh.IsVisible)}
        if job.get("save_as"):
            target = uno.systemPathToFileUrl(os.path.abspath(job["save_as"]))
            doc.storeToURL(target, (prop("FilterName", "Calc MS Excel 2007 XML"),))
        return out
    finally:
        doc.close(True)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    proc, desktop = connect(spec["soffice"], sys.argv[2])
    try:
        results = [run_job(desktop, job) for job in spec["jobs"]]
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
