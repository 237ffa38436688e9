"""Workbook files on disk: atomic writes and the cheap, safe checks made before any parser runs.

All writing of output files goes through `save_atomic`, so a crash or a full disk never leaves a
half-written workbook where the officer expects a good one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it over `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
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
