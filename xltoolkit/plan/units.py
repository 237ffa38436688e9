"""Administrative units over time: validity dates and lineage across a reorganisation.

On 1 July 2025 the districts of Long An ended and communes of the merged Tây Ninh province began; a
plan that spans the change must know which units are in force on a reporting date and how a new commune
relates to the former communes and districts, so that series can be continued only where the lineage
allows it. The units file is generated data (scripts/gen_admin_units.py); this module is pure: it
loads and checks that file and answers questions about it, and never needs the dataset package.
"""

from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xltoolkit.errors import PlanError

Level = Literal["district", "commune"]
UnitKind = Literal["thành phố", "thị xã", "huyện", "xã", "phường", "thị trấn", "đặc khu"]
ContinuationKind = Literal["same", "part", "none"]

DEFAULT_UNITS_NAME = "units-tay-ninh-2025.toml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Predecessor(_Model):
    """One former unit a unit was formed from; `share` None = the part that went here is not known."""

    unit: str = Field(min_length=1)
    share: float | None = Field(None, gt=0, le=1)
    split: bool = False
    name: str = ""
    district: str | None = None
    distance_km: float | None = Field(None, ge=0)
    doubtful: bool = False

    @model_validator(mode="after")
    def _share_consistent(self) -> Predecessor:
        if self.split and self.share == 1:
            raise ValueError("đơn vị bị chia (split = true) thì share phải nhỏ hơn 1 hoặc bỏ trống")
        if not self.split and self.share is None:
            raise ValueError(
                "thiếu share: ghi share = 1.0 nếu nhập nguyên đơn vị, hoặc split = true nếu bị chia"
            )
        return self


