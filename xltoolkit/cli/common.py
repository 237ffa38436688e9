"""What every `xltoolkit` command shares: help settings, JSON output, error exit, `--plan`.

Kept apart from main.py so that each command module can import it without importing the command
group (which imports every command module).
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from xltoolkit import Plan, config, load_plan
from xltoolkit.errors import XltoolkitError
from xltoolkit.workspace import DEFAULT_WORKSPACE

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _strict(obj: Any) -> Any:
    """`obj` with every non-finite float (NaN, ±infinity) as None: JSON has no such numbers."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj


def echo_json(data: Any) -> None:
    """Strict JSON (no bare NaN or Infinity, which no JSON parser has to accept)."""
    click.echo(json.dumps(_strict(data), ensure_ascii=False, indent=2, default=str, allow_nan=False))


def fail(err: XltoolkitError, as_json: bool = False) -> NoReturn:
    """Report a user-facing error (Vietnamese message, stable code) and exit 2."""
    if as_json:
        echo_json({"error": err.to_dict()})
    else:
        click.echo(f"Lỗi [{err.code}]: {err.message}", err=True)
    sys.exit(2)


def unexpected(err: BaseException) -> XltoolkitError:
    """The last resort for a fault of xltoolkit itself: no traceback, a message the officer can pass on.

    Core code raises `XltoolkitError` for everything it expects; anything else is a bug, and the user
    still must not meet a Python traceback (nor exit 0). The one-line technical detail is kept for
    whoever maintains the toolkit.
    """
    detail = " ".join(f"{type(err).__name__}: {err}".split())[:300]
    return XltoolkitError(
        "internal-error",
        "xltoolkit gặp lỗi ngoài dự kiến nên đã dừng lệnh này; các tệp gửi về không bị sửa. Hãy chạy "
        "lại lệnh; nếu vẫn lỗi, gửi nguyên văn thông báo này cho người phụ trách phần mềm "
        f"(chi tiết kỹ thuật: {detail}).",
    )


def check_year(plan: Plan, year: int) -> None:
    """A year outside the plan is a usage error, said once, not one «wrong year» per file."""
    lo, hi = plan.period
    if not lo <= year <= hi:
        raise XltoolkitError("year-outside-plan", f"Năm {year} nằm ngoài giai đoạn của kế hoạch ({lo}-{hi}).")


def plan_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--plan PATH` to a command and pass the loaded Plan as `plan`."""
    return _plan_option(func, with_path=False)


def plan_option_with_path(func: Callable[..., Any]) -> Callable[..., Any]:
    """`plan_option` that also passes the file it was loaded from as `plan_path` (None: bundled).

    For commands that hand the plan on to another process (the add-in server reads it again there).
    """
    return _plan_option(func, with_path=True)


def _plan_option(func: Callable[..., Any], *, with_path: bool) -> Callable[..., Any]:
    @click.option(
        "--plan",
        "plan_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=config.PLAN_ENV,
        default=None,
        help="Tệp kế hoạch (TOML); mặc định: kế hoạch của tỉnh Long An. / Plan file.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, plan_path: Path | None, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            plan = load_plan(plan_path)
        except XltoolkitError as e:
            fail(e, as_json)
        except Exception as e:
            fail(unexpected(e), as_json)
        if with_path:
            kwargs["plan_path"] = plan_path
        try:
            return func(*args, plan=plan, **kwargs)
        except XltoolkitError as e:
            fail(e, as_json)
        except (click.ClickException, BrokenPipeError):
            raise  # click shows the first in Vietnamese (cli/usage.py) and quietens the second (| head)
        except Exception as e:  # a defect of ours: the officer still gets Vietnamese and exit 2
            fail(unexpected(e), as_json)

    return wrapper


def workspace_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--workspace W` (env XLTOOLKIT_WORKSPACE): archive, ledger and summaries live there."""
    return click.option(
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=config.WORKSPACE_ENV,
        default=DEFAULT_WORKSPACE,
        show_default=True,
        help="Thư mục làm việc (lưu trữ tệp nhận về, sổ theo dõi, báo cáo tổng hợp). / Workspace.",
    )(func)
