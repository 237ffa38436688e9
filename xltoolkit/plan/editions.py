"""Editions of the plan over time, and the plan as in force in one year.

The plan of 2021 outlived the administration it was written for: on 1/3/2025 children's affairs moved
from the labour sector to the health sector, and on 1/7/2025 Long An merged into Tây Ninh, whose communes
now report directly. The indicators and targets did not change; who reports, who consolidates and to
whom did. Every stage keeps working on one `Plan`: `plan.for_year(year)` builds, from the edition in
force on that year's deadline, a Plan whose agencies, reporting units, leads and report are that
edition's, so a caller switches editions with one line at its entry point.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from xltoolkit.errors import PlanError
from xltoolkit.plan.units import UnitRegistry, in_force, load_units

if TYPE_CHECKING:
    from xltoolkit.plan.model import Agency, Edition, Plan, UnitSelector


# ------------------------------------------------------------------------------------- checks


def _range(e: Edition) -> str:
    start = f"{e.valid_from:%d/%m/%Y}" if e.valid_from else "đầu kế hoạch"
    end = f"{e.valid_to:%d/%m/%Y}" if e.valid_to else "nay"
    return f"{start} - {end}"


def _covers(a: Agency, e: Edition) -> bool:
    """True when the agency is in force on every day the edition is."""
    starts = a.valid_from is None or (e.valid_from is not None and a.valid_from <= e.valid_from)
    ends = a.valid_to is None or (e.valid_to is not None and e.valid_to <= a.valid_to)
    return starts and ends


def check_editions(plan: Plan) -> None:
    """Editions follow one another without overlap; every agency they name exists and is in force
    for the whole edition. Raises ValueError (a plan-file error naming the edition and field)."""
    ids = [a.id for a in plan.all_agencies]
    dup = sorted({i for i, n in Counter(ids).items() if n > 1})
    if dup:
        raise ValueError(f"agencies: mã cơ quan bị trùng (kể cả trong editions): {', '.join(dup)}")
    by_id = {a.id: a for a in plan.all_agencies}
    numbers = {ind.number for ind in plan.indicators}
    seen: set[str] = set()
    previous: Edition | None = None
    for i, e in enumerate(plan.editions):
        where = f"editions[{i}] ({e.id})"
        if e.id in seen:
            raise ValueError(f"{where}.id: mã phiên bản bị trùng")
        seen.add(e.id)
        if previous is not None and (
            previous.valid_to is None or e.valid_from is None or e.valid_from <= previous.valid_to
        ):
            raise ValueError(
                f"{where}.valid_from: phải sau ngày kết thúc của phiên bản trước ({previous.id}); "
                "các phiên bản không được chồng lên nhau"
            )
        previous = e
        if e.units is not None and not plan.units_file:
            raise ValueError(f"{where}.units: cần khai báo units_file (tệp đơn vị hành chính)")
        named = [("consolidator", e.consolidator or plan.consolidator)]
        named += [(f"leads.{n}", agency_id) for n, agency_id in sorted(plan.leads_of(e).items())]
        for n in e.leads:
            if n not in numbers:
                raise ValueError(f"{where}.leads.{n}: không có chỉ tiêu số {n}")
        for field, agency_id in named:
            agency = by_id.get(agency_id)
            if agency is None:
                raise ValueError(f"{where}.{field}: '{agency_id}' không có trong agencies")
            if not _covers(agency, e):
                raise ValueError(
                    f"{where}.{field}: '{agency_id}' không có hiệu lực suốt phiên bản ({_range(e)})"
                )


# ------------------------------------------------------------------------------------- view


def _registry(plan: Plan) -> UnitRegistry:
    path = plan.units_path()
    cached = _REGISTRIES.get(path)
    if cached is None:
        cached = _REGISTRIES[path] = load_units(path)
    return cached


_REGISTRIES: dict[Any, UnitRegistry] = {}


def unit_registry(plan: Plan) -> UnitRegistry:
    """The plan's administrative units over time (loaded once per file): lineage for callers that
    follow a unit across the change (the sample, the summary's former-district view)."""
    return _registry(plan)


def _selected_units(plan: Plan, e: Edition, sel: UnitSelector, on: date) -> list[dict[str, Any]]:
    """The units the edition's selector picks on a date, as agency entries (communes count 1 each)."""
    reg = _registry(plan)
    for unit_id in sel.exclude:
        if unit_id not in reg.by_id:
            raise PlanError(
                "plan-invalid",
                f"Phiên bản {e.id}: units.exclude có mã '{unit_id}' không có trong tệp {plan.units_file}.",
            )
    out: list[dict[str, Any]] = []
    for u in in_force(reg, on, sel.level):
        if u.province != sel.province or u.id in sel.exclude:
            continue
        if sel.contains_former and not any(
            reg.by_id[p.unit].province == sel.contains_former for p in u.from_
        ):
            continue
        out.append(
            {
                "id": u.id,
                "name": u.name,
                "kind": "commune" if sel.level == "commune" else "district",
                "code": u.code,
                "unit": u.id,
                "communes": 1 if sel.level == "commune" else u.communes,
                "valid_from": u.valid_from,
                "valid_to": u.valid_to,
                "from": [{"unit": p.unit, "share": p.share} for p in u.from_],
            }
        )
    if not out:
        raise PlanError("plan-invalid", f"Phiên bản {e.id}: bộ chọn units không chọn được đơn vị nào.")
    return out


def _renamed(value: Any, rename: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in rename.items():
            value = value.replace(old, new)
    return value


def _apply_rename(data: dict[str, Any], rename: dict[str, str]) -> None:
    """Words of the time (no «thị trấn» after 2025) in labels; the seed's own text stays as quoted."""
    if not rename:
        return
    for ind in data["indicators"]:
        ind["name"] = _renamed(ind["name"], rename)
        for m in ind["measures"]:
            for key in ("name", "numerator", "denominator"):
                m[key] = _renamed(m[key], rename)
    for el in data["data_elements"]:
        for key in ("name", "unit"):
            el[key] = _renamed(el[key], rename)
    for rule in data["validation_rules"]:
        rule["message"] = _renamed(rule["message"], rename)


def year_view(plan: Plan, year: int) -> Plan:
    """The plan as in force on `year`'s deadline (see Plan.for_year, which caches this)."""
    from xltoolkit.plan.model import Plan as PlanModel

    e = plan.edition_for(year)
    on = plan.deadline_for(year)
    agencies = [a.model_dump(by_alias=True) for a in plan.agencies_at(on)]
    if e.units is not None:
        agencies = [a for a in agencies if a["kind"] not in ("district", "commune")]
        agencies += _selected_units(plan, e, e.units, on)
    if not agencies:
        raise PlanError(
            "no-agencies-in-year",
            f"Kế hoạch {plan.id} không có cơ quan, đơn vị báo cáo nào có hiệu lực ngày {on:%d/%m/%Y} "
            f"(năm {year}, phiên bản {e.id}).",
        )
    leads = plan.leads_of(e)
    data = plan.model_dump(by_alias=True, exclude={"editions", "agencies", "year", "edition", "units_file"})
    for ind in data["indicators"]:
        ind["lead"] = leads[ind["number"]]
    _apply_rename(data, e.rename)
    data.update(
        agencies=agencies,
        province=e.province or plan.province,
        issuer=e.issuer or plan.issuer,
        consolidator=e.consolidator or plan.consolidator,
        year=year,
        edition=e.model_dump(by_alias=True, exclude={"agencies"}),
    )
    if e.district is not None:
        data["district"] = e.district.model_dump()
    if e.report is not None:
        data["report"] = e.report.model_dump()
    return PlanModel.model_validate(data)
