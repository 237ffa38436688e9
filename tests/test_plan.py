"""The plan catalog matches the seed text, round-trips through the CLI, and rejects broken files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltoolkit.cli.main import main
from xltoolkit.errors import PlanError
from xltoolkit.plan.model import default_plan_path, load_plan

# (code, comparison, target_2025, target_2030, lead) as worded in the seed, section I.2 and IV.
SEED = [
    ("1", ">=", 80, 85, "so-ldtbxh"),
    ("2", ">=", 90, 95, "so-ldtbxh"),
    ("3a", "<", 9.5, 9, "so-yt"),
    ("3b", "<=", 12.5, 10, "so-yt"),
    ("3c", "<", 18.5, 15, "so-yt"),
    ("4a", "<", 9, 6, "so-yt"),
    ("4b", "<", 18, 15, "so-yt"),
    ("4c", "<", 5, 5, "so-yt"),
    ("4d", "<", 10, 10, "so-yt"),
    ("5a", ">=", 97, 98, "so-yt"),
    ("5b", ">=", None, 98, "so-yt"),
    ("6", "<=", None, 2, "so-yt"),
    ("7", ">=", 100, 100, "so-gddt"),
    ("8a", "<", 6.5, 6, "so-ldtbxh"),
    ("8b", ">=", 100, 100, "so-ldtbxh"),
    ("9", "<", 0.05, 0.03, "so-ldtbxh"),
    ("10", "<=", 2, 1.8, "so-ldtbxh"),
    ("11a", "<=", 250, 200, "so-ldtbxh"),
    ("11b", "<=", 6, 5, "so-ldtbxh"),
    ("12", ">=", None, None, "so-ldtbxh"),
    ("13", ">=", None, 100, "so-vhttdl"),
    ("14", ">=", 98.5, 100, "so-tp"),
    ("15", ">=", 97, 99, "so-gddt"),
    ("16", ">=", 99.9, 99.9, "so-gddt"),
    ("17a", ">=", 97, 99, "so-gddt"),
    ("17b", "<", 0.12, 0.1, "so-gddt"),
    ("18a", ">=", 87, 90, "so-gddt"),
    ("18b", "<", 0.8, 0.65, "so-gddt"),
    ("19", ">=", 95, None, "so-gddt"),
    ("20a", ">=", 55, 60, "so-gddt"),
    ("20b", ">=", 80, 90, "so-gddt"),
    ("21", ">=", 100, 100, "so-vhttdl"),
    ("22", ">=", 30, 35, "so-ldtbxh"),
    ("23", ">=", 85, 90, "so-ldtbxh"),
    ("24", ">=", 30, 35, "so-ldtbxh"),
]

DISTRICTS = {
    "794": "Thành phố Tân An", "795": "Thị xã Kiến Tường", "796": "Huyện Tân Hưng",
    "797": "Huyện Vĩnh Hưng", "798": "Huyện Mộc Hóa", "799": "Huyện Tân Thạnh",
    "800": "Huyện Thạnh Hóa", "801": "Huyện Đức Huệ", "802": "Huyện Đức Hòa",
    "803": "Huyện Bến Lức", "804": "Huyện Thủ Thừa", "805": "Huyện Tân Trụ",
    "806": "Huyện Cần Đước", "807": "Huyện Cần Giuộc", "808": "Huyện Châu Thành",
}  # fmt: skip


@pytest.fixture(scope="module")
def shown() -> dict:
    result = CliRunner().invoke(main, ["plan", "show", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_shape_and_counts(shown: dict) -> None:
    assert shown["plan"] and shown["deadline"] == "12-15" and shown["review_years"] == [2025, 2030]
    assert len(shown["indicators"]) == 24
    assert [i["number"] for i in shown["indicators"]] == list(range(1, 25))
    measures = [m for i in shown["indicators"] for m in i["measures"]]
    assert len(measures) == 35
    for m in measures:
        assert re.fullmatch(r"[0-9]{1,2}[a-z]?", m["code"])
        assert set(m) >= {"code", "name", "unit", "scale", "comparison", "target_2025", "target_2030"}
        assert set(m) >= {"numerator", "denominator", "proportion"}
        assert m["comparison"] in {"<", "<=", ">="}
        assert {"%": 100, "trên 1.000 trẻ đẻ sống": 1000, "trên 100.000 trẻ em": 100000}[m["unit"]] == m[
            "scale"
        ]
    ids = {a["id"] for a in shown["agencies"]}
    assert all(i["lead"] in ids for i in shown["indicators"])
    assert {a["kind"] for a in shown["agencies"]} == {"department", "district", "other"}


@pytest.mark.parametrize(("code", "comparison", "t2025", "t2030", "lead"), SEED)
def test_every_measure_as_worded(shown: dict, code, comparison, t2025, t2030, lead) -> None:
    by_code = {m["code"]: (m, i) for i in shown["indicators"] for m in i["measures"]}
    m, ind = by_code[code]
    assert m["comparison"] == comparison
    assert m["target_2025"] == t2025
    assert m["target_2030"] == t2030
    assert ind["lead"] == lead


def test_standing_target_without_a_year(shown: dict) -> None:
    m = next(m for i in shown["indicators"] for m in i["measures"] if m["code"] == "12")
    assert m["standing_target"] == 100 and m["target_2025"] is None and m["target_2030"] is None


def test_districts_and_bodies(shown: dict) -> None:
    districts = {a["code"]: a["name"] for a in shown["agencies"] if a["kind"] == "district"}
    assert districts == DISTRICTS
    names = {a["name"] for a in shown["agencies"]}
    for body in ("Sở Tư pháp", "Sở Y tế", "Công an tỉnh", "Sở Thông tin và Truyền thông", "Sở Tài chính"):
        assert body in names
    assert any("Mặt trận Tổ quốc" in n for n in names)
    assert all(a["tasks"] for a in shown["agencies"])


def test_cli_json_equals_api(shown: dict) -> None:
    assert shown == json.loads(json.dumps(load_plan().to_dict()))


def test_human_output_is_vietnamese() -> None:
    result = CliRunner().invoke(main, ["plan", "show"])
    assert result.exit_code == 0
    assert "Chỉ tiêu 3" in result.output and "Sở Y tế" in result.output


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = default_plan_path().read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "plan.toml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('comparison = "<"', 'comparison = "=<"', "comparison"),
        ('lead = "so-yt"', 'lead = "so-khong-co"', "lead"),
        ('code = "3a"', 'code = "3-a"', "code"),
        ('deadline = "12-15"', 'deadline = "15/12"', "deadline"),
        ("scale = 1000", "scale = -1", "scale"),
    ],
)
def test_broken_plan_names_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.code == "plan-invalid"
    assert field in err.value.message
    result = CliRunner().invoke(main, ["plan", "show", "--plan", str(path)])
    assert result.exit_code == 2 and field in result.output and "Traceback" not in result.output


def test_syntax_error_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("id = ", encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(bad)
    assert err.value.code == "plan-syntax"
    with pytest.raises(PlanError) as err:
        load_plan(tmp_path / "none.toml")
    assert err.value.code == "plan-not-found"


def test_another_province_is_a_new_file(tmp_path: Path) -> None:
    path = _broken(tmp_path, 'province = "Long An"', 'province = "Tỉnh Mới"')
    result = CliRunner().invoke(main, ["plan", "show", "--json", "--plan", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.output)["province"] == "Tỉnh Mới"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["templates", "--year", "2024", "--out", str(out), "--agency", "so-yt", "--plan", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "bao-cao-2024-so-yt.xlsx").exists()


def test_milestones() -> None:
    plan = load_plan()
    m = plan.measure_by_code
    assert m["3a"].milestone(2022) == (2025, 9.5)
    assert m["3a"].milestone(2026) == (2030, 9)
    assert m["19"].milestone(2028) == (2025, 95)  # after the last stated target, it stands
    assert m["5b"].milestone(2023) == (2030, 98)  # no 2025 target: the next stated one
    assert m["12"].milestone(2024) == (None, 100)
    assert m["3a"].meets(9.49, 9.5) and not m["3a"].meets(9.5, 9.5)
    assert m["3b"].meets(12.5, 12.5) and not m["3b"].meets(12.51, 12.5)
    assert m["1"].meets(80, 80) and not m["1"].meets(79.99, 80)


def test_the_whole_plan_lists_its_editions(shown: dict) -> None:
    """Without --year: the plan as written, plus its editions over time (each with its consolidator)."""
    editions = {e["id"]: e for e in shown["editions"]}
    assert list(editions) == ["long-an-2021", "long-an-2025-03", "tay-ninh-2025"]
    assert editions["long-an-2021"]["consolidator"] == shown["consolidator"] == "so-ldtbxh"
    assert editions["tay-ninh-2025"]["consolidator"] == "tn-so-yt"
    assert (
        editions["tay-ninh-2025"]["valid_from"] == "2025-07-01"
        and editions["tay-ninh-2025"]["valid_to"] is None
    )
    assert "Long An cũ" in editions["tay-ninh-2025"]["note"]  # the targets continue for the former area
    districts = [a for a in shown["agencies"] if a["kind"] == "district"]
    assert all(a["valid_to"] == "2025-06-30" and a["unit"] == a["code"] for a in districts)
    assert shown["units_file"] == "units-tay-ninh-2025.toml"


def test_bodies_in_running_text_write_the_unit_kind_in_lower_case() -> None:
    """«UBND huyện Bến Lức», «UBND xã …»: the kind is a common noun; every local unit of every edition."""
    plan = load_plan()
    for year in (2024, 2025):
        edition = plan.for_year(year)
        locals_ = [a for a in edition.agencies if a.is_local]
        assert locals_
        for a in locals_:
            body = edition.body_name(a)
            kind_and_name = body.removeprefix("UBND ")
            assert kind_and_name.lower() == a.name.lower() and kind_and_name[0].islower(), body
            assert kind_and_name.split()[-1] == a.name.split()[-1]  # the proper name keeps its capitals
    bl = next(a for a in plan.for_year(2024).agencies if a.id == "h-ben-luc")
    assert plan.for_year(2024).body_name(bl) == "UBND huyện Bến Lức"
    sgd = next(a for a in plan.for_year(2024).agencies if not a.is_local)
    assert plan.for_year(2024).body_name(sgd) == sgd.name
