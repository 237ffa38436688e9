"""The documented `plan show --json` shape of a plan, of its editions and of a year's plan.

Apart from the Plan class because it is a contract with scripts and the add-in (extra keys allowed),
not a lookup: it changes when the contract does, not when the model does.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xltoolkit.plan.entities import Agency, DataElement, Edition, Indicator, Measure
    from xltoolkit.plan.model import Plan


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The documented `plan show --json` shape (extra keys allowed by the contract)."""
    return {
        "plan": plan.id,
        "name": plan.name,
        "version": plan.version,
        "province": plan.province,
        "deadline": plan.deadline,
        "period": list(plan.period),
        "review_years": list(plan.review_years),
        "consolidator": plan.consolidator,
        "consolidator_name": plan.agency_by_id[plan.consolidator].name,
        "agencies": [_agency_dict(plan, a) for a in plan.agencies],
        "indicators": [_indicator_dict(plan, ind) for ind in plan.indicators],
        "data_elements": [_element_dict(plan, e) for e in plan.data_elements],
        "validation_rules": [r.to_dict() for r in plan.rules],
        **_time_dict(plan),
    }


def _agency_dict(plan: Plan, a: Agency) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "kind": a.kind,
        "code": a.code,
        "communes": a.communes,
        "tasks": list(plan.tasks_for(a)),
        "unit": a.unit,
        "valid_from": _iso(a.valid_from),
        "valid_to": _iso(a.valid_to),
        "from": [{"unit": p.unit, "share": p.share} for p in a.from_],
    }


def _indicator_dict(plan: Plan, ind: Indicator) -> dict[str, Any]:
    return {
        "number": ind.number,
        "goal": ind.goal,
        "name": ind.name,
        "text": ind.text,
        "lead": ind.lead,
        "measures": [_measure_dict(plan, m) for m in ind.measures],
    }


def _measure_dict(plan: Plan, m: Measure) -> dict[str, Any]:
    return {
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
        "sources": [plan.sources[s] for s in m.sources],
        "min_denominator": m.min_denominator,
    }


def _time_dict(plan: Plan) -> dict[str, Any]:
    """Editions (whole plan) or the edition, its reporting units and leads (a year's plan)."""
    if plan.edition is None:
        return {
            "units_file": plan.units_file,
            "editions": [edition_dict(plan, e) for e in plan.all_editions],
        }
    return {
        "year": plan.year,
        "edition": edition_dict(plan, plan.edition),
        "units": [
            {"id": a.id, "code": a.code, "name": a.name, "kind": a.kind, "unit": a.unit}
            for a in plan.districts
        ],
        "departments": [a.id for a in plan.agencies if not a.is_local],
    }


def edition_dict(plan: Plan, e: Edition) -> dict[str, Any]:
    report = e.report or plan.report
    return {
        "id": e.id,
        "valid_from": _iso(e.valid_from),
        "valid_to": _iso(e.valid_to),
        "province": e.province or plan.province,
        "issuer": e.issuer or plan.issuer,
        "consolidator": e.consolidator or plan.consolidator,
        "recipients": list(report.recipients),
        "scope": e.scope,
        "note": e.note,
        "units": e.units.model_dump() if e.units else None,
        "leads": {str(n): a for n, a in plan.leads_of(e).items()},
        "lead_notes": {str(n): t for n, t in sorted(e.lead_notes.items())},
    }


def _element_dict(plan: Plan, e: DataElement) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "unit": e.unit,
        "integer": e.integer,
        "definition": e.definition,
        "definition_source": e.definition_source,
        "measures": [m.code for m in plan.measures if e.id in (m.numerator_element, m.denominator_element)],
        "reported_by": list(plan.reporters_of(e.id)),
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
