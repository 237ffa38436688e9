"""The plan catalog: indicators, measures, targets, agencies and deadlines, loaded from a TOML file.

The plan is data so that another province, or a reorganised administration, needs a new file and no
new code. Everything downstream (templates, Excel data validation, pandera checks, target status)
reads these models; nothing else hard-codes an indicator.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from xltoolkit.errors import PlanError
from xltoolkit.plan.expressions import AGENCY_REFS, ELEMENT_ID, Side, holds, parse_side
from xltoolkit.plan.messages import explain

Comparison = Literal["<", "<=", ">="]
RuleOperator = Literal["<", "<=", "==", ">=", ">"]
Severity = Literal["error", "warning"]

#: What the plan says where the seed text gives no definition of an element (none are invented).
NO_DEFINITION = "none in the plan text"
#: "district" (2021-2024) and "commune" (from 1/7/2025) are the local reporting units: they report
#: every measure for their own area; departments report the indicators they lead.
AgencyKind = Literal["department", "district", "commune", "other"]
LOCAL_KINDS: frozenset[str] = frozenset({"district", "commune"})

#: Unit types a place name drops on the date line (longest first: «Thành phố» before «Thị»).
UNIT_TYPE_PREFIXES: tuple[str, ...] = (
    "Thành phố ",
    "Thị trấn ",
    "Thị xã ",
    "Huyện ",
    "Quận ",
    "Phường ",
    "Xã ",
)

MEASURE_CODE = re.compile(r"^[0-9]{1,2}[a-z]?$")

#: Vietnamese wording of each comparison, as shown in templates and summaries.
COMPARISON_LABELS: dict[str, str] = {"<": "Dưới", "<=": "Không quá", ">=": "Đạt tối thiểu"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Checks(_Model):
    yoy_relative: float = Field(0.5, gt=0)
    yoy_absolute_floor: float = Field(2.0, ge=0)
    reconciliation_tolerance: float = Field(0.05, ge=0)


class Goal(_Model):
    number: int = Field(ge=1)
    name: str = Field(min_length=1)


class Lineage(_Model):
    """A body (or unit) this one was formed from; `share` None = only part of it, how much unknown."""

    unit: str = Field(min_length=1)
    share: float | None = Field(None, gt=0, le=1)


class Agency(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    kind: AgencyKind
    code: str | None = None
    short: str | None = None
    tasks: tuple[str, ...] = ()
    #: Administrative count (communes/wards) the unit's own figure must equal; see validation_rules.
    communes: int | None = Field(None, ge=1)
    #: Id of the unit in the units file (a district '794', a commune '27694-2025'): stable over time.
    unit: str | None = None
    #: In force from / until (inclusive); open ends: since the plan began, still in force.
    valid_from: date | None = None
    valid_to: date | None = None
    from_: tuple[Lineage, ...] = Field((), alias="from")

    @model_validator(mode="after")
    def _dates(self) -> Agency:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from: ngày bắt đầu sau ngày kết thúc (valid_to)")
        return self

    @property
    def label(self) -> str:
        return self.short or self.name

    @property
    def is_local(self) -> bool:
        """A district or commune: reports every measure for its own area."""
        return self.kind in LOCAL_KINDS

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


class Measure(_Model):
    code: str
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    scale: float = Field(gt=0)
    comparison: Comparison
    wording: str = ""
    targets: dict[int, float] = Field(default_factory=dict)
    standing_target: float | None = None
    numerator: str = Field(min_length=1)
    denominator: str | None = None
    proportion: bool = False
    plausible_max: float | None = Field(None, gt=0)
    numerator_element: str | None = None
    denominator_element: str | None = None
    #: Source ids (keys of Plan.sources) offered in the template's drop-down, besides «Khác».
    sources: tuple[str, ...] = ()
    #: Below this denominator a unit's rate is «số nhỏ»: shown, but given no verdict or rank.
    min_denominator: float | None = Field(None, ge=0)
    decimals: int | None = Field(None, ge=0, le=6)  # shown decimals; default: see plan/review.py

    @field_validator("code")
    @classmethod
    def _code_shape(cls, v: str) -> str:
        if not MEASURE_CODE.match(v):
            raise ValueError(f"mã chỉ tiêu '{v}' không đúng dạng (số 1-2 chữ số, có thể thêm một chữ cái)")
        return v

    @property
    def higher_is_better(self) -> bool:
        return self.comparison == ">="

    def target(self, year: int) -> float | None:
        """The target stated for exactly this year (None if the plan states none)."""
        return self.targets.get(year)

    def milestone(self, year: int) -> tuple[int | None, float | None]:
        """The milestone that judges a value for `year`.

        The next stated target at or after `year`; after the last stated target, that target stands.
        A standing target (stated without a year) applies when no dated target does.
        """
        dated = sorted(self.targets.items())
        for y, t in dated:
            if y >= year:
                return y, t
        if dated:
            return dated[-1]
        if self.standing_target is not None:
            return None, self.standing_target
        return None, None

    def meets(self, value: float, target: float) -> bool:
        if self.comparison == "<":
            return value < target
        if self.comparison == "<=":
            return value <= target
        return value >= target


class DataElement(_Model):
    """What is counted, entered once per report; measures are ratios over elements (as in DHIS2)."""

    id: str = Field(pattern=ELEMENT_ID.pattern)
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    integer: bool = True
    definition: str | None = None
    definition_source: str = NO_DEFINITION

    @model_validator(mode="after")
    def _sourced(self) -> DataElement:
        if self.definition and self.definition_source == NO_DEFINITION:
            raise ValueError("definition_source: phải ghi nguồn của định nghĩa")
        if not self.definition and self.definition_source != NO_DEFINITION:
            raise ValueError(f"definition_source: không có định nghĩa thì ghi '{NO_DEFINITION}'")
        return self


class ValidationRule(_Model):
    """left <operator> right over element values; checked only when every value it names is known."""

    id: str = Field(pattern=ELEMENT_ID.pattern, max_length=60)
    left: str | float
    operator: RuleOperator
    right: str | float
    severity: Severity = "error"
    message: str = Field(min_length=1, max_length=200)
    origin: Literal["plan", "measure"] = "plan"

    @field_validator("left", "right")
    @classmethod
    def _side_shape(cls, v: str | float) -> str | float:
        parse_side(v)
        return v

    @cached_property
    def left_side(self) -> Side:
        return parse_side(self.left)

    @cached_property
    def right_side(self) -> Side:
        return parse_side(self.right)

    def holds(self, left: float, right: float) -> bool:
        return holds(left, self.operator, right)

    @cached_property
    def elements(self) -> tuple[str, ...]:
        """Element ids named on either side, in order, without repeats."""
        return tuple(dict.fromkeys((*self.left_side.elements, *self.right_side.elements)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "left": self.left_side.text(),
            "operator": self.operator,
            "right": self.right_side.text(),
            "severity": self.severity,
            "message": self.message,
            "elements": list(self.elements),
            "origin": self.origin,
        }


class Indicator(_Model):
    number: int = Field(ge=1)
    goal: int | None = None
    name: str = Field(min_length=1)
    text: str = ""
    lead: str
    measures: tuple[Measure, ...] = Field(min_length=1)


class DistrictDefaults(_Model):
    body_prefix: str = "UBND"
    tasks: tuple[str, ...] = ()


class ReportInfo(_Model):
    """The consolidator's report document (Nghị định 30/2020/NĐ-CP): who issues it, to whom."""

    place: str = ""  # the date line's place name; default: the province
    parent_body: str = ""  # cơ quan chủ quản, above the issuing body
    symbol: str = ""  # after «/BC-» in the document number
    recipients: tuple[str, ...] = ()  # «Kính gửi»
    distribution: tuple[str, ...] = ("Như trên;", "Lưu: VT.")  # «Nơi nhận»
    signer_authority: str = ""  # e.g. «KT. GIÁM ĐỐC»
    signer_title: str = ""  # e.g. «PHÓ GIÁM ĐỐC»
    signer_name: str = ""


