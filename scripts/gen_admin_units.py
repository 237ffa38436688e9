"""Regenerate the plan's administrative units from the pinned `vietnamadminunits` dataset.

The communes of the merged Tây Ninh province that contain any part of the former Long An province, with
their lineage (new commune ← former communes/wards ← former district), come from a maintained dataset
rather than being typed by hand. The output is committed data (`schemas/units-tay-ninh-2025.toml`): the
toolkit reads it without the package; this script and the tests need the package, at exactly the pinned
version, so that re-running it reproduces the committed file byte for byte.

    python scripts/gen_admin_units.py              # rewrite schemas/units-tay-ninh-2025.toml
    python scripts/gen_admin_units.py --check      # exit 1 if the committed file is out of date
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

PACKAGE = "vietnamadminunits"
PINNED_VERSION = "1.0.4"
NEW_PROVINCE = "tinhtayninh"
FORMER_PROVINCE = "tinhlongan"
FORMER_PROVINCES = ("tinhlongan", "tinhtayninh")
#: The day the new communes took effect, and the last day of the former units.
VALID_FROM = "2025-07-01"
VALID_TO = "2025-06-30"
#: A lineage link whose former unit lies farther than this from the new commune's centre is doubtful.
#: In 1.0.4 every link of the merged province is within 25 km except two (about 90 km: the homonymous
#: «Phường 4» of Tân An and of Tây Ninh city, each listed as split into both provincial-capital wards).
DOUBTFUL_KM = 50.0
OUTPUT = Path(__file__).resolve().parents[1] / "schemas" / "units-tay-ninh-2025.toml"

HEADER = """\
# Administrative units of the plan across the reorganisation of 1 July 2025.
# GENERATED: do not edit; run `python scripts/gen_admin_units.py` (it refuses any other dataset version).
# Source: PyPI {package}=={version} (data/dataset.db, data/converter_2025.json).
#
# - id: unique over time; code: the official (GSO) code. A commune formed on 1/7/2025 often keeps
#   the code of one of its predecessors, so its id is the code followed by -2025.
# - level "district": the 15 districts of the former Long An province (GSO codes 794-808), in
#   force until 30/06/2025; `communes` = their number of communes/wards.
# - level "commune" with `parent`: the former communes/wards (until 30/06/2025); `successors` =
#   the number of new communes it went into (more than 1: it was split).
# - level "commune" with `valid_from`: the communes/wards of the merged Tây Ninh province that
#   contain any part of the former Long An province, with their lineage [[units.from]]:
#   `share = 1.0` when the former unit went wholly into this commune; `split = true` and no share
#   when it was split (the dataset lists the parts, not their shares). `distance_km`: between the
#   centres the dataset gives; `doubtful = true` above {km:g} km (probably an error of the dataset).
# - Former Tây Ninh units appear only where a commune above lists them in its lineage.
"""

KIND = {
    "Thành phố": "thành phố",
    "Thị xã": "thị xã",
    "Huyện": "huyện",
    "Phường": "phường",
    "Xã": "xã",
    "Thị trấn": "thị trấn",
    "Đặc khu": "đặc khu",
}


class VersionMismatch(RuntimeError):
    """The installed dataset is not the pinned one: the output would not be reproducible."""


@dataclass(frozen=True)
class FormerUnit:
    key: str
    code: str
    name: str
    kind: str
    district_code: str
    district_name: str
    district_kind: str
    province_key: str
    province_name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Link:
    former: FormerUnit
    split: bool
    distance_km: float

    @property
    def doubtful(self) -> bool:
        return self.distance_km > DOUBTFUL_KM


@dataclass
class NewUnit:
    key: str
    code: str
    name: str
    kind: str
    area_km2: float
    links: list[Link] = field(default_factory=list)

    def former_districts(self, province_key: str) -> list[str]:
        return sorted(
            {lk.former.district_code for lk in self.links if lk.former.province_key == province_key}
        )

    @property
    def contains_former(self) -> bool:
        return any(lk.former.province_key == FORMER_PROVINCE for lk in self.links)

    @property
    def mixed(self) -> bool:
        return self.contains_former and any(lk.former.province_key != FORMER_PROVINCE for lk in self.links)


def check_version() -> str:
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        raise VersionMismatch(
            f"{PACKAGE} is not installed; pip install {PACKAGE}=={PINNED_VERSION}"
        ) from None
    if version != PINNED_VERSION:
        raise VersionMismatch(
            f"{PACKAGE} {version} is installed but the unit list is pinned to {PINNED_VERSION}; "
            f"update PINNED_VERSION deliberately (and review the diff) or install {PINNED_VERSION}"
        )
    return version


def _data_dir() -> Path:
    return Path(str(resources.files(PACKAGE) / "data"))


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dx = (lon1 - lon2) * math.cos(math.radians((lat1 + lat2) / 2))
    return round(111.2 * math.hypot(lat1 - lat2, dx), 1)


def load_dataset() -> tuple[dict[str, FormerUnit], dict[str, dict[str, Any]], dict[str, Any]]:
    """Former units of both former provinces, new units of the merged one, and the conversion data."""
    data = _data_dir()
    with sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        marks = ",".join("?" * len(FORMER_PROVINCES))
        legacy = conn.execute(
            f"SELECT * FROM admin_units_legacy WHERE provinceKey IN ({marks})", FORMER_PROVINCES
        ).fetchall()
        current = conn.execute("SELECT * FROM admin_units WHERE provinceKey = ?", (NEW_PROVINCE,)).fetchall()
    former: dict[str, FormerUnit] = {}
    for r in legacy:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        former[key] = FormerUnit(
            key=key,
            code=r["wardCode"],
            name=r["ward"],
            kind=KIND[r["wardType"]],
            district_code=r["districtCode"],
            district_name=r["district"],
            district_kind=KIND[r["districtType"]],
            province_key=r["provinceKey"],
            province_name=r["province"],
            lat=r["wardLat"],
            lon=r["wardLon"],
        )
    new = {r["wardKey"]: dict(r) for r in current}
    converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    return former, new, converter


def build_units() -> tuple[list[NewUnit], dict[str, FormerUnit]]:
    """Every new commune of the merged province with its lineage, from the dataset's conversion tables."""
    former, new, converter = load_dataset()
    if FORMER_PROVINCE not in converter["DICT_PROVINCE"][NEW_PROVINCE]:
        raise RuntimeError(f"{FORMER_PROVINCE} is not a former part of {NEW_PROVINCE} in the dataset")
    units = {
        k: NewUnit(k, r["wardCode"], r["ward"], KIND[r["wardType"]], float(r["wardAreaKm2"]))
        for k, r in new.items()
    }
    whole = converter["DICT_PROVINCE_WARD_NO_DIVIDED"][NEW_PROVINCE]
    divided = converter["DICT_PROVINCE_WARD_DIVIDED"].get(NEW_PROVINCE, {})
    for new_key, olds in whole.items():
        n = new[new_key]
        for o in olds:
            f = former[o]
            units[new_key].links.append(
                Link(f, False, _distance_km(f.lat, f.lon, n["wardLat"], n["wardLon"]))
            )
    for o, parts in divided.items():
        f = former[o]
        for part in parts:
            d = _distance_km(f.lat, f.lon, part["newWardLat"], part["newWardLon"])
            units[part["newWardKey"]].links.append(Link(f, True, d))
    for u in units.values():
        u.links.sort(
            key=lambda lk: (
                lk.former.province_key != FORMER_PROVINCE,
                lk.former.district_code,
                lk.former.code,
            )
        )
    return sorted(units.values(), key=lambda u: u.code), former


