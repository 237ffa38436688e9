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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from xltoolkit.errors import PlanError
from xltoolkit.plan.messages import explain

Comparison = Literal["<", "<=", ">="]
AgencyKind = Literal["department", "district", "other"]

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


class Agency(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    kind: AgencyKind
    code: str | None = None
    short: str | None = None
    tasks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.short or self.name


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
    report: ReportInfo = ReportInfo()

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
    def agency_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @property
    def districts(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.agencies if a.kind == "district")

    def agency(self, key: str) -> Agency:
        """Find an agency by id or by official code (e.g. '794')."""
        if key in self.agency_by_id:
            return self.agency_by_id[key]
        for a in self.agencies:
            if a.code and a.code == key:
                return a
        raise PlanError("unknown-agency", f"Không có cơ quan/đơn vị '{key}' trong kế hoạch {self.id}.")

    def measures_for(self, agency: Agency) -> tuple[Measure, ...]:
        """Measures an agency reports: districts report all; departments those they lead."""
        if agency.kind == "district":
            return self.measures
        return tuple(m for ind in self.indicators if ind.lead == agency.id for m in ind.measures)

    def tasks_for(self, agency: Agency) -> tuple[str, ...]:
        if agency.kind == "district" and not agency.tasks:
            return self.district.tasks
        return agency.tasks

    def body_name(self, agency: Agency) -> str:
        """The reporting body as printed on documents ('UBND Huyện Bến Lức', 'Sở Y tế')."""
        if agency.kind == "district" and self.district.body_prefix:
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
            "agencies": [
                {
                    "id": a.id,
                    "name": a.name,
                    "kind": a.kind,
                    "code": a.code,
                    "tasks": list(self.tasks_for(a)),
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
                        }
                        for m in ind.measures
                    ],
                }
                for ind in self.indicators
            ],
        }


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
        return Plan.model_validate(raw)
    except ValidationError as e:
        lines = [f"  - {line}" for line in explain(e.errors(), raw)]
        raise PlanError("plan-invalid", f"Tệp kế hoạch {p} không hợp lệ:\n" + "\n".join(lines)) from None
