"""The plan's administrative units: the generated file against the dataset, and the lineage logic.

The dataset tests read `vietnamadminunits` itself (its database and its own address converter), never a
copy of the committed file, so a wrong generator or a stale file fails here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltoolkit.errors import PlanError
from xltoolkit.plan.units import (
    UnitRegistry,
    communes_per_district,
    continuation,
    district_rebuildable,
    district_rollup,
    former_districts,
    in_force,
    load_units,
    parse_units,
    wholly_within,
)

ROOT = Path(__file__).resolve().parents[1]
UNITS_FILE = ROOT / "schemas" / "units-tay-ninh-2025.toml"
BEFORE = date(2024, 12, 15)
AFTER = date(2025, 12, 15)

#: From shared/notes/administration-2025.md (counted there from vietnamadminunits 1.0.4).
NOTES_DISTRICT_COUNTS = {
    "Huyện Đức Hòa": 20,
    "Huyện Cần Đước": 17,
    "Huyện Cần Giuộc": 15,
    "Huyện Bến Lức": 14,
    "Huyện Châu Thành": 13,
    "Huyện Tân Thạnh": 13,
    "Thành phố Tân An": 13,
    "Huyện Thủ Thừa": 12,
    "Huyện Tân Hưng": 12,
    "Huyện Thạnh Hóa": 11,
    "Huyện Đức Huệ": 11,
    "Huyện Tân Trụ": 10,
    "Huyện Vĩnh Hưng": 10,
    "Thị xã Kiến Tường": 8,
    "Huyện Mộc Hóa": 7,
}


def _load_script(name: str) -> ModuleType:
    """scripts/ is not a package; dataclasses need the module registered while it executes."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _script() -> ModuleType:
    return _load_script("gen_admin_units")


@pytest.fixture(scope="module")
def reg() -> UnitRegistry:
    return load_units(UNITS_FILE)


@pytest.fixture(scope="module")
def package() -> ModuleType:
    return pytest.importorskip("vietnamadminunits", reason="vietnamadminunits (test extra) not installed")


def _new(reg: UnitRegistry) -> tuple[Any, ...]:
    return in_force(reg, AFTER, "commune")


def _long_an_districts(reg: UnitRegistry) -> list[str]:
    return [u.id for u in in_force(reg, BEFORE, "district") if u.province == "Tỉnh Long An"]


# ------------------------------------------------------------------------- the file and the dataset


def test_counts_match_the_notes(reg: UnitRegistry) -> None:
    assert reg.source is not None and reg.source.new_units == 96
    new = _new(reg)
    assert len(new) == 61
    assert sum(u.mixed for u in new) == 2
    assert sum(len(former_districts_la(reg, u.id)) == 2 for u in new) == 5
    assert all(1 <= len(former_districts_la(reg, u.id)) <= 2 for u in new)
    districts = _long_an_districts(reg)
    assert sorted(districts) == [str(c) for c in range(794, 809)]
    counts = communes_per_district(reg)
    by_name = {reg.by_id[d].name: counts[d] for d in districts}
    assert by_name == NOTES_DISTRICT_COUNTS
    assert sum(by_name.values()) == 186


def former_districts_la(reg: UnitRegistry, unit_id: str) -> tuple[str, ...]:
    return tuple(d for d in former_districts(reg, unit_id) if reg.by_id[d].province == "Tỉnh Long An")


def test_counts_match_the_package(reg: UnitRegistry, package: ModuleType) -> None:
    from vietnamadminunits.database import query

    new_tn = query("SELECT wardCode, ward, wardType FROM admin_units WHERE provinceKey = 'tinhtayninh'")
    assert reg.source is not None
    assert len(new_tn) == reg.source.new_units
    legacy = query(
        "SELECT districtCode, COUNT(*) AS n FROM admin_units_legacy "
        "WHERE provinceKey = 'tinhlongan' GROUP BY districtCode"
    )
    counts = communes_per_district(reg)
    assert {r["districtCode"]: r["n"] for r in legacy} == {d: counts[d] for d in _long_an_districts(reg)}
    package_names = {r["wardCode"]: (r["ward"], r["wardType"].lower()) for r in new_tn}
    for u in _new(reg):
        assert package_names[u.code] == (u.name, u.kind)


def test_every_former_long_an_unit_converts_into_its_listed_successor(
    reg: UnitRegistry, package: ModuleType
) -> None:
    """The package's own converter (parser + conversion tables) agrees with the generated lineage."""
    from vietnamadminunits import convert_address
    from vietnamadminunits.database import query

    rows = query(
        "SELECT ward, district, province, wardCode, districtCode FROM admin_units_legacy "
        "WHERE provinceKey = 'tinhlongan'"
    )
    assert len(rows) == 186
    for r in rows:
        converted = convert_address(f"{r['ward']}, {r['district']}, {r['province']}")
        former = reg.unit(r["wardCode"])
        assert former.parent == r["districtCode"]
        successors = {reg.by_id[s].code for s in reg.successors_of[former.id]}
        assert converted.ward_code in successors, r
        assert (len(successors) > 1) == any(
            p.split for s in reg.successors_of[former.id] for p in reg.by_id[s].from_ if p.unit == former.id
        )