# ----------------------------------------------------------------------------------------- output


def _s(text: str) -> str:
    """A TOML basic string (JSON escaping is valid TOML for these names)."""
    return json.dumps(text, ensure_ascii=False)


def _former_entry(f: FormerUnit, successors: int | None) -> list[str]:
    """`successors` only where the listing is complete (former Long An units)."""
    lines = [
        "[[units]]",
        f"id = {_s(f.code)}",
        f"code = {_s(f.code)}",
        f"name = {_s(f.name)}",
        f"kind = {_s(f.kind)}",
        'level = "commune"',
        f"province = {_s(f.province_name)}",
        f"parent = {_s(f.district_code)}",
        f"valid_to = {VALID_TO}",
    ]
    if successors is not None:
        lines.append(f"successors = {successors}")
    return [*lines, ""]


def _district_entry(code: str, members: list[FormerUnit], partial: bool) -> list[str]:
    f = members[0]
    count = (
        "partial = true  # only its units named in a lineage below are listed"
        if partial
        else (f"communes = {len(members)}")
    )
    return [
        "[[units]]",
        f"id = {_s(code)}",
        f"code = {_s(code)}",
        f"name = {_s(f.district_name)}",
        f"kind = {_s(f.district_kind)}",
        'level = "district"',
        f"province = {_s(f.province_name)}",
        f"valid_to = {VALID_TO}",
        count,
        "",
    ]


