"""The whole-plan checks behind Plan's validators: every reference in the plan file resolves.

Kept apart from the Plan class so the class reads as lookups over a valid plan; the messages name the
table, entry and field so plan/messages.py can turn them into lines an officer can find in the file.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xltoolkit.plan.model import Plan


def labels_from_elements(data: dict[str, Any]) -> dict[str, Any]:
    """Numerator/denominator labels are the elements' names, so every reader of labels keeps working.

    A plan without elements (an older file, a test) gets one implicit element per label, so the
    templates and the rule evaluator need no second code path.
    """
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
                m = _measure_labels(dict(m), names, elements)
            measures.append(m)
        ind["measures"] = measures
        indicators.append(ind)
    data["indicators"] = indicators
    if elements or "data_elements" in data:
        data["data_elements"] = elements
    return data


def _measure_labels(
    m: dict[str, Any], names: dict[Any, Any], elements: list[dict[str, Any]]
) -> dict[str, Any]:
    """One measure's labels from its elements, or its implicit elements from its labels (added to both)."""
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
    return m


def check_elements(plan: Plan) -> None:
    """Every element, source and rule reference resolves; messages name table, entry and field."""
    ids = [e.id for e in plan.data_elements]
    dup = sorted({i for i, n in Counter(ids).items() if n > 1})
    if dup:
        raise ValueError(f"data_elements: mã số liệu bị trùng: {', '.join(dup)}")
    known, used = set(ids), set()
    for m in plan.measures:
        where = f"indicators[{plan.indicator_of[m.code].number}].measures[{m.code}]"
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
            if src not in plan.sources:
                raise ValueError(f"{where}.sources: nguồn '{src}' không có trong bảng sources")
    unused = sorted(known - used)
    if unused:
        raise ValueError(f"data_elements: số liệu không thuộc chỉ tiêu nào: {', '.join(unused)}")
    for label in plan.sources.values():
        if "," in label or not label.strip():
            raise ValueError(
                f"sources: '{label}' không được trống hoặc chứa dấu phẩy (danh sách chọn của Excel)"
            )
    _check_rules(plan, known)


def _check_rules(plan: Plan, known: set[str]) -> None:
    """The plan's own rules: unique ids, known elements, agency figures only where some unit has them."""
    rule_ids = [r.id for r in plan.validation_rules]
    dup = sorted({i for i, n in Counter(rule_ids).items() if n > 1})
    if dup:
        raise ValueError(f"validation_rules: mã quy tắc bị trùng: {', '.join(dup)}")
    has_communes = any(a.communes for a in plan.agencies)
    for r in plan.validation_rules:
        for side_name, side in (("left", r.left_side), ("right", r.right_side)):
            for e in side.elements:
                if e not in known:
                    raise ValueError(
                        f"validation_rules[{r.id}].{side_name}: mã số liệu '{e}' không có trong data_elements"
                    )
            if side.agency_refs and not has_communes:
                raise ValueError(
                    f"validation_rules[{r.id}].{side_name}: chưa có số xã (communes) của đơn vị nào"
                )
        if not r.elements:
            raise ValueError(f"validation_rules[{r.id}]: quy tắc phải có ít nhất một mã số liệu")


def check_structure(plan: Plan) -> None:
    """Agencies, indicators, goals, measure codes and target years agree with each other and the period."""
    ids = [a.id for a in plan.agencies]
    dup = {i for i, n in Counter(ids).items() if n > 1}
    if dup:
        raise ValueError(f"agencies: mã cơ quan bị trùng: {', '.join(sorted(dup))}")
    codes = [a.code for a in plan.agencies if a.code]
    if len(codes) != len(set(codes)):
        raise ValueError("agencies: mã đơn vị hành chính (code) bị trùng")
    if plan.consolidator not in ids:
        raise ValueError(f"consolidator: '{plan.consolidator}' không có trong danh sách agencies")
    numbers = [i.number for i in plan.indicators]
    if len(numbers) != len(set(numbers)):
        raise ValueError("indicators: số thứ tự chỉ tiêu bị trùng")
    goal_numbers = {g.number for g in plan.goals}
    mcodes: list[str] = []
    for ind in plan.indicators:
        if ind.lead not in ids:
            raise ValueError(f"indicators[{ind.number}].lead: '{ind.lead}' không có trong agencies")
        if goal_numbers and ind.goal is not None and ind.goal not in goal_numbers:
            raise ValueError(f"indicators[{ind.number}].goal: mục tiêu {ind.goal} không tồn tại")
        for m in ind.measures:
            if not m.code.rstrip("abcdefghijklmnopqrstuvwxyz") == str(ind.number):
                raise ValueError(
                    f"indicators[{ind.number}].measures[{m.code}].code: phải bắt đầu bằng số chỉ tiêu"
                )
            lo, hi = plan.period
            for y in m.targets:
                if not lo <= y <= hi:
                    raise ValueError(
                        f"indicators[{ind.number}].measures[{m.code}].targets: năm {y} ngoài giai đoạn"
                    )
            mcodes.append(m.code)
    if len(mcodes) != len(set(mcodes)):
        raise ValueError("indicators: mã chỉ tiêu đo lường (measure code) bị trùng")
    if plan.period[0] > plan.period[1]:
        raise ValueError("period: năm bắt đầu lớn hơn năm kết thúc")
