"""The parts of a plan: agencies, measures, data elements, rules, editions and their settings.

Small frozen models with no knowledge of the whole plan, so the plan (model.py), the editions and the
units over time can all build on them without importing each other.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from xltoolkit.plan.expressions import ELEMENT_ID, Side, holds, parse_side

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