def new_id(code: str) -> str:
    """The id of a commune formed on 1/7/2025: it often keeps the official code of a predecessor."""
    return f"{code}-{VALID_FROM[:4]}"


def _new_entry(u: NewUnit) -> list[str]:
    lines = [
        "[[units]]",
        f"id = {_s(new_id(u.code))}",
        f"code = {_s(u.code)}",
        f"name = {_s(u.name)}",
        f"kind = {_s(u.kind)}",
        'level = "commune"',
        'province = "Tỉnh Tây Ninh"',
        f"valid_from = {VALID_FROM}",
        f"area_km2 = {u.area_km2}",
        f"former_districts = [{', '.join(_s(c) for c in u.former_districts(FORMER_PROVINCE))}]",
        f"mixed = {'true' if u.mixed else 'false'}",
    ]
    if u.mixed:
        lines[-1] += "  # also contains former Tây Ninh units (per the dataset; see doubtful links)"
    lines.append("")
    for lk in u.links:
        lines += [
            "[[units.from]]",
            f"unit = {_s(lk.former.code)}",
            f"name = {_s(lk.former.name)}",
            f"district = {_s(lk.former.district_code)}",
        ]
        lines.append("split = true  # share unknown" if lk.split else "share = 1.0")
        lines.append(f"distance_km = {lk.distance_km}")
        if lk.doubtful:
            lines.append("doubtful = true")
        lines.append("")
    return lines


def render() -> str:
    """The whole units file as text: sorted, no timestamps, so that it is reproducible."""
    version = check_version()
    units, former = build_units()
    in_plan = [u for u in units if u.contains_former]
    referenced = {lk.former.key for u in in_plan for lk in u.links}
    successors = Counter(lk.former.key for u in units for lk in u.links)
    long_an = sorted((f for f in former.values() if f.province_key == FORMER_PROVINCE), key=lambda f: f.code)
    others = sorted(
        (former[k] for k in referenced if former[k].province_key != FORMER_PROVINCE), key=lambda f: f.code
    )
    districts: dict[str, list[FormerUnit]] = {}
    for f in [*long_an, *others]:
        districts.setdefault(f.district_code, []).append(f)
    other_districts = {f.district_code for f in others}
    lines = [
        HEADER.format(package=PACKAGE, version=version, km=DOUBTFUL_KM).rstrip("\n"),
        "",
        "[source]",
        f"package = {_s(PACKAGE)}",
        f"version = {_s(version)}",
        'new_province = "Tỉnh Tây Ninh"',
        'former_province = "Tỉnh Long An"',
        f"new_units = {len(units)}",
        f"units_with_former_area = {len(in_plan)}",
        "",
    ]
    for code in sorted(districts):
        lines += _district_entry(code, districts[code], partial=code in other_districts)
    for f in [*long_an, *others]:
        complete = f.province_key == FORMER_PROVINCE
        lines += _former_entry(f, successors[f.key] if complete else None)
    for u in in_plan:
        lines += _new_entry(u)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    try:
        text = render()
    except VersionMismatch as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/gen_admin_units.py", file=sys.stderr)
            return 1
        return 0
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
