"""Release testing: a returned folder as officers leave it, accounted for file by file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.consolidation.intake import consolidate, scan_folder


def test_a_report_sent_in_another_format_is_listed_not_ignored(tmp_path: Path) -> None:
    src = tmp_path / "nhan-ve"
    src.mkdir()
    (src / "bao-cao-2024-h-ben-luc.csv").write_text("Mã,Giá trị\n1,50\n", encoding="utf-8")
    (src / "bao-cao-2024-h-duc-hoa.pdf").write_bytes(b"%PDF-1.4\n")
    (src / "bao-cao-2024-h-can-duoc").write_bytes(b"PK\x03\x04")  # no extension
    (src / "Thumbs.db").write_bytes(b"\x00")
    (src / "._bao-cao.xlsx.csv").write_bytes(b"\x00")  # a Mac's resource fork
    (src / "phan-hoi").mkdir()  # a subfolder (feedback copies) is not a return
    taken, skipped = scan_folder(src)
    assert taken == []
    assert sorted((s.name, s.reason) for s in skipped) == [
        ("bao-cao-2024-h-ben-luc.csv", "not-a-spreadsheet"),
        ("bao-cao-2024-h-can-duoc", "not-a-spreadsheet"),
        ("bao-cao-2024-h-duc-hoa.pdf", "not-a-spreadsheet"),
    ]
    assert all(".xlsx" in s.message for s in skipped)


def test_consolidate_names_the_csv_it_did_not_take(tmp_path: Path) -> None:
    src = tmp_path / "nhan-ve"
    src.mkdir()
    (src / "bao-cao-2024-h-ben-luc.csv").write_text("1,50\n", encoding="utf-8")
    res = CliRunner().invoke(
        main, ["consolidate", str(src), "--year", "2024", "--workspace", str(tmp_path / "ws")]
    )
    assert res.exit_code == 0, res.output
    assert "  bao-cao-2024-h-ben-luc.csv: " in res.output


def test_the_same_report_sent_twice_is_named_once_as_a_copy(tmp_path: Path) -> None:
    src = tmp_path / "nhan-ve"
    src.mkdir()
    body = b"PK\x03\x04 not really a workbook"
    for name in ("a-bao-cao.xlsx", "b-bao-cao (1).xlsx", "c-ban-sao.xlsx"):
        (src / name).write_bytes(body)
    res = consolidate(src, 2024, workspace=tmp_path / "ws")
    assert [(s.name, s.reason) for s in res.skipped] == [
        ("b-bao-cao (1).xlsx", "duplicate-file"),
        ("c-ban-sao.xlsx", "duplicate-file"),
    ]
    assert all("«a-bao-cao.xlsx»" in s.message for s in res.skipped)
    assert [s.original_name for s in res.submissions] == ["a-bao-cao.xlsx"]
