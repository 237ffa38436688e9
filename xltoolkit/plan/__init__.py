"""The plan and the pure logic over it: the catalog model, input rules, target status, aggregation.

Nothing here reads or writes a file other than the plan itself: every later stage (template,
validation, consolidation, summary) depends on this package, and it depends on none of them.
"""

from xltoolkit.plan.model import (
    COMPARISON_LABELS,
    Agency,
    Checks,
    Goal,
    Indicator,
    Measure,
    Plan,
    default_plan_path,
    load_plan,
)

__all__ = [
    "COMPARISON_LABELS",
    "Agency",
    "Checks",
    "Goal",
    "Indicator",
    "Measure",
    "Plan",
    "default_plan_path",
    "load_plan",
]
