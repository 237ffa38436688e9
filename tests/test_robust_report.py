"""Release testing: `report -o` never destroys a returned workbook, a summary or the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.errors import XltoolkitError
from xltoolkit.report import check_report_output


@pytest.mark.parametrize(
    "name",
    ["2026/nhan-ve/bao-cao-2026-27694-2025.xlsx", "2026/tong-hop-2026.xlsx", "ledger.sqlite", "ghi-chu.txt"],
)
def test_report_refuses_to_replace_a_file_that_is_not_a_report(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"PK\x03\x04 returned workbook")
    with pytest.raises(XltoolkitError) as err:
        check_report_output(target, tmp_path)
    assert err.value.code == "output-overwrites-input"
    assert target.read_bytes() == b"PK\x03\x04 returned workbook"


def test_report_may_replace_its_own_draft_or_write_a_new_file(tmp_path: Path) -> None:
    (tmp_path / "bao-cao-2026.docx").write_bytes(b"old draft")
    check_report_output(tmp_path / "bao-cao-2026.docx", tmp_path)
    check_report_output(tmp_path / "moi" / "bao-cao.docx", tmp_path)
    with pytest.raises(XltoolkitError):
        check_report_output(tmp_path / "archive" / "ab" / "x.docx", tmp_path)


def test_report_cli_leaves_a_returned_workbook_alone(tmp_path: Path) -> None:
    returned = tmp_path / "2026" / "nhan-ve" / "bao-cao-2026-27694-2025.xlsx"
    returned.parent.mkdir(parents=True)
    returned.write_bytes(b"PK\x03\x04 returned workbook")
    args = ["report", "--year", "2026", "--workspace", str(tmp_path), "-o", str(returned), "--json"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == "output-overwrites-input"
    assert returned.read_bytes() == b"PK\x03\x04 returned workbook"


def test_the_report_line_names_the_year_once() -> None:
    from xltoolkit.cli.report import KIND_LABELS

    assert all(not label.endswith(" năm") for label in KIND_LABELS.values())