class Unit(_Model):
    id: str = Field(min_length=1)
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: UnitKind
    level: Level
    province: str = ""
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    communes: int | None = Field(None, ge=0)
    partial: bool = False
    successors: int | None = Field(None, ge=0)
    area_km2: float | None = Field(None, gt=0)
    former_districts: tuple[str, ...] = ()
    mixed: bool = False
    from_: tuple[Predecessor, ...] = Field((), alias="from")

    @model_validator(mode="after")
    def _dates(self) -> Unit:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from sau valid_to")
        return self

    def in_force(self, on: date) -> bool:
        """Open ends mean 'since before the data' and 'still in force'."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


class UnitSource(_Model):
    package: str
    version: str
    new_province: str = ""
    former_province: str = ""
    new_units: int | None = None
    units_with_former_area: int | None = None


class UnitRegistry(_Model):
    source: UnitSource | None = None
    units: tuple[Unit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> UnitRegistry:
        _check_ids(self.units)
        by_id = {u.id: u for u in self.units}
        for i, u in enumerate(self.units):
            where = f"units[{i}] ({u.id})"
            if u.parent is not None:
                parent = by_id.get(u.parent)
                if parent is None or parent.level != "district":
                    raise ValueError(f"{where}.parent: không có huyện '{u.parent}' trong danh sách")
            for j, p in enumerate(u.from_):
                _check_predecessor(by_id, u, p, f"{where}.from[{j}]")
        _check_counts(self.units, self.source.former_province if self.source else "")
        _check_shares(self.units)
        _check_codes_in_force(self.units)
        return self

    @cached_property
    def by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    @cached_property
    def successors_of(self) -> dict[str, tuple[str, ...]]:
        """Former unit id -> ids of the units formed (wholly or partly) from it."""
        out: dict[str, list[str]] = defaultdict(list)
        for u in self.units:
            for p in u.from_:
                out[p.unit].append(u.id)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def children_of(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for u in self.units:
            if u.parent is not None:
                out[u.parent].append(u.id)
        return {k: tuple(v) for k, v in out.items()}

    def unit(self, key: str) -> Unit:
        if key in self.by_id:
            return self.by_id[key]
        raise PlanError("unknown-unit", f"Không có đơn vị hành chính '{key}' trong danh sách đơn vị.")


# ----------------------------------------------------------------------------------------- checks


def _check_ids(units: tuple[Unit, ...]) -> None:
    seen: dict[str, int] = {}
    for i, u in enumerate(units):
        if u.id in seen:
            raise ValueError(f"units[{i}].id: mã '{u.id}' trùng với units[{seen[u.id]}]")
        seen[u.id] = i


def _check_predecessor(by_id: dict[str, Unit], u: Unit, p: Predecessor, where: str) -> None:
    former = by_id.get(p.unit)
    if former is None:
        raise ValueError(f"{where}.unit: không có đơn vị '{p.unit}' trong danh sách")
    if former.id == u.id:
        raise ValueError(f"{where}.unit: đơn vị không thể hình thành từ chính nó")
    if u.valid_from is None or former.valid_to is None or former.valid_to >= u.valid_from:
        raise ValueError(
            f"{where}.unit: đơn vị cũ '{p.unit}' phải hết hiệu lực (valid_to) trước ngày "
            f"đơn vị mới có hiệu lực (valid_from)"
        )
    if p.district is not None and former.parent != p.district:
        raise ValueError(f"{where}.district: '{p.district}' khác huyện của '{p.unit}' ({former.parent})")


def _check_counts(units: tuple[Unit, ...], former_province: str) -> None:
    by_id = {u.id: u for u in units}
    children = Counter(u.parent for u in units if u.parent is not None)
    refs = Counter(p.unit for u in units for p in u.from_)
    for i, u in enumerate(units):
        where = f"units[{i}] ({u.id})"
        if u.communes is not None and not u.partial and children[u.id] != u.communes:
            raise ValueError(
                f"{where}.communes: ghi {u.communes} nhưng danh sách có {children[u.id]} xã, phường"
            )
        if u.successors is not None and refs[u.id] != u.successors:
            raise ValueError(
                f"{where}.successors: ghi {u.successors} nhưng có {refs[u.id]} đơn vị mới hình thành từ nó"
            )
        if u.former_districts:
            # `former_districts` names the districts of the source's former province only.
            actual = sorted(
                {
                    by_id[p.unit].parent or ""
                    for p in u.from_
                    if not former_province or by_id[p.unit].province == former_province
                }
            )
            if list(u.former_districts) != actual:
                raise ValueError(
                    f"{where}.former_districts: ghi {list(u.former_districts)}, theo nguồn gốc là {actual}"
                )


def _check_shares(units: tuple[Unit, ...]) -> None:
    total: dict[str, float] = defaultdict(float)
    whole: dict[str, int] = Counter()
    for u in units:
        for p in u.from_:
            if p.share is not None:
                total[p.unit] += p.share
            if not p.split:
                whole[p.unit] += 1
    for unit_id, s in sorted(total.items()):
        if s > 1 + 1e-9:
            raise ValueError(f"share: tổng tỷ lệ chia của đơn vị '{unit_id}' vượt 1 ({s:g})")
    for unit_id, n in sorted(whole.items()):
        if n > 1:
            raise ValueError(f"from: đơn vị '{unit_id}' được ghi là nhập nguyên vào {n} đơn vị mới")


def _check_codes_in_force(units: tuple[Unit, ...]) -> None:
    """Two units may share an official code only if they are never in force on the same day."""
    by_code: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        by_code[f"{u.level}:{u.code}"].append(u)
    for group in by_code.values():
        for a_i, a in enumerate(group):
            for b in group[a_i + 1 :]:
                if _overlap(a, b):
                    raise ValueError(
                        f"code: '{a.code}' dùng cho cả '{a.id}' và '{b.id}' trong cùng thời gian"
                    )


def _overlap(a: Unit, b: Unit) -> bool:
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    a_start = a.valid_from or date.min
    b_start = b.valid_from or date.min
    return a_start <= b_end and b_start <= a_end


# ----------------------------------------------------------------------------------------- loading


def default_units_path() -> Path:
    from xltoolkit.plan.model import default_plan_path

    return default_plan_path().with_name(DEFAULT_UNITS_NAME)


def _where(loc: tuple[str | int, ...], raw: dict[str, Any]) -> str:
    """A field path an officer can find: units[12] (27694-2025).from[3].share."""
    parts: list[str] = []
    node: Any = raw
    for p in loc:
        if isinstance(p, int):
            label = f"[{p}]"
            node = node[p] if isinstance(node, list) and p < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" ({node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + p)
            node = node.get(p) if isinstance(node, dict) else None
    return "".join(parts) or "(gốc)"


def parse_units(raw: dict[str, Any], origin: str = "danh sách đơn vị") -> UnitRegistry:
    try:
        return UnitRegistry.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors()[:20]:
            msg = str(err["msg"]).removeprefix("Value error, ")
            loc = tuple(err["loc"])
            lines.append(f"  - {_where(loc, raw)}: {msg}" if loc else f"  - {msg}")
        raise PlanError("units-invalid", f"Tệp {origin} không hợp lệ:\n" + "\n".join(lines)) from None


def load_units(path: str | Path | None = None) -> UnitRegistry:
    """Load and check a units file; a broken file raises PlanError naming the entry and field."""
    p = Path(path) if path else default_units_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError("units-not-found", f"Không tìm thấy tệp đơn vị hành chính: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError("units-unreadable", f"Không đọc được tệp đơn vị hành chính {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise PlanError("units-syntax", f"Tệp đơn vị hành chính {p} sai cú pháp TOML: {e}") from None
    return parse_units(raw, str(p))


# ----------------------------------------------------------------------------------------- queries


def in_force(reg: UnitRegistry, on: date, level: Level | None = None) -> tuple[Unit, ...]:
    """The units in force on a date (a year's reporting date: 15/12), optionally of one level."""
    return tuple(u for u in reg.units if u.in_force(on) and (level is None or u.level == level))


def former_districts(reg: UnitRegistry, unit_id: str, *, skip_doubtful: bool = False) -> tuple[str, ...]:
    """The former districts a unit was formed (wholly or partly) from, sorted by id.

    skip_doubtful leaves out lineage links the data marks doubtful (an error of the source dataset).
    """
    u = reg.unit(unit_id)
    out: set[str] = set()
    for p in u.from_:
        if skip_doubtful and p.doubtful:
            continue
        former = reg.by_id[p.unit]
        if former.level == "district":
            out.add(former.id)
        elif former.parent is not None:
            out.add(former.parent)
    return tuple(sorted(out))


def wholly_within(reg: UnitRegistry, unit_id: str) -> str | None:
    """The one former district a new commune lies inside, or None if it spans several (or none)."""
    districts = former_districts(reg, unit_id)
    return districts[0] if len(districts) == 1 else None


def district_successors(reg: UnitRegistry, district_id: str) -> tuple[str, ...]:
    """The new units that took over any part of a former district, sorted."""
    members = reg.children_of.get(district_id, ())
    out = {s for m in members for s in reg.successors_of.get(m, ())}
    out.update(reg.successors_of.get(district_id, ()))
    return tuple(sorted(out))


def district_rebuildable(reg: UnitRegistry, district_id: str) -> bool:
    """True when summing the new communes over the district gives exactly the district's area.

    That holds when the district's units all went somewhere listed and every commune that took any part
    of it lies wholly inside it: then no commune mixes this district with another.
    """
    d = reg.unit(district_id)
    if d.level != "district" or d.partial:
        return False
    members = reg.children_of.get(district_id, ())
    if not members or any(not reg.successors_of.get(m) for m in members):
        return False
    return all(wholly_within(reg, s) == district_id for s in district_successors(reg, district_id))


def district_rollup(reg: UnitRegistry, on: date) -> dict[str, tuple[str, ...]]:
    """Former district -> the communes in force on `on` whose sum shows that district exactly."""
    live = {u.id for u in in_force(reg, on, "commune")}
    out: dict[str, tuple[str, ...]] = {}
    for d in reg.units:
        if d.level == "district" and district_rebuildable(reg, d.id):
            succ = district_successors(reg, d.id)
            if succ and all(s in live for s in succ):
                out[d.id] = succ
    return out


def communes_per_district(reg: UnitRegistry) -> dict[str, int]:
    """Former district -> its number of communes/wards (complete districts only)."""
    return {
        u.id: len(reg.children_of.get(u.id, ())) for u in reg.units if u.level == "district" and not u.partial
    }


@dataclass(frozen=True)
class Continuation:
    """Whether a new commune's series can carry on a former district's 2021-2024 series, and why."""

    unit: str
    kind: ContinuationKind
    district: str | None
    reason: str

    def to_dict(self) -> dict[str, str | None]:
        return {"unit": self.unit, "kind": self.kind, "district": self.district, "reason": self.reason}


def continuation(reg: UnitRegistry, unit_id: str) -> Continuation:
    """'same': the commune is exactly one former district, its series continues that district's;
    'part': the commune lies inside a district that its communes rebuild exactly, so the district's
    series continues as their sum while the commune's own series starts on its valid_from;
    'none': no district series can be continued through this commune.
    """
    u = reg.unit(unit_id)
    start = u.valid_from.strftime("%d/%m/%Y") if u.valid_from else "khi thành lập"
    districts = former_districts(reg, unit_id)
    if not districts:
        return Continuation(
            u.id, "none", None, f"{u.name} không có nguồn gốc từ huyện nào; số liệu bắt đầu từ {start}."
        )
    if len(districts) > 1:
        names = ", ".join(reg.by_id[d].name for d in districts)
        why = f"{u.name} gồm phần đất của nhiều huyện cũ ({names}) nên không so sánh được với một huyện"
        return Continuation(u.id, "none", None, f"{why}; số liệu bắt đầu từ {start}.")
    d = reg.by_id[districts[0]]
    if not district_rebuildable(reg, d.id):
        why = (
            f"{d.name} không ghép lại được đúng từ các xã, phường mới (có xã, phường gồm phần đất huyện khác)"
        )
        return Continuation(u.id, "none", None, f"{why}; số liệu của {u.name} bắt đầu từ {start}.")
    if district_successors(reg, d.id) == (u.id,) and all(p.share == 1 for p in u.from_):
        return Continuation(
            u.id, "same", d.id, f"{u.name} trùng đúng địa bàn {d.name}; chuỗi số liệu nối tiếp."
        )
    return Continuation(
        u.id,
        "part",
        d.id,
        f"{u.name} nằm trọn trong {d.name}; số liệu {d.name} tiếp tục bằng tổng các xã, phường của huyện, "
        f"số liệu riêng của {u.name} bắt đầu từ {start}.",
    )