def test_rerunning_the_script_reproduces_the_committed_file(package: ModuleType) -> None:
    text = _script().render()
    assert text.encode("utf-8") == UNITS_FILE.read_bytes()


def test_script_refuses_another_dataset_version(monkeypatch: pytest.MonkeyPatch, package: ModuleType) -> None:
    script = _script()
    monkeypatch.setattr(script.metadata, "version", lambda name: "9.9.9")
    with pytest.raises(script.VersionMismatch):
        script.render()
    assert script.main(["--check"]) == 2


def test_lineage_of_the_file(reg: UnitRegistry) -> None:
    new = _new(reg)
    # every former Long An commune went somewhere, and units split have no share
    for u in in_force(reg, BEFORE, "commune"):
        if u.province == "Tỉnh Long An":
            assert reg.successors_of[u.id]
    for u in new:
        for p in u.from_:
            assert (p.share is None) == p.split
    doubtful = [p for u in new for p in u.from_ if p.doubtful]
    mixed = {u.id for u in new if u.mixed}
    assert {u.id for u in new if any(p.doubtful for p in u.from_)} == mixed
    assert len(doubtful) == 2
    # the mixed communes lose their former Tây Ninh part once the doubtful links are left out
    for uid in mixed:
        kept = former_districts(reg, uid, skip_doubtful=True)
        assert len({reg.by_id[d].province for d in kept}) == 1
        assert len(kept) < len(former_districts(reg, uid))


def test_continuation_follows_the_rollup(reg: UnitRegistry) -> None:
    rollup = district_rollup(reg, AFTER)
    assert rollup  # some former districts can still be shown from communes
    for u in _new(reg):
        c = continuation(reg, u.id)
        if c.kind == "none":
            assert c.district is None and c.reason
        else:
            assert c.district in rollup and u.id in rollup[c.district]
            assert wholly_within(reg, u.id) == c.district


# ------------------------------------------------------------------------- loader errors


def _minimal() -> dict[str, Any]:
    return {
        "units": [
            {"id": "d1", "code": "1", "name": "Huyện A", "kind": "huyện", "level": "district",
             "valid_to": date(2025, 6, 30), "communes": 1},
            {"id": "c1", "code": "11", "name": "Xã B", "kind": "xã", "level": "commune", "parent": "d1",
             "valid_to": date(2025, 6, 30)},
            {"id": "n1", "code": "11", "name": "Xã C", "kind": "xã", "level": "commune",
             "valid_from": date(2025, 7, 1), "from": [{"unit": "c1", "share": 1.0}]},
        ]
    }  # fmt: skip


def test_minimal_registry_loads() -> None:
    reg = parse_units(_minimal())
    assert continuation(reg, "n1").kind == "same"


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda r: r["units"][2]["from"][0].update(unit="zz"), "units[2] (n1).from[0].unit"),
        (lambda r: r["units"][2]["from"][0].update(share=1.5), "units[2] (n1).from[0].share"),
        (lambda r: r["units"][2]["from"][0].pop("share"), "units[2] (n1).from[0]"),
        (lambda r: r["units"][1].update(parent="nope"), "units[1] (c1).parent"),
        (lambda r: r["units"][1].update(id="n1"), "units[2].id"),
        (lambda r: r["units"][0].update(communes=3), "units[0] (d1).communes"),
        (lambda r: r["units"][2].update(valid_from=date(2025, 6, 1)), "units[2] (n1).from[0].unit"),
        (lambda r: r["units"][2].update(kind="làng"), "units[2] (n1).kind"),
        (lambda r: r["units"][1].update(valid_to=None), "units[2] (n1).from[0].unit"),
    ],
)
def test_loader_names_entry_and_field(mutate: Any, needle: str) -> None:
    raw = _minimal()
    mutate(raw)
    with pytest.raises(PlanError) as e:
        parse_units(raw)
    assert e.value.code == "units-invalid"
    assert needle in e.value.message


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as e:
        load_units(tmp_path / "none.toml")
    assert e.value.code == "units-not-found"
    bad = tmp_path / "bad.toml"
    bad.write_text("[[units]\n", encoding="utf-8")
    with pytest.raises(PlanError) as e:
        load_units(bad)
    assert e.value.code == "units-syntax"


# ------------------------------------------------------------------------- properties


