"""Workbook files on disk: atomic writes and the cheap, safe checks made before any parser runs.

All writing of output files goes through `save_atomic`, so a crash or a full disk never leaves a
half-written workbook where the officer expects a good one.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.writer.excel import ExcelWriter

from xltoolkit.workbook.styles import StyleCache

#: The document time written into every generated workbook (templates, summaries): the same content
#: always gives the same file, so a re-run does not look like a new document.
FIXED_TIME = datetime(2021, 3, 1)


def _umask() -> int:
    """The process umask, read without changing it where the system allows (changing it, even for an
    instant, would race with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it over `path`.

    The file gets the permissions of any new file (0666 less the umask), not the 0600 of a private
    temporary file: a colleague on a shared server must be able to open a summary.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _save_as_set(wb: Workbook, path: Path) -> None:
    """Save keeping the document properties as set: `Workbook.save` stamps the current time as
    'modified', so two runs a second apart would give different files for the same content."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def save_atomic(wb: Workbook, path: str | Path) -> Path:
    """Write `wb` to `path` atomically, with its document properties exactly as set."""
    return write_atomic(path, lambda tmp: _save_as_set(wb, tmp))


#: A sheet's merged ranges as openpyxl and LibreOffice write them; anything else loads the ordinary way.
_MERGES = re.compile(
    rb"<mergeCells(?: [^>]*)?>((?:<mergeCell ref=\"[A-Z]+[0-9]+:[A-Z]+[0-9]+\"/>)*)</mergeCells>"
)
_MERGE_REF = re.compile(rb'ref="([A-Z0-9:]+)"')


def load_workbook_fast(path: str | Path) -> Workbook:
    """`openpyxl.load_workbook(path)`, with the merged ranges bound through `StyleCache.merge`.

    openpyxl binds each merged range by copying borders and protection cell by cell, hashing whole
    style objects each time: for a template (hundreds of merged cells) most of the load. The merges
    are taken out of the sheet XML in memory, then applied with the same resulting cells and styles.
    """
    src = Path(path)
    merges: dict[str, list[str]] = {}
    buf = io.BytesIO()
    with ZipFile(src) as zin, ZipFile(buf, "w", ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                found = _MERGES.search(data)
                if found:
                    merges[info.filename] = [r.decode() for r in _MERGE_REF.findall(found.group(1))]
                    data = data[: found.start()] + data[found.end() :]
            zout.writestr(info, data)
    if not merges:
        return load_workbook(src)
    reader = ExcelReader(buf)
    reader.read()
    wb: Workbook = reader.wb
    styles = StyleCache()
    for sheet, rel in reader.parser.find_sheets():
        for ref in merges.get(rel.target.lstrip("/"), []):
            styles.merge(wb[sheet.name], ref)
    return wb
