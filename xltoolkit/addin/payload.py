"""The add-in's door: a script call's body is read and its shape checked once, before xlwings sees it.

A script call is untrusted input. xlwings-server hands whatever JSON it gets to `xw.Book` and the
scripts, so a body not shaped like the one Office.js sends (no `book`, `sheets` not a list, rows of
unequal length, a dict in a cell, a name without its keys …) failed deep inside xlwings or a script:
HTTP 500, or a generic «lỗi ngoài dự kiến» alert. Here the body is compared with what xlwings-server's
Office.js client sends (`getBookData` in its static/js/custom-scripts/index.js, `readNamedItems` in
named-items.js) and refused with a `Refusal`: an HTTP status, a catalogue code (xltoolkit/issues.py,
block «add-in payloads») and a Vietnamese message saying where the body is wrong.

Only the shape is judged here. How much a well-formed payload claims (a used range of a million rows)
is `bridge.check_request`'s to refuse, inside the script, as it always was. Nothing here imports
xlwings, so the CLI can import the server module without the add-in extra.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from importlib.metadata import version
from typing import Any

from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import message

#: Arguments each ribbon script takes after the workbook (custom_scripts.py). The ribbon sends none; a
#: task pane or a test may pass «Lập báo cáo tổng hợp» its year.
SCRIPT_ARGS: dict[str, tuple[str, ...]] = {
    "validate_workbook": (),
    "target_status": (),
    "build_summary": ("year",),
}

#: Excel's own limits: a sheet name has at most 31 characters, a defined name 255. A workbook's name
#: (its file name, which SharePoint allows longer) is only bounded so that a message can quote it.
SHEET_NAME_MAX = 31
NAME_MAX = 255
BOOK_NAME_MAX = 1024
#: A cell, a range, whole columns or whole rows, as Office.js' Range.address gives them once the
#: client has cut the sheet off (`unqualifiedAddress`), and as xlwings' `a1_to_tuples` reads them: it
#: finds no sheet part and no «$» in whole columns or rows (such an address names no range for it).
_CELL = r"\$?[A-Z]{1,3}\$?[1-9][0-9]{0,6}"
_ADDRESS = re.compile(
    rf"^(?:{_CELL}(?::{_CELL})?|[A-Z]{{1,3}}:[A-Z]{{1,3}}|[1-9][0-9]{{0,6}}:[1-9][0-9]{{0,6}})$",
    re.IGNORECASE,
)
#: Text xlwings reads as a date: its `datetime_pattern` (xlwings/pro/_xlremote.py, copied so that this
#: module needs no xlwings; a test compares the two). It then parses the text with
#: `datetime.fromisoformat(text[:-1])`: a text that matches but does not parse fails the whole read.
DATE_PATTERN = (
    r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T(2[0-3]|[01][0-9]):"
    r"([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$"
)
_DATE_LIKE = re.compile(DATE_PATTERN)
_NUMBER_MAX = sys.float_info.max
#: JSON's types as `json.loads` returns them (exact types: a bool is not an int here), and the keys an
#: object must or may have with the types each may take.
_NONE = type(None)
Types = tuple[type, ...]
Spec = Mapping[str, Types]
_TOP: Spec = {"client": (str,), "version": (str,), "book": (dict,), "sheets": (list,), "names": (list,)}


def answer_json(code: str, text: str) -> bytes:
    """The body of every answer the add-in server gives instead of running a script.

    JSON {"code", "detail"}: the catalogue code for machines and tests, and the Vietnamese message as
    `detail`, which is what the Office.js client shows in its alert (FastAPI's own errors use it too).
    """
    return json.dumps({"code": code, "detail": text}, ensure_ascii=False).encode("utf-8")


class Refusal(XltoolkitError):
    """A request answered with an HTTP status before any script runs (code and message as always)."""

    def __init__(self, status: int, code: str, **kw: Any) -> None:
        super().__init__(code, message(code, **kw))
        self.status = status

    def body(self) -> bytes:
        return answer_json(self.code, self.message)


def _shape(where: str, what: str) -> Refusal:
    """422: the body is JSON but not Office.js' shape; `where` is the JSON path, for the maintainer."""
    return Refusal(422, "addin-payload-shape", where=f"{_clip(where)}: {what}")


def _clip(text: str, size: int = 60) -> str:
    """Client text as a message quotes it: short, printable (it may hold anything)."""
    text = "".join(c if c.isprintable() else "?" for c in text[: size + 1])
    return text if len(text) <= size else text[:size] + "…"


# ------------------------------------------------------------------------------------------- reading


def read_payload(body: bytes, script: str) -> dict[str, Any]:
    """The payload of a call to `script`, if it is shaped like what Office.js sends; else `Refusal`.

    The one check at the door: the Guard (server.py) calls it for every script call and passes the
    body on unchanged when it returns.
    """
    if script not in SCRIPT_ARGS:
        raise Refusal(404, "addin-not-found")
    data = _parse(body)
    if type(data) is not dict:
        raise _shape("(toàn bộ)", "phải là một đối tượng JSON")
    _fields(data, "", _TOP)
    _check_client(data["client"], data["version"])
    sheets = _check_sheets(data["sheets"])
    _check_book(data["book"], len(sheets))
    _check_names(data["names"], len(sheets))
    _check_args(data.get("args"), script)
    return data


def _parse(body: bytes) -> Any:
    """Strict JSON in UTF-8 (no NaN, no Infinity, no number beyond a float, no lone surrogate)."""
    if not body.strip():
        raise Refusal(400, "addin-payload-unreadable", reason="không có dữ liệu")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "addin-payload-unreadable", reason="không phải văn bản UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise Refusal(400, "addin-payload-unreadable", reason="lồng nhau quá sâu") from None
    except ValueError:
        raise Refusal(400, "addin-payload-unreadable", reason="không phải JSON hợp lệ") from None
    # A lone surrogate can only come as a \u escape; it would break the answer's UTF-8 later.
    if "\\u" in text:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Refusal(400, "addin-payload-unreadable", reason="có ký tự Unicode không hợp lệ") from None
    return data


def _no_constant(name: str) -> Any:
    """NaN and Infinity are Python's JSON extensions: JSON.stringify never writes them."""
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    """A float literal such as 1e999 parses to infinity, which no cell can hold: unreadable."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


# -------------------------------------------------------------------------------------------- fields


_WHAT = {
    str: "chuỗi",
    int: "số nguyên",
    bool: "true/false",
    list: "danh sách",
    dict: "đối tượng",
    _NONE: "null",
}


def _fields(obj: dict[str, Any], where: str, spec: Spec) -> None:
    """Each key of `spec` present in `obj`, of one of its JSON types (exactly: True is no int)."""
    for key in spec:
        if key not in obj:
            raise _shape(f"{where}{key}", "thiếu")
    _optional(obj, where, spec)


def _optional(obj: dict[str, Any], where: str, spec: Spec) -> None:
    """Each key of `spec` that `obj` has is of one of its JSON types."""
    for key, types in spec.items():
        if key in obj and type(obj[key]) not in types:
            raise _shape(f"{where}{key}", "phải là " + " hoặc ".join(_WHAT[t] for t in types))


def _index(value: int | None, count: int, where: str) -> None:
    """A 0-based sheet position the payload gives, when given, names one of its sheets."""
    if value is not None and not 0 <= value < count:
        raise _shape(where, f"không có trang thứ {_clip(str(value), 20)} (sổ có {count} trang)")


def _address(value: str | None, where: str) -> None:
    """An address xlwings can turn into a range (its size is `bridge.check_request`'s to judge)."""
    if value is not None and not _ADDRESS.match(value):
        raise _shape(where, f"địa chỉ «{_clip(value, 40)}» không đọc được")


@functools.cache
def _xlwings_version() -> str:
    """The installed xlwings' version, read once (what xlwings compares a client's version with)."""
    return version("xlwings")


def _check_client(client: str, sent: str) -> None:
    """xlwings refuses a non-Office.js client of another xlwings version; said here, in Vietnamese."""
    expected = _xlwings_version()
    if client != "Office.js" and sent != expected:
        raise Refusal(
            400, "addin-payload-version", client=_clip(client, 40), found=_clip(sent, 20), expected=expected
        )


def _check_book(book: dict[str, Any], sheets: int) -> None:
    """The book's name (quoted in the result sheet, the report path) and an active sheet that exists."""
    _fields(book, "book.", {"name": (str,), "active_sheet_index": (int,)})
    _optional(book, "book.", {"selection": (str, _NONE), "calculation": (str, _NONE)})
    if not 0 < len(book["name"]) <= BOOK_NAME_MAX:
        raise _shape("book.name", f"tên sổ phải có từ 1 đến {BOOK_NAME_MAX} ký tự")
    _index(book["active_sheet_index"], sheets, "book.active_sheet_index")


_SHEET: Spec = {"name": (str,), "values": (list,)}
_SHEET_OPTIONAL: Spec = {
    "visibility": (str,),
    "show_gridlines": (bool,),
    "print_area": (str, _NONE),
    "notes": (list,),
    "notes_supported": (bool,),
    "used_range_address": (str, _NONE),
    "used_range_row_count": (int, _NONE),
    "used_range_column_count": (int, _NONE),
    "pictures": (list,),
    "shapes": (list,),
    "charts": (list,),
    "tables": (list,),
    "pivot_tables": (list,),
}


def _check_sheets(sheets: list[Any]) -> list[dict[str, Any]]:
    """At least one sheet; each named (1-31 characters, no two alike) with a rectangle of values."""
    if not sheets:
        raise _shape("sheets", "sổ không có trang nào")
    seen: set[str] = set()
    for i, sheet in enumerate(sheets):
        where = f"sheets[{i}]"
        if type(sheet) is not dict:
            raise _shape(where, "phải là đối tượng")
        _fields(sheet, where + ".", _SHEET)
        _optional(sheet, where + ".", _SHEET_OPTIONAL)
        name = sheet["name"]
        if not 0 < len(name) <= SHEET_NAME_MAX:
            raise _shape(where + ".name", f"tên trang phải có từ 1 đến {SHEET_NAME_MAX} ký tự")
        if name.casefold() in seen:
            raise _shape(where + ".name", f"hai trang cùng tên «{_clip(name, 31)}»")
        seen.add(name.casefold())
        _address(sheet.get("used_range_address"), where + ".used_range_address")
        for key in ("used_range_row_count", "used_range_column_count"):
            if (sheet.get(key) or 0) < 0:
                raise _shape(f"{where}.{key}", "không được âm")
        _check_values(sheet["values"], name, where + ".values")
    return sheets


def _check_values(rows: list[Any], sheet: str, where: str) -> None:
    """Rows from A1, all lists of one length, each cell text, a number, true/false or blank."""
    width = len(rows[0]) if rows and type(rows[0]) is list else 0
    for r, row in enumerate(rows):
        if type(row) is not list:
            raise _shape(f"{where}[{r}]", "mỗi dòng phải là danh sách")
        if len(row) != width or not width:
            raise _shape(f"{where}[{r}]", "các dòng phải có cùng số ô (ít nhất một ô)")
        for c, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if _DATE_LIKE.match(value) and not _date_reads(value):
                    raise _cell(sheet, r, c, "chữ có dạng ngày giờ mà máy chủ không đọc được")
            elif kind is int:
                if not -_NUMBER_MAX <= value <= _NUMBER_MAX:
                    raise _cell(sheet, r, c, "số vượt quá giới hạn của Excel")
            elif kind not in (float, bool, _NONE):
                raise _cell(sheet, r, c, "một danh sách hoặc bảng lồng nhau, không phải giá trị của một ô")


def _date_reads(text: str) -> bool:
    """xlwings reads such text as `fromisoformat(text[:-1])` (it expects Office.js' trailing «Z»)."""
    try:
        datetime.fromisoformat(text[:-1])
    except ValueError:
        return False
    return True


def _cell(sheet: str, row: int, col: int, what: str) -> Refusal:
    """422 naming the cell (values start at A1), so that the officer can find and retype it."""
    from openpyxl.utils.cell import get_column_letter

    return Refusal(
        422,
        "addin-payload-cell",
        sheet=_clip(sheet, 31),
        cell=f"{get_column_letter(col + 1)}{row + 1}",
        what=what,
    )


_NAME: Spec = {
    "name": (str,),
    "book_scope": (bool,),
    "sheet_index": (int, _NONE),
    "address": (str, _NONE),
    "scope_sheet_name": (str, _NONE),
    "scope_sheet_index": (int, _NONE),
}


def _check_names(names: list[Any], sheets: int) -> None:
    """Each defined name as `readNamedItems` sends it: the keys xlwings reads, positions in range."""
    for i, entry in enumerate(names):
        where = f"names[{i}]"
        if type(entry) is not dict:
            raise _shape(where, "phải là đối tượng")
        _fields(entry, where + ".", _NAME)
        _optional(entry, where + ".", {"refers_to": (str, _NONE), "type": (str, _NONE)})
        if not 0 < len(entry["name"]) <= NAME_MAX:
            raise _shape(where + ".name", f"tên vùng phải có từ 1 đến {NAME_MAX} ký tự")
        _index(entry["sheet_index"], sheets, where + ".sheet_index")
        _index(entry["scope_sheet_index"], sheets, where + ".scope_sheet_index")
        _address(entry["address"], where + ".address")


# --------------------------------------------------------------------------------------- arguments

#: A year argument is a calendar year Excel can hold; whether the plan covers it is the script's to
#: say (`Plan.for_year` answers with its own coded message, as for `xltoolkit consolidate`).
YEARS = (1900, 9999)


def _check_args(args: Any, script: str) -> None:
    """A list (or none) of no more arguments than the script takes; a year is a whole number."""
    names = SCRIPT_ARGS[script]
    if args is None:
        return
    if type(args) is not list:
        raise Refusal(422, "addin-payload-args", detail="tham số phải là một danh sách")
    if len(args) > len(names):
        raise Refusal(
            422, "addin-payload-args", detail=f"nút này nhận tối đa {len(names)} tham số, đã gửi {len(args)}"
        )
    for name, value in zip(names, args, strict=False):
        _ARG_CHECKS[name](value)


def _year(value: Any) -> None:
    """«Lập báo cáo tổng hợp»'s year: `int(value)` would take "2024", True or 10**30 without a word."""
    lo, hi = YEARS
    if value is not None and (type(value) is not int or not lo <= value <= hi):
        raise Refusal(
            422,
            "addin-payload-args",
            detail=f"năm phải là số nguyên từ {lo} đến {hi}, đã gửi «{_clip(json.dumps(value), 20)}»",
        )


_ARG_CHECKS: dict[str, Callable[[Any], None]] = {"year": _year}