@st.composite
def registries(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Random former districts/communes merged (some split) into new communes; returns raw + lineage."""
    n_districts = draw(st.integers(1, 4))
    former: list[tuple[str, str]] = []  # (commune id, district id)
    units: list[dict[str, Any]] = []
    end = date(2025, 6, 30)
    for d in range(n_districts):
        n = draw(st.integers(1, 4))
        units.append({"id": f"d{d}", "code": f"{d}", "name": f"Huyện {d}", "kind": "huyện",
                      "level": "district", "valid_to": end, "communes": n})  # fmt: skip
        for c in range(n):
            cid = f"c{d}-{c}"
            former.append((cid, f"d{d}"))
            units.append({"id": cid, "code": f"{d}{c:02d}", "name": f"Xã {cid}", "kind": "xã",
                          "level": "commune", "parent": f"d{d}", "valid_to": end})  # fmt: skip
    n_new = draw(st.integers(1, len(former)))
    lineage: dict[str, list[tuple[str, bool]]] = {f"n{i}": [] for i in range(n_new)}
    for cid, _ in former:
        targets = draw(st.lists(st.integers(0, n_new - 1), min_size=1, max_size=2, unique=True))
        for t in targets:
            lineage[f"n{t}"].append((cid, len(targets) > 1))
    lin: dict[str, list[str]] = {}
    for nid, preds in lineage.items():
        if not preds:
            continue
        lin[nid] = [p for p, _ in preds]
        units.append({
            "id": nid, "code": f"9{nid[1:]}", "name": f"Xã mới {nid}", "kind": "xã", "level": "commune",
            "valid_from": date(2025, 7, 1),
            "from": [{"unit": p, "split": True} if s else {"unit": p, "share": 1.0} for p, s in preds],
        })  # fmt: skip
    parent = dict(former)
    return {"units": units}, {k: [parent[p] for p in v] for k, v in lin.items()}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_properties_of_lineage(data: tuple[dict[str, Any], dict[str, list[str]]]) -> None:
    raw, parents = data
    reg = parse_units(raw)
    new_ids = set(parents)
    assert {u.id for u in in_force(reg, AFTER)} == new_ids
    assert not {u.id for u in in_force(reg, BEFORE)} & new_ids
    for nid, ps in parents.items():
        assert former_districts(reg, nid) == tuple(sorted(set(ps)))
        assert wholly_within(reg, nid) == (ps[0] if len(set(ps)) == 1 else None)
    for d in (u.id for u in reg.units if u.level == "district"):
        touching = [n for n, ps in parents.items() if d in ps]
        expected = bool(touching) and all(set(parents[n]) == {d} for n in touching)
        assert district_rebuildable(reg, d) == expected
    rollup = district_rollup(reg, AFTER)
    for nid in parents:
        c = continuation(reg, nid)
        assert (c.kind != "none") == (c.district in rollup and nid in rollup[c.district])
        if c.kind == "same":
            assert rollup[c.district] == (nid,)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), st.data())
def test_rollup_preserves_district_totals(
    data: tuple[dict[str, Any], dict[str, list[str]]], more: Any
) -> None:
    """A district rebuilt from unsplit communes gives the same total as its former communes."""
    raw, _ = data
    reg = parse_units(raw)
    values = {u.id: more.draw(st.integers(0, 10_000)) for u in reg.units if u.parent}
    new_values = {u.id: sum(values[p.unit] for p in u.from_) for u in in_force(reg, AFTER)}
    for d, communes in district_rollup(reg, AFTER).items():
        if any(p.split for c in communes for p in reg.by_id[c].from_):
            continue
        assert sum(new_values[c] for c in communes) == sum(
            v for k, v in values.items() if reg.by_id[k].parent == d
        )


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.dates(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "units",
                        "id",
                        "code",
                        "name",
                        "kind",
                        "level",
                        "from",
                        "unit",
                        "share",
                        "parent",
                        "valid_to",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_hostile_input_only_raises_plan_error(raw: Any) -> None:
    if not isinstance(raw, dict):
        raw = {"units": raw}
    try:
        parse_units(raw)
    except PlanError as e:
        assert e.code == "units-invalid"


def test_counter_of_kinds_in_file(reg: UnitRegistry) -> None:
    kinds = Counter(u.kind for u in _new(reg))
    assert set(kinds) <= {"xã", "phường"} and sum(kinds.values()) == 61


def test_national_units_for_the_benchmark(package: ModuleType) -> None:
    from vietnamadminunits.database import query

    units = _load_script("national_units").national_units()
    assert len(units) == 3321
    assert len({u.code for u in units}) == len(units)
    assert len({u.province for u in units}) == 34
    assert len(units) == query("SELECT COUNT(*) AS n FROM admin_units")[0]["n"]
    assert sum(u.province == "Tỉnh Tây Ninh" for u in units) == 96
