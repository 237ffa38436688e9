"""Finding and loading the plan file, with Vietnamese messages for every way it can be broken.

Apart from the Plan class so the model stays free of file handling; `xltoolkit.plan.model` re-exports
these names, which is where the rest of the toolkit imports them from.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from xltoolkit.errors import PlanError
from xltoolkit.plan.messages import explain

if TYPE_CHECKING:
    from xltoolkit.plan.model import Plan

DEFAULT_PLAN_NAME = "plan-long-an-2021-2030.toml"


def default_plan_path() -> Path:
    """The bundled plan: inside the installed package, or the repository's schemas/ folder."""
    packaged = resources.files("xltoolkit") / "schemas" / DEFAULT_PLAN_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / DEFAULT_PLAN_NAME


def load_plan(path: str | Path | None = None) -> Plan:
    """Load and validate a plan file; a broken file raises PlanError naming the field."""
    # Imported here: model.py re-exports load_plan, so a top-level import would be circular.
    from xltoolkit.plan.model import Plan

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
