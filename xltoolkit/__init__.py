"""xltoolkit: spreadsheet-native monitoring of a provincial Children's Action Program.

The public API a script needs, the same the CLI and the add-in use::

    import xltoolkit

    plan = xltoolkit.load_plan()                      # the bundled plan, or a path
    xltoolkit.generate_templates(plan, 2026, "out")   # one template per agency
    report = xltoolkit.validate_paths(["returned/"], plan, year=2026)
    result = xltoolkit.consolidate("returned/", 2026, plan=plan, workspace="workbooks")
    document = xltoolkit.make_report(plan, 2026, workspace="workbooks")  # the signed report (.docx)
    print(report.to_dict(), result.to_dict(), document.to_dict())

Names are imported on first use (PEP 562), so `import xltoolkit` stays cheap (no pandas, openpyxl
or xlwings) and a submodule importing `xltoolkit` for its version can never form an import cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "load_plan": "xltoolkit.plan.model",
    "Plan": "xltoolkit.plan.model",
    "generate_templates": "xltoolkit.template.render",
    "validate_paths": "xltoolkit.validation.validate",
    "ValidationReport": "xltoolkit.validation.results",
    "consolidate": "xltoolkit.consolidation.intake",
    "ConsolidationResult": "xltoolkit.consolidation.results",
    "write_summary": "xltoolkit.summary.workbook",
    "make_report": "xltoolkit.report",
    "Issue": "xltoolkit.issues",
    "XltoolkitError": "xltoolkit.errors",
}

__all__ = [
    "ConsolidationResult",
    "Issue",
    "Plan",
    "ValidationReport",
    "XltoolkitError",
    "__version__",
    "consolidate",
    "generate_templates",
    "load_plan",
    "make_report",
    "validate_paths",
    "write_summary",
]

if TYPE_CHECKING:
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.consolidation.results import ConsolidationResult
    from xltoolkit.errors import XltoolkitError
    from xltoolkit.issues import Issue
    from xltoolkit.plan.model import Plan, load_plan
    from xltoolkit.report import make_report
    from xltoolkit.summary.workbook import write_summary
    from xltoolkit.template.render import generate_templates
    from xltoolkit.validation.results import ValidationReport
    from xltoolkit.validation.validate import validate_paths


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'xltoolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
