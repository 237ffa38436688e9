"""Release testing, session 6: a run killed during an atomic write leaves `.~tmp-XXXXXXXX.xlsx` beside
the output (kill -9 or a power cut gives no chance to remove it; Windows shows it in a shared folder).

The next write into that folder removes such leftovers: only our exact temporary names, only regular
files (never through or of a symlink), only older than `STALE_AFTER` so another process's file being
written survives, and never at the cost of the write itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from xltoolkit.workbook import xlio
from xltoolkit.workbook.xlio import STALE_AFTER, save_atomic, sweep_leftovers, write_atomic

ROOT = Path(__file__).resolve().parents[1]

#: A writer that stops inside `write(tmp)` with half a file written, tells us its temporary file,
#: and finishes only when told to (one line on its standard input).
WRITER = """
import sys
from pathlib import Path
from xltoolkit.workbook.xlio import write_atomic

def write(tmp):
    tmp.write_bytes(b"PK half a workbook")
    print(tmp.name, flush=True)
    sys.stdin.readline()
    tmp.write_bytes(b"PK the whole workbook")

write_atomic(Path(sys.argv[1]), write)
"""


@pytest.fixture(autouse=True)
def _fresh_process_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a new run: no folder counts as swept already."""
    monkeypatch.setattr(xlio, "_swept", {})


def _start_writer(target: Path) -> tuple[subprocess.Popen[str], Path]:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    name = child.stdout.readline().strip()
    assert name.startswith(".~tmp-"), name
    return child, target.parent / name


def _backdate(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when), follow_symlinks=False)


def test_a_killed_writers_leftover_goes_and_a_live_writers_file_stays(tmp_path: Path) -> None:
    killed, leftover = _start_writer(tmp_path / "tong-hop-2026.xlsx")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert leftover.exists() and not (tmp_path / "tong-hop-2026.xlsx").exists()  # the defect
    _backdate(leftover, STALE_AFTER + 60)  # the next run, some hours later

    live, in_progress = _start_writer(tmp_path / "bao-cao-2026.docx")
    try:
        _backdate(in_progress, 5)  # written to a few seconds ago: a live writer
        save_atomic(openpyxl.Workbook(), tmp_path / "phan-hoi.xlsx")
        assert not leftover.exists()
        assert in_progress.exists()
    finally:
        assert live.stdin is not None
        live.stdin.write("\n")
        live.stdin.close()
        assert live.wait(timeout=30) == 0
    assert (tmp_path / "bao-cao-2026.docx").read_bytes() == b"PK the whole workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao-2026.docx", "phan-hoi.xlsx"]


def test_only_our_own_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "bao-cao-goc.xlsx"
    victim.write_bytes(b"a returned file")
    folder = tmp_path / "out"
    folder.mkdir()
    ours = [".~tmp-abcd_123.xlsx", ".~tmp-0a1b2c3d.docx", ".~tmp-zzzzzzzz.xml", ".~tmp-q1w2e3r4"]
    not_ours = [
        ".~tmp-abc.xlsx",  # not tempfile's eight characters
        ".~tmp-ABCD1234.xlsx",  # tempfile never uses capitals
        "x.~tmp-abcd1234.xlsx",
        ".~tmp-abcd1234.xlsx.bak",
        "~$bao-cao.xlsx",  # Excel's owner file
        ".~lock.bao-cao.xlsx#",  # LibreOffice's lock file
        ".~abcdef.xlsx.k2j4h5g6.part",  # the ledger archive's temporary name (another folder, another helper)
        "bao-cao.xlsx",
    ]
    for name in ours + not_ours:
        (folder / name).write_bytes(b"x")
    (folder / ".~tmp-dir00000.xlsx").mkdir()
    link = folder / ".~tmp-link0000.xlsx"
    link.symlink_to(victim)
    young = folder / ".~tmp-young000.xlsx"
    young.write_bytes(b"x")
    for p in folder.iterdir():
        if p != young:
            _backdate(p, STALE_AFTER * 3)
    _backdate(victim, STALE_AFTER * 3)
    fresh = folder / ".~tmp-fresh000.xlsx"
    fresh.write_bytes(b"")

    assert sorted(sweep_leftovers(folder, fresh)) == sorted(ours)
    left = {p.name for p in folder.iterdir()}
    assert left == {*not_ours, ".~tmp-dir00000.xlsx", link.name, young.name, fresh.name}
    assert link.is_symlink() and victim.read_bytes() == b"a returned file"


def test_a_file_dated_ahead_is_not_taken_for_old(tmp_path: Path) -> None:
    """A clock ahead (the share's, or this machine's) must not make a live file look old."""
    ahead = tmp_path / ".~tmp-ahead000.xlsx"
    ahead.write_bytes(b"x")
    _backdate(ahead, -STALE_AFTER * 5)
    write_atomic(tmp_path / "a.xlsx", lambda tmp: tmp.write_bytes(b"a"))
    assert ahead.exists()


def test_a_failed_sweep_never_fails_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leftover = tmp_path / ".~tmp-stale000.xlsx"
    leftover.write_bytes(b"x")
    _backdate(leftover, STALE_AFTER * 2)

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(xlio.os, "unlink", refuse)
    assert write_atomic(tmp_path / "a.xlsx", lambda tmp: tmp.write_bytes(b"a")).read_bytes() == b"a"
    monkeypatch.undo()
    monkeypatch.setattr(xlio, "_swept", {})
    monkeypatch.setattr(xlio.os, "scandir", refuse)
    assert write_atomic(tmp_path / "b.xlsx", lambda tmp: tmp.write_bytes(b"b")).read_bytes() == b"b"
    monkeypatch.undo()
    monkeypatch.setattr(xlio, "_swept", {})

    def broken(*_: object) -> list[str]:
        raise RuntimeError("a bug in the sweep")

    monkeypatch.setattr(xlio, "sweep_leftovers", broken)
    assert write_atomic(tmp_path / "c.xlsx", lambda tmp: tmp.write_bytes(b"c")).read_bytes() == b"c"
    assert leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [leftover.name, "a.xlsx", "b.xlsx", "c.xlsx"]


def test_a_folder_is_listed_once_per_run_not_once_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,300 feedback copies into one folder must not list it 3,300 times."""
    calls: list[Path] = []
    real = xlio.sweep_leftovers

    def counted(folder: Path, fresh: Path) -> list[str]:
        calls.append(folder)
        return real(folder, fresh)

    monkeypatch.setattr(xlio, "sweep_leftovers", counted)
    for i in range(20):
        write_atomic(tmp_path / f"{i}.xlsx", lambda tmp: tmp.write_bytes(b"x"))
    write_atomic(tmp_path / "other" / "x.xlsx", lambda tmp: tmp.write_bytes(b"x"))
    assert calls == [tmp_path, tmp_path / "other"]
