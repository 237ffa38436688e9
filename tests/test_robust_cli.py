"""Release testing: whatever goes wrong inside, the officer meets Vietnamese and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import xltoolkit
from xltoolkit.cli.main import main


def _boom(*args: object, **kwargs: object) -> None:
    raise AttributeError("'MergedCell' object attribute 'comment' is read-only")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_defect_inside_a_command_is_a_coded_vietnamese_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setattr(xltoolkit, "validate_paths", _boom)
    (tmp_path / "a.xlsx").write_bytes(b"")
    args = ["validate", str(tmp_path / "a.xlsx")] + (["--json"] if as_json else [])
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    if as_json:
        assert json.loads(res.stdout)["error"]["code"] == "internal-error"
    else:
        assert "[internal-error]" in res.stderr and "không bị sửa" in res.stderr


def test_a_defect_while_loading_the_plan_is_caught_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import xltoolkit.cli.common as common

    monkeypatch.setattr(common, "load_plan", _boom)
    res = CliRunner().invoke(main, ["plan", "show", "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == "internal-error"


def test_validate_with_a_year_outside_the_plan_is_one_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"")
    res = CliRunner().invoke(main, ["validate", str(tmp_path), "--year", "2031", "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == "year-outside-plan"


@pytest.mark.parametrize("inside", ["", "phan-hoi"])
def test_feedback_copies_are_not_written_among_the_returned_files(tmp_path: Path, inside: str) -> None:
    src = tmp_path / "nhan-ve"
    src.mkdir()
    (src / "a.xlsx").write_bytes(b"")
    out = src / inside if inside else src
    res = CliRunner().invoke(main, ["validate", str(src), "--annotate", str(out), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == "annotate-inside-input"
    assert sorted(p.name for p in src.iterdir()) == ["a.xlsx"]


def test_feedback_copies_beside_the_returned_folder_are_fine(tmp_path: Path) -> None:
    src = tmp_path / "nhan-ve"
    src.mkdir()
    (src / "a.xlsx").write_bytes(b"")
    res = CliRunner().invoke(main, ["validate", str(src), "--annotate", str(tmp_path / "phan-hoi")])
    assert res.exit_code == 1, res.output  # the empty file is an error, not a usage problem


@pytest.mark.parametrize(
    ("args", "vietnamese"),
    [
        (["consolidate", "{tmp}"], "Thiếu '--year'"),
        (["consolidate", "{tmp}", "--year", "2024", "-o", "{tmp}"], "là một thư mục"),
        (["consolidate", "{tmp}", "--yaer", "2024"], "Có phải ý là: --year?"),
        (["validate", "{tmp}", "--year", "hai nghìn"], "không phải là số nguyên"),
        (["validate", "{tmp}/khong-co.xlsx"], "không tìm thấy"),
        (["valdate", "{tmp}"], "Không có lệnh «valdate»"),
    ],
)
def test_usage_errors_are_vietnamese(tmp_path: Path, args: list[str], vietnamese: str) -> None:
    res = CliRunner().invoke(main, [a.format(tmp=tmp_path) for a in args])
    assert res.exit_code == 2
    assert "[usage-error]" in res.stderr and vietnamese in res.stderr and "--help" in res.stderr
    assert "Error:" not in res.output and "Invalid value" not in res.output


def test_help_and_version_still_exit_zero() -> None:
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0
    assert CliRunner().invoke(main, ["consolidate", "--help"]).exit_code == 0


def test_an_empty_folder_is_not_a_successful_validation(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["validate", str(tmp_path), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == "no-workbooks"


def test_a_closed_pipe_is_not_reported_as_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(xltoolkit, "validate_paths", closed)
    (tmp_path / "a.xlsx").write_bytes(b"")
    res = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert "internal-error" not in res.output and res.exit_code != 0
