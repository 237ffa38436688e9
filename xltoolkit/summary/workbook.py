"""The provincial summary workbook: what the Department prints for the People's Committee and reads on
screen after consolidating a year.

Layout (the add-in and the tests read these tables back; keep them stable):

- every sheet: national header block rows 1-3, title rows 5-6, table header row `TABLE_HEADER_ROW` (8),
  data from row 9, the row key in column A; all text cells are stored as text (never formulas).
- "Tổng quan": status counts in rows 9-14 (order of `STATUS_LABELS`, count in column C, share in D),
  total in row 15, bar chart below it (`STATUS_CHART_ROW`); completeness table at
  `COMPLETENESS_HEADER_ROW` (rows in the fixed order of `COMPLETENESS_KEYS`, STT in A, Vietnamese label
  in B, count in C, agencies in D; the keys themselves are not written);
  reconciliation flags at `RECONCILIATION_HEADER_ROW` (measure code in A).
- "Chỉ tiêu": one row per measure, columns `measure_columns(...)` (a trend column per year, its header
  the year as a number); status label coloured by status. Printed two pages across at a fixed scale,
  page 1 ending with the status column (header block and title within it), page 2 repeating A:B.
- "Xu hướng": one native line chart per measure, drawn from the trend columns of "Chỉ tiêu"; page breaks
  between rows of charts.
- "Cấp huyện": measures down (code in A), one column per district (agency ids in hidden row 7).
- "Tiếp nhận", "Lỗi kiểm tra", "Nhiệm vụ", "Kinh phí": agency id in A; see summary_lists.py (budget
  total row keyed `BUDGET_TOTAL_KEY`, its Vietnamese label, merged over A:B); "Lỗi kiểm tra" keeps the
  English issue code in a hidden column.

Modules: this one assembles the workbook; `summary_overview.py` and `summary_measures.py` write the
overview, measure and chart sheets, `summary_lists.py` the sheets that list things, and
`summary_sheets.py` holds the shared building blocks (header block, tables, print setup).

Size: tables are styled by copying one cached style array per combination and long lists are
bounded (older superseded files counted in one row, issue rows capped), so a large year stays quick.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from xltoolkit.consolidation.guard import SUMMARY_TITLE
from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.plan.model import Plan
from xltoolkit.summary.lists import (
    BUDGET_SHEET,
    DISTRICTS_SHEET,
    ISSUES_SHEET,
    NARRATIVES_SHEET,
    SUBMISSIONS_SHEET,
    budget_sheet,
    districts_sheet,
    issues_sheet,
    narratives_sheet,
    submissions_sheet,
)
from xltoolkit.summary.measures import (
    CHARTS_SHEET,
    MEASURES_SHEET,
    SOURCE_LABELS,
    MeasureTable,
    MeasureTableRow,
    charts_sheet,
    measure_columns,
    measure_row,
    measure_table,
    measures_sheet,
    ordered_measures,
    trend_years,
)
from xltoolkit.summary.overview import (
    COMPLETENESS_HEADER_ROW,
    COMPLETENESS_KEYS,
    COMPLETENESS_LABELS,
    OVERVIEW_SHEET,
    RECONCILIATION_HEADER_ROW,
    STATUS_CHART_ROW,
    completeness,
    overview_sheet,
)
from xltoolkit.summary.units import RANKING_SHEET, SCORECARD_SHEET, ranking_sheet, scorecard_sheet
from xltoolkit.workbook.xlio import FIXED_TIME, save_atomic

__all__ = [
    "BUDGET_SHEET",
    "CHARTS_SHEET",
    "COMPLETENESS_HEADER_ROW",
    "COMPLETENESS_KEYS",
    "COMPLETENESS_LABELS",
    "DISTRICTS_SHEET",
    "ISSUES_SHEET",
    "MEASURES_SHEET",
    "NARRATIVES_SHEET",
    "OVERVIEW_SHEET",
    "RECONCILIATION_HEADER_ROW",
    "SHEETS",
    "SOURCE_LABELS",
    "STATUS_CHART_ROW",
    "SUBMISSIONS_SHEET",
    "MeasureTable",
    "MeasureTableRow",
    "build_summary",
    "completeness",
    "measure_columns",
    "measure_row",
    "measure_table",
    "ordered_measures",
    "trend_years",
    "write_summary",
]

SHEETS = (
    OVERVIEW_SHEET,
    MEASURES_SHEET,
    CHARTS_SHEET,
    DISTRICTS_SHEET,
    RANKING_SHEET,
    SCORECARD_SHEET,
    NARRATIVES_SHEET,
    BUDGET_SHEET,
    SUBMISSIONS_SHEET,
    ISSUES_SHEET,
)


def write_summary(result: ConsolidationResult, plan: Plan, path: str | Path) -> Path:
    """Write the summary workbook of one consolidated year to `path`, atomically; returns the path.

    The same result and plan always give the same workbook content (fixed document properties, sorted
    rows), so a re-run does not look like a new report. `result.summary_path` is left to the caller.
    """
    wb = build_summary(result, plan)
    return save_atomic(wb, path)


def build_summary(result: ConsolidationResult, plan: Plan) -> Workbook:
    """The summary workbook in memory (for callers that want to add to it before saving)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    measures = ordered_measures(result, plan)
    overview_sheet(sheets[OVERVIEW_SHEET], result, plan, measures)
    years = trend_years(result)
    measures_sheet(sheets[MEASURES_SHEET], result, plan, measures, years)
    charts_sheet(sheets[CHARTS_SHEET], sheets[MEASURES_SHEET], result, plan, measures, years)
    districts_sheet(sheets[DISTRICTS_SHEET], result, plan)
    ranking_sheet(sheets[RANKING_SHEET], result, plan)
    scorecard_sheet(sheets[SCORECARD_SHEET], result, plan)
    submissions_sheet(sheets[SUBMISSIONS_SHEET], result, plan)
    issues_sheet(sheets[ISSUES_SHEET], result, plan)
    narratives_sheet(sheets[NARRATIVES_SHEET], result, plan)
    budget_sheet(sheets[BUDGET_SHEET], result, plan)
    wb.active = 0
    props = wb.properties
    props.creator = props.lastModifiedBy = "xltoolkit"
    props.title = f"{SUMMARY_TITLE} {result.year}"
    props.subject = plan.name
    props.created = props.modified = FIXED_TIME
    return wb
