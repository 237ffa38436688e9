"""What keeps a consolidation safe on a shared and fallible disk: one run per workspace at a time, no
output over an input, any file name recorded, and disk or ledger faults turned into coded Vietnamese
errors (the ledger's own transaction has already rolled back when they are raised).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xltoolkit import workspace as layout
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import Issue, issue
from xltoolkit.plan.model import Plan
from xltoolkit.validation.batch import KeyedCache

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The lock file of a workspace, held for the whole of a consolidation.
LOCK_NAME = ".xltoolkit.lock"


def lock_path(workspace: str | Path) -> Path:
    return Path(workspace) / LOCK_NAME


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # pragma: no cover - Windows
        return False
    return True  # pragma: no cover - Windows


@contextmanager
def workspace_lock(workspace: str | Path) -> Iterator[None]:
    """Hold the workspace for one consolidation; a second one at the same time is refused.

    Two runs at once would validate and archive the same files and race on the ledger. The lock is
    the operating system's (released when the process ends, even when it is killed), so a crashed
    run never leaves the workspace locked.
    """
    path = lock_path(workspace)
    try:
        Path(workspace).mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        raise disk_error(e, Path(workspace), "khi mở thư mục làm việc") from None
    try:
        if not _try_lock(fd):
            raise XltoolkitError(
                "workspace-locked",
                f"Thư mục làm việc {workspace} đang được một lần tổng hợp khác sử dụng (trên máy này hoặc "
                "máy khác dùng chung thư mục). Hãy chờ lần đó xong rồi chạy lại; sổ theo dõi không bị "
                "thay đổi.",
            )
        yield
    finally:
        os.close(fd)


#: The title of a summary workbook's document properties starts so (see summary.workbook).
SUMMARY_TITLE = "Báo cáo tổng hợp năm"


def is_summary(path: Path) -> bool:
    """Whether `path` is a summary workbook written by xltoolkit (its document title says so)."""
    try:
        with zipfile.ZipFile(path) as z, z.open("docProps/core.xml") as f:
            core = f.read(1 << 16).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
        return False
    return SUMMARY_TITLE in core


def check_output(output: Path, workspace: Path, folder: Path) -> None:
    """Refuse an output path that would overwrite an input: a returned file (an existing file of the
    returned folder that is not an earlier summary), the ledger, the lock or the archive."""
    out = output.resolve()
    ws = workspace.resolve()
    protected = {layout.ledger_path(ws), lock_path(ws)}
    archive = layout.archive_dir(ws)
    returned = out.parent == folder.resolve() and out.exists() and not is_summary(out)
    if out in protected or out == archive or archive in out.parents or returned:
        raise XltoolkitError(
            "output-overwrites-input",
            f"Không ghi tệp tổng hợp vào {output}: đường dẫn này là tệp nhận về, sổ theo dõi hoặc kho "
            "lưu trữ, không được ghi đè. Hãy chọn tệp khác với -o (ví dụ trong thư mục của năm).",
        )


def safe_name(name: str) -> str:
    """A file name as text that can always be stored and printed: bytes that are not UTF-8 (kept by
    Python as lone surrogates) become \\x escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def escape_strings(obj: Any) -> Any:
    """`safe_name` applied to every string of a JSON-like structure (a report that quotes a name)."""
    if isinstance(obj, str):
        return safe_name(obj)
    if isinstance(obj, dict):
        return {escape_strings(k): escape_strings(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [escape_strings(v) for v in obj]
    return obj


_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


def disk_error(err: OSError, where: Path, doing: str) -> XltoolkitError:
    """A coded Vietnamese error for a failed write in the workspace."""
    if err.errno in _FULL:
        return XltoolkitError(
            "disk-full",
            f"Ổ đĩa đã đầy {doing} ({where}). Hãy giải phóng dung lượng rồi chạy lại; sổ theo dõi giữ "
            "nguyên như trước lần chạy này, không có tệp nào bị ghi dở.",
        )
    if err.errno in _READ_ONLY:
        return XltoolkitError(
            "workspace-read-only",
            f"Không có quyền ghi {doing} ({where}): thư mục làm việc chỉ cho phép đọc. Hãy chọn thư mục "
            "làm việc ghi được (--workspace) hoặc nhờ quản trị cấp quyền ghi; sổ theo dõi không bị "
            "thay đổi.",
        )
    return XltoolkitError(
        "workspace-write-failed",
        f"Không ghi được {doing} ({where}): {err.strerror or err}. Sổ theo dõi giữ nguyên như trước lần "
        "chạy này; hãy kiểm tra ổ đĩa rồi chạy lại.",
    )


def ledger_error(err: sqlite3.Error, path: Path) -> XltoolkitError:
    """A coded Vietnamese error for a failed ledger read or write (SQLite's own words are English)."""
    text = str(err).lower()
    if "full" in text:
        return disk_error(OSError(errno.ENOSPC, str(err)), path, "khi ghi sổ theo dõi")
    if "readonly" in text or "read-only" in text:
        return disk_error(OSError(errno.EROFS, str(err)), path, "khi ghi sổ theo dõi")
    return XltoolkitError(
        "ledger-unreadable",
        f"Sổ theo dõi {path} bị hỏng hoặc không đúng cấu trúc ({err}); chương trình không thay đổi "
        "sổ. Hãy khôi phục sổ từ bản sao lưu gần nhất (hoặc báo cán bộ kỹ thuật), rồi chạy lại.",
    )


_IDS: KeyedCache[int, dict[str, str]] = KeyedCache(16)


def _ids_by_lower(edition: Plan) -> dict[str, str]:
    """Lowercase unit id -> id, once per edition object."""
    return _IDS.get(id(edition), edition, lambda: {a.lower(): a for a in edition.agency_by_id})


def named_for_other_unit(name: str, agency: str | None, year: int | None, plan: Plan) -> Issue | None:
    """A warning when the file carries another unit's template name (`bao-cao-<năm>-<đơn vị>…`).

    Units return the template under its own name, so a file named for unit B whose content is unit A's
    is most often B's officer filling A's template by mistake: the figures would silently become A's
    (replacing A's own report). Content decides, as always; the officer is told which unit to ask.
    """
    if agency is None or year is None:
        return None
    edition = plan.for_year(year)
    text = unicodedata.normalize("NFC", name).lower()
    prefix = f"bao-cao-{year}-"
    if prefix not in text:
        return None
    rest = text[text.index(prefix) + len(prefix) :]
    # the unit ids the name can start with: its prefixes that end before a non-alphanumeric
    # character, looked up (not every id tried against every file: 3,321 × 3,321 nationally)
    ids = _ids_by_lower(edition)
    ends = [i for i, ch in enumerate(rest) if not ch.isalnum()] + [len(rest)]
    named = [ids[rest[:i]] for i in ends if rest[:i] in ids]
    if not named:
        return None
    other = max(named, key=len)
    if other == agency:
        return None
    label = edition.agency_by_id
    return issue("file-named-for-other-unit", name=name, named=label[other].label, found=label[agency].label)
