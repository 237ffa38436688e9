"""`xltoolkit validate`: JSON equals the API's to_dict(), exit codes, and annotated copies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import DATA_SHEET, RESULT_SHEET, build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    tpl = templates_dir / template_filename(plan.agency("so-yt"), TEMPLATE_YEAR)
    good = clean_values(plan, "so-yt", TEMPLATE_YEAR)
    bad = good | {"TU_3a": "9,5", "MAU_3b": -4, "TU_4a": 99999}
    out = {
        "good": fill_workbook(tpl, root / "in" / "good.xlsx", good),
        "bad": fill_workbook(tpl, root / "in" / "bad.xlsx", bad),
    }
    (root / "in" / "not.xlsx").write_bytes(b"hello")
    out["not"] = root / "in" / "not.xlsx"
    return out


def test_json_equals_api(files: dict[str, Path], plan: Plan) -> None:
    paths = [str(files["good"]), str(files["bad"]), str(files["not"])]
    result = CliRunner().invoke(main, ["validate", "--json", *paths])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output) == validate_paths(paths, plan).to_dict()


def test_exit_zero_when_all_valid_and_text_output(files: dict[str, Path]) -> None:
    ok = CliRunner().invoke(main, ["validate", str(files["good"]), "--year", str(TEMPLATE_YEAR)])
    assert ok.exit_code == 0, ok.output
    assert "ĐẠT" in ok.output
    wrong_year = CliRunner().invoke(main, ["validate", "--json", str(files["good"]), "--year", "2027"])
    assert wrong_year.exit_code == 1
    assert json.loads(wrong_year.output)["files"][0]["issues"][0]["code"] == "wrong-year"


def test_text_output_groups_by_file_and_sheet(files: dict[str, Path], plan: Plan) -> None:
    res = CliRunner().invoke(main, ["validate", str(files["bad"]), str(files["not"])])
    assert res.exit_code == 1
    out = res.output
    assert out.index(str(files["bad"])) < out.index(f"Trang «{DATA_SHEET}»") < out.index(str(files["not"]))
    cell = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR).input_by_name["TU_3a"].ref
    assert "(number-as-text)" in out and "(not-a-zip)" in out and f"{cell}:" in out


def test_annotate_writes_marked_copies_and_leaves_originals(
    files: dict[str, Path], plan: Plan, tmp_path: Path
) -> None:
    before = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    out = tmp_path / "ann"
    res = CliRunner().invoke(main, ["validate", str(files["bad"].parent), "--annotate", str(out)])
    assert res.exit_code == 1
    assert {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()} == before
    assert sorted(p.name for p in out.iterdir()) == ["bad.xlsx", "good.xlsx"]  # not.xlsx: nothing to annotate
    lay = build_layout(plan, plan.agency("so-yt"), TEMPLATE_YEAR)
    wb = openpyxl.load_workbook(out / "bad.xlsx")
    ws = wb[DATA_SHEET]
    cell = ws[lay.input_by_name["TU_3a"].ref]
    assert cell.fill.fgColor.rgb.endswith("F8CBAD") and "9,5" in cell.comment.text
    den = ws[lay.input_by_name["MAU_3b"].ref]  # the base figure typed once (live births)
    assert den.comment is not None and den.fill.fgColor.rgb.endswith("F8CBAD")
    result = wb[RESULT_SHEET]
    codes = [result.cell(row=r, column=5).value for r in range(4, result.max_row + 1)]
    assert {"number-as-text", "negative-value"} <= set(codes)
    assert "Chưa kiểm tra" not in str(result["A1"].value)
    good = openpyxl.load_workbook(out / "good.xlsx")[RESULT_SHEET]
    assert "Không phát hiện lỗi" in good["A1"].value
    # the annotated copy is still our template: same values, integrity intact
    again = validate_paths([out / "bad.xlsx"], plan).files[0]
    assert again.integrity_ok


def test_annotate_never_overwrites_the_original(files: dict[str, Path], tmp_path: Path) -> None:
    from xltoolkit.validation.feedback import annotated_path

    src = files["good"]
    assert annotated_path(src, src.parent) != src
    assert annotated_path(src, tmp_path) == tmp_path / "good.xlsx"
