"""Usage errors in Vietnamese: click's own messages («Error: Invalid value for '-o'...») are English.

Every command's parameters are checked by click before our code runs (a missing `--year`, a path that
does not exist, a folder given where a file is wanted). The officer must still read what to fix in
Vietnamese, with a stable code (`usage-error`) and the command's help to look at; click's English
detail is translated for the cases our options can produce and kept, quoted, otherwise.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

#: click's English details our parameter types produce -> Vietnamese (regex on the detail text).
_DETAILS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^'(.*)' is not a valid integer( range)?\.?$"), "«{0}» không phải là số nguyên"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.?$"), "không tìm thấy «{0}»"),
    (re.compile(r"^File '(.*)' is a directory\.?$"), "«{0}» là một thư mục, cần chỉ ra một tệp"),
    (re.compile(r"^Directory '(.*)' is a file\.?$"), "«{0}» là một tệp, cần chỉ ra một thư mục"),
    (
        re.compile(r"^(?:File|Directory|Path) '(.*)' is not (?:readable|writable)\.?$"),
        "không có quyền với «{0}»",
    ),
    (re.compile(r"^'(.*)' is not one of (.*)\.?$"), "«{0}» không phải một trong các giá trị {1}"),
    (re.compile(r"^'(.*)' is not a valid (?:float|boolean)\.?$"), "«{0}» không phải giá trị hợp lệ"),
]


def _detail(text: str) -> str:
    for pattern, vi in _DETAILS:
        m = pattern.match(text.strip())
        if m:
            return vi.format(*m.groups())
    return f"«{text.strip()}»"


def vietnamese(err: click.ClickException) -> str:
    """The Vietnamese sentence for a click usage error (the hint names the command's help)."""
    if isinstance(err, click.MissingParameter):
        what = err.param.get_error_hint(err.ctx) if err.param is not None and err.ctx is not None else ""
        text = f"Thiếu {what or 'một giá trị bắt buộc'}."
    elif isinstance(err, click.NoSuchOption):
        text = f"Không có tùy chọn «{err.option_name}»."
        if err.possibilities:
            text += " Có phải ý là: " + ", ".join(sorted(err.possibilities)) + "?"
    elif isinstance(err, click.BadParameter):
        where = err.param.get_error_hint(err.ctx) if err.param is not None and err.ctx is not None else ""
        text = f"Giá trị của {where or 'tham số'} không hợp lệ: {_detail(err.message)}."
    elif (m := re.match(r"^No such command '(.*)'\.?$", err.message)) is not None:
        text = f"Không có lệnh «{m.group(1)}»."
    else:
        text = f"Lệnh gõ chưa đúng: {_detail(err.message)}."
    ctx = getattr(err, "ctx", None)
    command = ctx.command_path if ctx is not None else "xltoolkit"
    return f"Lỗi [usage-error]: {text} Xem hướng dẫn: {command} --help"


class VietnameseGroup(click.Group):
    """The `xltoolkit` group: click's usage errors are shown in Vietnamese (exit 2, as click does)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = run(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            _exit(vietnamese(e), e.exit_code)
        except click.Abort:
            _exit("Đã dừng theo yêu cầu.", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _exit(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)
