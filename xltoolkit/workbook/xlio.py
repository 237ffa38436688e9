"""Workbook files on disk: atomic writes and the cheap, safe checks made before any parser runs.

All writing of output files goes through `save_atomic`, so a crash or a full disk never leaves a
half-written workbook where the officer expects a good one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

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


def _save_as_set(wb: Workbook, path: Path, compresslevel: int | None = None) -> None:
    """Save keeping the document properties as set: `Workbook.save` stamps the current time as
    'modified', so two runs a second apart would give different files for the same content."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=compresslevel) as archive:
        ExcelWriter(wb, archive).save()


def save_atomic(wb: Workbook, path: str | Path, *, compresslevel: int | None = None) -> Path:
    """Write `wb` to `path` atomically, with its document properties exactly as set.

    `compresslevel`: zlib's deflate level (None: its default). The lowest level suits a workbook
    of hundreds of thousands of cells: a somewhat larger file, compressed much faster.
    """
    return write_atomic(path, lambda tmp: _save_as_set(wb, tmp, compresslevel))
