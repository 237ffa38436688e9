"""Plan-file errors in Vietnamese, naming the table, the entry and the field.

pydantic reports in English with regular expressions («String should match pattern '^[a-z0-9]…'»);
the officer who edits a plan file needs to read which indicator or agency is wrong and what to type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import ErrorDetails

#: What a field with a pattern expects, in words (pydantic only knows the regular expression).
FIELD_SHAPES: dict[str, str] = {
    "id": "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ so-y-te)",
    "deadline": "dạng tháng-ngày MM-DD (ví dụ 12-15)",
    "code": "số 1-2 chữ số, có thể thêm một chữ cái (ví dụ 3a)",
}

#: Table names as an officer knows them.
TABLE_NAMES: dict[str, str] = {
    "agencies": "cơ quan, đơn vị",
    "indicators": "chỉ tiêu",
    "measures": "chỉ tiêu đo lường",
    "goals": "mục tiêu",
    "checks": "ngưỡng kiểm tra",
    "district": "mặc định cho cấp huyện",
}

#: The key that names an entry of each table ("chỉ tiêu số 3", "cơ quan so-y-te").
ENTRY_KEYS: tuple[str, ...] = ("code", "id", "number")


def _entry_label(table: str, index: int, entry: object) -> str:
    if isinstance(entry, Mapping):
        for key in ENTRY_KEYS:
            if key in entry:
                return f"«{table}» mục thứ {index + 1} ({key} = {entry[key]})"
    return f"«{table}» mục thứ {index + 1}"


def describe_location(loc: Sequence[str | int], raw: object) -> str:
    """'Bảng «indicators» mục thứ 3 (number = 3) › «measures» mục thứ 1 (code = 3a) › trường «unit»'."""
    parts: list[str] = []
    node: Any = raw
    table = ""
    for step in loc:
        if isinstance(step, int):
            entry = node[step] if isinstance(node, Sequence) and 0 <= step < len(node) else None
            parts[-1:] = [_entry_label(table, step, entry)]
            node = entry
        else:
            table = step
            parts.append(f"trường «{step}»")
            node = node.get(step) if isinstance(node, Mapping) else None
    if not parts:
        return "Tệp kế hoạch"
    return "Bảng " + " › ".join(parts) if isinstance(loc[0], str) and len(loc) > 1 else parts[0].capitalize()


def _reason(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "")
    given = err.get("input")
    shown = f"«{given}»" if isinstance(given, str | int | float) else "giá trị đã ghi"
    if kind == "missing":
        return "còn thiếu (bắt buộc phải có)"
    if kind == "extra_forbidden":
        return "không phải trường của kế hoạch (gõ sai tên trường?)"
    if kind == "string_pattern_mismatch":
        return f"{shown} không đúng dạng: cần {FIELD_SHAPES.get(field, 'đúng khuôn dạng quy định')}"
    if kind == "literal_error":
        return f"{shown} không hợp lệ; chỉ được là {ctx.get('expected', '')}".replace(" or ", " hoặc ")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return f"{shown} không phải là số"
    if kind in ("string_type", "string_too_short"):
        return "phải là một đoạn chữ, không để trống"
    if kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        return f"{shown} phải lớn hơn {'hoặc bằng ' if kind.endswith('equal') else ''}{bound}"
    if kind == "too_short":
        return "phải có ít nhất một mục"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    return f"{shown} không hợp lệ ({kind})"


def explain(errors: Sequence[ErrorDetails], raw: object, limit: int = 20) -> list[str]:
    """One Vietnamese line per error: where it is, then what is wrong."""
    return [f"{describe_location(err['loc'], raw)}: {_reason(err)}" for err in errors[:limit]]
