"""Workbook files on disk: atomic writes and the cheap, safe checks made before any parser runs.

All writing of output files goes through `save_atomic`, so a crash or a full disk never leaves a
half-written workbook where the officer expects a good one.

A process killed in the middle of a write (kill -9, a power cut) cannot remove its temporary file: it
stays beside the output as `.~tmp-XXXXXXXX.xlsx`, which Windows shows in a shared folder. The next
write into that folder removes such leftovers (`sweep_leftovers`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
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


#: The temporary files of `write_atomic`: our prefix, then `tempfile`'s eight random characters, then
#: the output's suffix. Nothing else is ever swept (not Excel's `~$…`, not LibreOffice's `.~lock…#`).
TMP_PREFIX = ".~tmp-"
LEFTOVER = re.compile(re.escape(TMP_PREFIX) + r"[a-z0-9_]{8}(\.[A-Za-z0-9]{1,16})?")

#: How old a temporary file must be, by the file system's own clock, to be a leftover: our slowest
#: write (the national summary) takes seconds and its file's time moves with every block written, so
#: a writer in another process an hour behind is no writer. A leftover meanwhile harms nothing.
STALE_AFTER = 3600.0

#: Folders swept by this process, and when (monotonic): a run writing 3,300 feedback copies into one
#: folder lists it once, not 3,300 times; a long-lived add-in server sweeps again after an hour.
_swept: dict[Path, float] = {}


def _age(entry: os.DirEntry[str], fresh: os.stat_result) -> float | None:
    """Seconds since `entry` was last written, or None when it is not a regular file of its own.

    Measured against the file we have just created in the same folder as well as against this
    machine's clock, and the smaller taken: on a network share the server stamps the times, and a
    client clock ahead of the server's must not make a live file look old.
    """
    st = entry.stat(follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        return None  # a symlink or a folder with our name was not made by us: never touched
    return min(fresh.st_mtime - st.st_mtime, time.time() - st.st_mtime)


def sweep_leftovers(folder: Path, fresh: Path) -> list[str]:
    """Remove the temporary files killed writers left in `folder`; the names removed.

    Only names matching `LEFTOVER` exactly, only regular files (symlinks are never followed nor
    removed), only older than `STALE_AFTER`. Best effort: a file that cannot be read or removed (a
    colleague's, a read-only share) stays, and the write that called this goes on regardless.
    """
    removed: list[str] = []
    try:
        fresh_stat = os.stat(fresh, follow_symlinks=False)
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.startswith(TMP_PREFIX) or not LEFTOVER.fullmatch(entry.name):
                    continue
                try:
                    age = _age(entry, fresh_stat)
                    if age is not None and age > STALE_AFTER:
                        os.unlink(entry.path)
                        removed.append(entry.name)
                except OSError:
                    continue
    except OSError:
        pass
    return removed


def _sweep_once(folder: Path, fresh: Path) -> None:
    """`sweep_leftovers` unless this process swept the folder within the last `STALE_AFTER`."""
    key, now = folder.absolute(), time.monotonic()
    last = _swept.get(key)
    if last is not None and now - last < STALE_AFTER:
        return
    _swept[key] = now
    with contextlib.suppress(Exception):  # tidying up must never cost the officer the file being written
        sweep_leftovers(folder, fresh)


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it over `path`.

    The file gets the permissions of any new file (0666 less the umask), not the 0600 of a private
    temporary file: a colleague on a shared server must be able to open a summary. Leftovers of
    killed writers in the folder are removed first (`sweep_leftovers`; never fails the write).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _sweep_once(target.parent, tmp)
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