class UnitSelector(_Model):
    """Which units of the units file report in an edition (they are not copied into the plan)."""

    level: Literal["district", "commune"] = "commune"
    province: str = Field(min_length=1)  # the units file's province of the units, e.g. «Tỉnh Tây Ninh»
    #: Keep only units formed (wholly or partly) from a unit of this former province.
    contains_former: str = ""
    #: Unit ids left out on purpose (each with a comment in the plan file saying why).
    exclude: tuple[str, ...] = ()


class Edition(_Model):
    """What the plan looks like over one stretch of time: who reports, who consolidates, to whom.

    The indicators and targets do not change between editions; an unset field means «as the plan is
    written» (the top-level value). The edition of a reporting year is the one in force on that year's
    deadline (15/12).
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    valid_from: date | None = None
    valid_to: date | None = None
    province: str | None = None
    issuer: str | None = None
    consolidator: str | None = None
    #: Area the province-wide reporters report on («toàn tỉnh» when empty).
    scope: str = ""
    note: str = ""
    #: Reporting units taken from the units file; None: the plan's own district agencies in force.
    units: UnitSelector | None = None
    #: Tasks and body prefix of the local reporting units in this edition.
    district: DistrictDefaults | None = None
    #: Indicator number -> lead agency id, where it differs from the plan as written.
    leads: dict[int, str] = Field(default_factory=dict)
    #: Indicator number -> why that lead (an assumption the officer may check and edit).
    lead_notes: dict[int, str] = Field(default_factory=dict)
    #: Agencies that begin in this edition (their own valid_from/valid_to still apply).
    agencies: tuple[Agency, ...] = ()
    #: Extra lines of the guide sheet for the local units of this edition.
    guide: tuple[str, ...] = ()
    #: Words replaced in measure, element and rule texts for this edition (e.g. no more «thị trấn»).
    rename: dict[str, str] = Field(default_factory=dict)
    report: ReportInfo | None = None

    @model_validator(mode="after")
    def _dates(self) -> Edition:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from: ngày bắt đầu sau ngày kết thúc (valid_to)")
        return self

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


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
        data = dict(data)
        elements = [dict(e) for e in data.get("data_elements") or [] if isinstance(e, dict)]
        names = {e.get("id"): e.get("name") for e in elements}
        indicators = []
        for ind in data.get("indicators") or []:
            if not isinstance(ind, dict):
                indicators.append(ind)
                continue
            ind = dict(ind)
            measures = []
            for m in ind.get("measures") or []:
                if isinstance(m, dict):
                    m = dict(m)
                    for part in ("numerator", "denominator"):
                        key = f"{part}_element"
                        if m.get(key) is not None and not m.get(part):
                            m[part] = names.get(m[key]) or str(m[key])
                        elif m.get(key) is None and m.get(part) and isinstance(m.get("code"), str):
                            implicit = f"m{m['code']}_{'tu' if part == 'numerator' else 'mau'}"
                            m[key] = implicit
                            if implicit not in names:
                                names[implicit] = m[part]
                                elements.append({"id": implicit, "name": m[part], "unit": "đơn vị"})
                measures.append(m)
            ind["measures"] = measures
            indicators.append(ind)
        data["indicators"] = indicators
        if elements or "data_elements" in data:
            data["data_elements"] = elements
        return data

    @model_validator(mode="after")
    def _elements_consistent(self) -> Plan:
        """Every element, source and rule reference resolves; messages name table, entry and field."""
        ids = [e.id for e in self.data_elements]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"data_elements: mã số liệu bị trùng: {', '.join(dup)}")
        known, used = set(ids), set()
        for m in self.measures:
            where = f"indicators[{self.indicator_of[m.code].number}].measures[{m.code}]"
            for key, ref in (
                ("numerator_element", m.numerator_element),
                ("denominator_element", m.denominator_element),
            ):
                if ref is not None and ref not in known:
                    raise ValueError(f"{where}.{key}: mã số liệu '{ref}' không có trong data_elements")
                used.add(ref)
            if m.proportion and m.denominator_element is None:
                raise ValueError(f"{where}.denominator_element: tỷ lệ (proportion) phải có mẫu số")
            for src in m.sources:
                if src not in self.sources:
                    raise ValueError(f"{where}.sources: nguồn '{src}' không có trong bảng sources")
        unused = sorted(known - used)
        if unused:
            raise ValueError(f"data_elements: số liệu không thuộc chỉ tiêu nào: {', '.join(unused)}")
        for label in self.sources.values():
            if "," in label or not label.strip():
                raise ValueError(
                    f"sources: '{label}' không được trống hoặc chứa dấu phẩy (danh sách chọn của Excel)"
                )
        rule_ids = [r.id for r in self.validation_rules]
        dup = sorted({i for i in rule_ids if rule_ids.count(i) > 1})
        if dup:
            raise ValueError(f"validation_rules: mã quy tắc bị trùng: {', '.join(dup)}")
        has_communes = any(a.communes for a in self.agencies)
        for r in self.validation_rules:
            for side_name, side in (("left", r.left_side), ("right", r.right_side)):
                for e in side.elements:
                    if e not in known:
                        raise ValueError(
                            f"validation_rules[{r.id}].{side_name}: "
                            f"mã số liệu '{e}' không có trong data_elements"
                        )
                if side.agency_refs and not has_communes:
                    raise ValueError(
                        f"validation_rules[{r.id}].{side_name}: chưa có số xã (communes) của đơn vị nào"
                    )
            if not r.elements:
                raise ValueError(f"validation_rules[{r.id}]: quy tắc phải có ít nhất một mã số liệu")
        return self

    @model_validator(mode="after")
    def _editions_consistent(self) -> Plan:
        from xltoolkit.plan.editions import check_editions

        check_editions(self)
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        ids = [a.id for a in self.agencies]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"agencies: mã cơ quan bị trùng: {', '.join(sorted(dup))}")
        codes = [a.code for a in self.agencies if a.code]
        if len(codes) != len(set(codes)):
            raise ValueError("agencies: mã đơn vị hành chính (code) bị trùng")
        if self.consolidator not in ids:
            raise ValueError(f"consolidator: '{self.consolidator}' không có trong danh sách agencies")
        numbers = [i.number for i in self.indicators]
        if len(numbers) != len(set(numbers)):
            raise ValueError("indicators: số thứ tự chỉ tiêu bị trùng")
        goal_numbers = {g.number for g in self.goals}
        mcodes: list[str] = []
        for ind in self.indicators:
            if ind.lead not in ids:
                raise ValueError(f"indicators[{ind.number}].lead: '{ind.lead}' không có trong agencies")
            if goal_numbers and ind.goal is not None and ind.goal not in goal_numbers:
                raise ValueError(f"indicators[{ind.number}].goal: mục tiêu {ind.goal} không tồn tại")
            for m in ind.measures:
                if not m.code.rstrip("abcdefghijklmnopqrstuvwxyz") == str(ind.number):
                    raise ValueError(
                        f"indicators[{ind.number}].measures[{m.code}].code: phải bắt đầu bằng số chỉ tiêu"
                    )
                lo, hi = self.period
                for y in m.targets:
                    if not lo <= y <= hi:
                        raise ValueError(
                            f"indicators[{ind.number}].measures[{m.code}].targets: năm {y} ngoài giai đoạn"
                        )
                mcodes.append(m.code)
        if len(mcodes) != len(set(mcodes)):
            raise ValueError("indicators: mã chỉ tiêu đo lường (measure code) bị trùng")
        if self.period[0] > self.period[1]:
            raise ValueError("period: năm bắt đầu lớn hơn năm kết thúc")
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
        """The reporting body as printed on documents ('UBND Huyện Bến Lức', 'Sở Y tế')."""
        if agency.is_local and self.district.body_prefix:
            return f"{self.district.body_prefix} {agency.name}"
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
        return {
            "plan": self.id,
            "name": self.name,
            "version": self.version,
            "province": self.province,
            "deadline": self.deadline,
            "period": list(self.period),
            "review_years": list(self.review_years),
            "consolidator": self.consolidator,
            "consolidator_name": self.agency_by_id[self.consolidator].name,
            "agencies": [
                {
                    "id": a.id,
                    "name": a.name,
                    "kind": a.kind,
                    "code": a.code,
                    "communes": a.communes,
                    "tasks": list(self.tasks_for(a)),
                    "unit": a.unit,
                    "valid_from": _iso(a.valid_from),
                    "valid_to": _iso(a.valid_to),
                    "from": [{"unit": p.unit, "share": p.share} for p in a.from_],
                }
                for a in self.agencies
            ],
            "indicators": [
                {
                    "number": ind.number,
                    "goal": ind.goal,
                    "name": ind.name,
                    "text": ind.text,
                    "lead": ind.lead,
                    "measures": [
                        {
                            "code": m.code,
                            "name": m.name,
                            "unit": m.unit,
                            "scale": m.scale,
                            "comparison": m.comparison,
                            "target_2025": m.target(2025),
                            "target_2030": m.target(2030),
                            "targets": {str(y): t for y, t in sorted(m.targets.items())},
                            "standing_target": m.standing_target,
                            "wording": m.wording,
                            "numerator": m.numerator,
                            "denominator": m.denominator,
                            "proportion": m.proportion,
                            "plausible_max": m.plausible_max,
                            "numerator_element": m.numerator_element,
                            "denominator_element": m.denominator_element,
                            "sources": [self.sources[s] for s in m.sources],
                            "min_denominator": m.min_denominator,
                        }
                        for m in ind.measures
                    ],
                }
                for ind in self.indicators
            ],
            "data_elements": [self._element_dict(e) for e in self.data_elements],
            "validation_rules": [r.to_dict() for r in self.rules],
            **self._time_dict(),
        }

    def _time_dict(self) -> dict[str, Any]:
        """Editions (whole plan) or the edition, its reporting units and leads (a year's plan)."""
        if self.edition is None:
            return {
                "units_file": self.units_file,
                "editions": [self.edition_dict(e) for e in self.all_editions],
            }
        return {
            "year": self.year,
            "edition": self.edition_dict(self.edition),
            "units": [
                {"id": a.id, "code": a.code, "name": a.name, "kind": a.kind, "unit": a.unit}
                for a in self.districts
            ],
            "departments": [a.id for a in self.agencies if not a.is_local],
        }

    def edition_dict(self, e: Edition) -> dict[str, Any]:
        report = e.report or self.report
        return {
            "id": e.id,
            "valid_from": _iso(e.valid_from),
            "valid_to": _iso(e.valid_to),
            "province": e.province or self.province,
            "issuer": e.issuer or self.issuer,
            "consolidator": e.consolidator or self.consolidator,
            "recipients": list(report.recipients),
            "scope": e.scope,
            "note": e.note,
            "units": e.units.model_dump() if e.units else None,
            "leads": {str(n): a for n, a in self.leads_of(e).items()},
            "lead_notes": {str(n): t for n, t in sorted(e.lead_notes.items())},
        }

    def _element_dict(self, e: DataElement) -> dict[str, Any]:
        return {
            "id": e.id,
            "name": e.name,
            "unit": e.unit,
            "integer": e.integer,
            "definition": e.definition,
            "definition_source": e.definition_source,
            "measures": [
                m.code for m in self.measures if e.id in (m.numerator_element, m.denominator_element)
            ],
            "reported_by": list(self.reporters_of(e.id)),
        }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


DEFAULT_PLAN_NAME = "plan-long-an-2021-2030.toml"


def default_plan_path() -> Path:
    """The bundled plan: inside the installed package, or the repository's schemas/ folder."""
    packaged = resources.files("xltoolkit") / "schemas" / DEFAULT_PLAN_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / DEFAULT_PLAN_NAME


def load_plan(path: str | Path | None = None) -> Plan:
    """Load and validate a plan file; a broken file raises PlanError naming the field."""
    p = Path(path) if path else default_plan_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError("plan-not-found", f"Không tìm thấy tệp kế hoạch: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError("plan-unreadable", f"Không đọc được tệp kế hoạch {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise PlanError("plan-syntax", f"Tệp kế hoạch {p} sai cú pháp TOML: {e}") from None
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as e:
        lines = [f"  - {line}" for line in explain(e.errors(), raw)]
        raise PlanError("plan-invalid", f"Tệp kế hoạch {p} không hợp lệ:\n" + "\n".join(lines)) from None
    plan._source = p.resolve()
    return plan
