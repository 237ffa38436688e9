"""Where a workspace keeps its files: the one definition of the folder layout.

The CLI, the consolidator, the add-in and the demo all find year folders, returned files, the archive
and the ledger through these functions, so moving a folder is one change here.

    <workspace>/ledger.sqlite              the SQLite ledger (history of every submission)
    <workspace>/archive/<year>/<hash>.xlsx  every file received, by content hash
    <workspace>/<year>/templates/          blank templates sent out
    <workspace>/<year>/nhan-ve/            returned workbooks («nhận về»)
    <workspace>/<year>/phan-hoi/           feedback copies («phản hồi»)
    <workspace>/<year>/tong-hop-<year>.xlsx the provincial summary («tổng hợp»)
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_WORKSPACE = Path("workbooks")
LEDGER_NAME = "ledger.sqlite"
ARCHIVE_DIR = "archive"
TEMPLATES_DIR = "templates"
RETURNED_DIR = "nhan-ve"
FEEDBACK_DIR = "phan-hoi"


def year_dir(workspace: str | Path, year: int) -> Path:
    return Path(workspace) / str(int(year))


def templates_dir(workspace: str | Path, year: int) -> Path:
    return year_dir(workspace, year) / TEMPLATES_DIR


def returned_dir(workspace: str | Path, year: int) -> Path:
    return year_dir(workspace, year) / RETURNED_DIR


def feedback_dir(workspace: str | Path, year: int) -> Path:
    return year_dir(workspace, year) / FEEDBACK_DIR


def summary_path(workspace: str | Path, year: int) -> Path:
    return year_dir(workspace, year) / f"tong-hop-{int(year)}.xlsx"


def ledger_path(workspace: str | Path) -> Path:
    return Path(workspace) / LEDGER_NAME


def archive_dir(workspace: str | Path) -> Path:
    return Path(workspace) / ARCHIVE_DIR
