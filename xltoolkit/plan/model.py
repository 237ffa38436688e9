"""The plan catalog: indicators, measures, targets, agencies and deadlines, loaded from a TOML file.

The plan is data so that another province, or a reorganised administration, needs a new file and no
new code. Everything downstream (templates, Excel data validation, pandera checks, target status)
reads these models; nothing else hard-codes an indicator.

This module holds the `Plan` class and is the import home of the whole model: the parts of a plan
live in entities.py, its whole-plan checks in consistency.py, its JSON shape in plan_json.py and the
file loading in loading.py, all re-exported here.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, model_validator

from xltoolkit.errors import PlanError
from xltoolkit.plan.consistency import check_elements, check_structure, labels_from_elements
from xltoolkit.plan.entities import (
    COMPARISON_LABELS,
    LOCAL_KINDS,
    MEASURE_CODE,
    NO_DEFINITION,
    UNIT_TYPE_PREFIXES,
    Agency,
    AgencyKind,
    Checks,
    Comparison,
    DataElement,
    DistrictDefaults,
    Edition,
    Goal,
    Indicator,
    Lineage,
    Measure,
    ReportInfo,
    RuleOperator,
    Severity,
    UnitSelector,
    ValidationRule,
    _Model,
)
from xltoolkit.plan.expressions import AGENCY_REFS
from xltoolkit.plan.loading import DEFAULT_PLAN_NAME, default_plan_path, load_plan
from xltoolkit.plan.plan_json import edition_dict, plan_dict

#: Kinds of administrative unit that open a unit's name («Thị xã Kiến Tường»), longest first.
UNIT_KINDS = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Xã")


def lower_unit_kind(name: str) -> str:
    """«Thị xã Kiến Tường» -> «thị xã Kiến Tường»: the kind in lower case, the proper name as is."""
    for kind in UNIT_KINDS:
        if name.startswith(kind + " "):
            return kind.lower() + name[len(kind) :]
    return name


__all__ = [
    "COMPARISON_LABELS",
    "DEFAULT_PLAN_NAME",
    "LOCAL_KINDS",
    "MEASURE_CODE",
    "NO_DEFINITION",
    "UNIT_TYPE_PREFIXES",
    "Agency",
    "AgencyKind",
    "Checks",
    "Comparison",
    "DataElement",
    "DistrictDefaults",
    "Edition",
    "Goal",
    "Indicator",
    "Lineage",
    "Measure",
    "Plan",
    "ReportInfo",
    "RuleOperator",
    "Severity",
    "UnitSelector",
    "ValidationRule",
    "default_plan_path",
    "load_plan",
]


class Plan(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(min_length=1)
    name: str = Field(min_length=1)
    province: str = Field(min_length=1)
    issuer: str = ""
    document: str = ""
    consolidator: str
    deadline: str = Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    period: tuple[int, int]
    review_years: tuple[int, ...] = ()
    checks: Checks = Checks()
    goals: tuple[Goal, ...] = ()
    agencies: tuple[Agency, ...] = Field(min_length=1)
    district: DistrictDefaults = DistrictDefaults()
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    data_elements: tuple[DataElement, ...] = ()
    validation_rules: tuple[ValidationRule, ...] = ()
    #: Data sources offered per measure: id -> Vietnamese label (no commas: Excel list items).
    sources: dict[str, str] = Field(default_factory=dict)
    report: ReportInfo = ReportInfo()
    #: The units file (next to the plan) the editions select their reporting units from.
    units_file: str | None = None
    editions: tuple[Edition, ...] = ()
    #: Set on the plan as in force in one year (`for_year`): that year and its edition.
    year: int | None = None
    edition: Edition | None = None

    _views: dict[int, Plan] = PrivateAttr(default_factory=dict)
    _base: Plan | None = PrivateAttr(None)
    _source: Path | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _report_of_first_edition(cls, data: Any) -> Any:
        """The plan without a year is the plan as written: its report is its first edition's."""
        if not isinstance(data, dict) or "report" in data or not data.get("editions"):
            return data
        first = data["editions"][0]
        if isinstance(first, dict) and first.get("report") is not None:
            return {**data, "report": first["report"]}
        return data

    @model_validator(mode="before")
    @classmethod
    def _labels_from_elements(cls, data: Any) -> Any:
        """Numerator/denominator labels are the elements' names, so every reader of labels keeps working.

        A plan without elements (an older file, a test) gets one implicit element per label, so the
        templates and the rule evaluator need no second code path.
        """
        if not isinstance(data, dict):
            return data
        return labels_from_elements(data)

    @model_validator(mode="after")
    def _elements_consistent(self) -> Plan:
        """Every element, source and rule reference resolves; messages name table, entry and field."""
        check_elements(self)
        return self

    @model_validator(mode="after")
    def _editions_consistent(self) -> Plan:
        from xltoolkit.plan.editions import check_editions

        check_editions(self)
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        check_structure(self)
        return self

    # ----------------------------------------------------------------- lookups

    @cached_property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for ind in self.indicators for m in ind.measures)

    @cached_property
    def measure_by_code(self) -> dict[str, Measure]:
        return {m.code: m for m in self.measures}

    @cached_property
    def indicator_of(self) -> dict[str, Indicator]:
        return {m.code: ind for ind in self.indicators for m in ind.measures}

    @cached_property
    def element_by_id(self) -> dict[str, DataElement]:
        return {e.id: e for e in self.data_elements}

    @cached_property
    def rules(self) -> tuple[ValidationRule, ...]:
        """The plan's own rules, then «numerator ≤ denominator» for each proportion (once per pair)."""
        seen = {(r.left_side.elements, r.operator, r.right_side.elements) for r in self.validation_rules}
        derived: list[ValidationRule] = []
        for m in self.measures:
            num, den = m.numerator_element, m.denominator_element
            if not (m.proportion and num and den) or num == den or ((num,), "<=", (den,)) in seen:
                continue
            seen.add(((num,), "<=", (den,)))
            message = f"Chỉ tiêu {m.code}: «{m.numerator}» không được lớn hơn «{m.denominator}»."
            derived.append(
                ValidationRule(
                    id=f"tu_mau_{m.code}",
                    left=num,
                    operator="<=",
                    right=den,
                    message=message[:200],
                    origin="measure",
                )
            )
        return (*self.validation_rules, *derived)

    @cached_property
    def rule_by_id(self) -> dict[str, ValidationRule]:
        return {r.id: r for r in self.rules}

    def elements_for(self, agency: Agency) -> tuple[DataElement, ...]:
        """Elements an agency reports, in the order its measures first use them."""
        order: dict[str, None] = {}
        for m in self.measures_for(agency):
            for ref in (m.numerator_element, m.denominator_element):
                if ref:
                    order.setdefault(ref)
        return tuple(self.element_by_id[i] for i in order)

    def rules_for(self, agency: Agency) -> tuple[ValidationRule, ...]:
        """Rules whose every element this agency reports (and whose agency figures it has)."""
        have = {e.id for e in self.elements_for(agency)}
        figures = self.agency_figures(agency)
        return tuple(
            r
            for r in self.rules
            if set(r.elements) <= have
            and all(
                figures.get(ref) is not None for ref in (*r.left_side.agency_refs, *r.right_side.agency_refs)
            )
        )

    def agency_figures(self, agency: Agency | None) -> dict[str, float | None]:
        """Administrative figures for rule sides such as 'agency.communes'.

        A district or commune has its own (a commune: 1, itself); a province-wide reporter (department)
        gets the total over the reporting units of the plan (or of the year's edition), when each has one.
        """
        out: dict[str, float | None] = {}
        for ref, attr in AGENCY_REFS.items():
            if agency is None:
                out[ref] = None
            elif agency.is_local:
                v = getattr(agency, attr)
                out[ref] = float(v) if v is not None else None
            else:
                parts = [getattr(d, attr) for d in self.districts]
                out[ref] = float(sum(parts)) if parts and all(p is not None for p in parts) else None
        return out

    def reporters_of(self, element_id: str) -> tuple[str, ...]:
        """Agency ids whose templates ask for this element (lead departments and all districts)."""
        return tuple(
            a.id
            for a in self.agencies
            if any(element_id in (m.numerator_element, m.denominator_element) for m in self.measures_for(a))
        )

    @cached_property
    def agency_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @property
    def districts(self) -> tuple[Agency, ...]:
        """The local reporting units: districts (2021-2024) or communes (a year view from 2025)."""
        return tuple(a for a in self.agencies if a.is_local)

    @property
    def units(self) -> tuple[Agency, ...]:
        return self.districts

    # ----------------------------------------------------------------- time

    @cached_property
    def all_agencies(self) -> tuple[Agency, ...]:
        """Every agency over the plan's life: as written, then those each edition adds."""
        return (*self.agencies, *(a for e in self.editions for a in e.agencies))

    @cached_property
    def all_editions(self) -> tuple[Edition, ...]:
        """The editions; a plan that states none has one, open-ended, as written."""
        return self.editions or (Edition(id="plan"),)

    def edition_at(self, on: date) -> Edition:
        for e in self.all_editions:
            if e.in_force(on):
                return e
        raise PlanError(
            "no-edition",
            f"Kế hoạch {self.id} không có phiên bản (editions) nào có hiệu lực ngày {on:%d/%m/%Y}.",
        )

    def edition_for(self, year: int) -> Edition:
        """The edition in force on the year's reporting date (the deadline, 15/12)."""
        if self.edition is not None and self.year == year:
            return self.edition
        return self.edition_at(self.deadline_for(year))

    def leads_of(self, edition: Edition) -> dict[int, str]:
        """Indicator number -> lead agency id under an edition."""
        return {ind.number: edition.leads.get(ind.number, ind.lead) for ind in self.indicators}

    def agencies_at(self, on: date) -> tuple[Agency, ...]:
        """Agencies of the plan file (not the units file's communes) in force on a date."""
        return tuple(a for a in self.all_agencies if a.in_force(on))

    def for_year(self, year: int) -> Plan:
        """The plan as in force in `year`: the same type, with that edition's agencies, reporting units,
        consolidator, province, issuer, report and leads. Computed once per year and cached.
        """
        if self._base is not None:
            return self if year == self.year else self._base.for_year(year)
        if year not in self._views:
            from xltoolkit.plan.editions import year_view

            view = year_view(self, year)
            view._base = self
            self._views[year] = view
        return self._views[year]

    def units_path(self) -> Path:
        """The units file: next to the plan file it was loaded from (else next to the bundled plan)."""
        base = self._base if self._base is not None else self
        folder = base._source.parent if base._source is not None else default_plan_path().parent
        return folder / (self.units_file or "")

    def place_of(self, agency: Agency) -> str:
        """The place on a document's date line (Nghị định 30/2020, Phụ lục I): a district or commune writes
        its own name without the unit type («Bến Lức», «Bình Hiệp»; a numbered one keeps it: «Phường 1»),
        provincial bodies the province."""
        if not agency.is_local:
            return self.province
        for prefix in UNIT_TYPE_PREFIXES:
            rest = agency.name.removeprefix(prefix)
            if rest != agency.name and rest.strip() and not rest.strip().isdigit():
                return rest.strip()
        return agency.name

    def scope_of(self, agency: Agency) -> str:
        """The area an agency's figures cover, as written in titles («trên địa bàn …»)."""
        if agency.is_local:
            return "trên địa bàn " + agency.name
        scope = self.edition.scope if self.edition is not None else ""
        return f"trên {scope}" if scope else "toàn tỉnh"

    def agency(self, key: str) -> Agency:
        """Find an agency by id or by official code (e.g. '794')."""
        if key in self.agency_by_id:
            return self.agency_by_id[key]
        for a in self.agencies:
            if a.code and a.code == key:
                return a
        if self._base is None:
            for a in self.all_agencies:  # the whole plan also knows agencies formed by its editions
                if a.id == key:
                    return a
        if self._base is not None and self.year is not None:
            try:
                former = self._base.agency(key)
            except PlanError:
                pass
            else:
                raise PlanError(
                    "agency-not-in-force",
                    f"{former.name} ('{key}') không còn hoặc chưa có hiệu lực vào năm {self.year} "
                    f"(phiên bản {self.edition.id if self.edition else ''} của kế hoạch).",
                )
        raise PlanError("unknown-agency", f"Không có cơ quan/đơn vị '{key}' trong kế hoạch {self.id}.")

    def measures_for(self, agency: Agency) -> tuple[Measure, ...]:
        """Measures an agency reports: districts and communes report all; departments those they lead."""
        if agency.is_local:
            return self.measures
        return tuple(m for ind in self.indicators if ind.lead == agency.id for m in ind.measures)

    def tasks_for(self, agency: Agency) -> tuple[str, ...]:
        if agency.is_local and not agency.tasks:
            return self.district.tasks
        return agency.tasks

    def body_name(self, agency: Agency) -> str:
        """The reporting body in running text ('UBND huyện Bến Lức', 'UBND xã Bình Hiệp', 'Sở Y tế').

        After «UBND» the kind of unit is a common noun, written in lower case as official documents
        write it; the unit's own name keeps its capitals.
        """
        if agency.is_local and self.district.body_prefix:
            return f"{self.district.body_prefix} {lower_unit_kind(agency.name)}"
        return agency.name

    def deadline_for(self, year: int) -> date:
        month, day = (int(x) for x in self.deadline.split("-"))
        return date(year, month, day)

    @cached_property
    def digest(self) -> str:
        """A short hash of the plan's content, recorded in templates to detect a changed plan."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    # ----------------------------------------------------------------- output

    def to_dict(self) -> dict[str, Any]:
        """The documented `plan show --json` shape (extra keys allowed by the contract)."""
        return plan_dict(self)

    def edition_dict(self, e: Edition) -> dict[str, Any]:
        return edition_dict(self, e)
