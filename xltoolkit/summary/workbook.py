"""The provincial summary workbook: what the Department prints for the People's Committee and reads on
screen after consolidating a year.

Layout (the add-in and the tests read these tables back; keep them stable):

- printed as an appendix: the first sheet ("Tổng quan") carries the national header block once; every
  other sheet is titled «Phụ lục …» / «Biểu …» (rows 1-3: label, what it is attached to, the reporting
  period; rows 5-6: title), every page has «Trang x/y» in its footer, the table header row repeats, and
  each sheet prints at one fixed scale of at least `MIN_SCALE` (12 pt text at 9 pt or more): a wide
  table is split into pages across (code and name repeated) instead of being shrunk.
- every table: header row `TABLE_HEADER_ROW` (8), data from row 9, the row key in column A; all text
  cells are stored as text (never formulas). Where the key is an agency id, column A is hidden.
- "Tổng quan": status counts in rows 9-14 (order of `STATUS_LABELS`, count in column C, share in D),
  total in row 15, bar chart below it (`STATUS_CHART_ROW`); completeness table at
  `COMPLETENESS_HEADER_ROW`; reconciliation flags at `RECONCILIATION_HEADER_ROW` (measure code in A);
  then the review of the year (indicators and their parts met) and «Đơn vị cần quan tâm».
- "Chỉ tiêu" (Phụ lục I): one row per measure, columns `measure_columns(...)`; page 1 ends with the
  outlook; values with each measure's decimals; gaps in the measure's unit (points for %).
- "Xu hướng" (Phụ lục II): one native line chart per measure drawn from a data block right of the
  printed area; targets as markers at their years; four charts a page.
- "Cấp huyện", "Xếp hạng", "Theo đơn vị" (Phụ lục III-V): units that lag (see units.py).
- "Ma trận đơn vị" (Phụ lục III-a): one row per reporting unit with filters (thousands of communes),
  and "Theo huyện cũ" (Phụ lục III-b): the former districts over the years, rebuilt from the communes
  wholly inside them after the 2025 change (see history.py). Every multi-year table whose years span
  a change of the reporting units marks its first year after it («2025 †») with a legend line.
- "Nhiệm vụ", "Kinh phí" (Phụ lục VI-VII), "Tiếp nhận", "Lỗi kiểm tra" (Biểu 01-02): see lists.py
  (budget total row keyed `BUDGET_TOTAL_KEY`; hashes and issue codes kept in hidden columns).

Modules: this one assembles the workbook; `overview.py` and `measures.py` write the overview,
measure and chart sheets, `lists.py` the sheets that list things, `units.py` the units that lag, and
`sheets.py` holds the shared building blocks (header block, appendix titles, tables, print setup).

Size: tables are styled by copying one cached style array per combination and long lists are
bounded (older superseded files counted in one row, issue rows capped), so a large year stays quick.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from xltoolkit.consolidation.guard import SUMMARY_TITLE
from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.plan.model import Plan
from xltoolkit.summary.history import FORMER_SHEET, UNITS_SHEET, former_sheet, units_sheet
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
    units_level_sheet,
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
from xltoolkit.validation.batch import gc_paused
from xltoolkit.workbook.styles import FONT
from xltoolkit.workbook.xlio import FIXED_TIME, save_atomic

__all__ = [
    "BUDGET_SHEET",
    "CHARTS_SHEET",
    "COMPLETENESS_HEADER_ROW",
    "COMPLETENESS_KEYS",
    "COMPLETENESS_LABELS",
    "DISTRICTS_SHEET",
    "FORMER_SHEET",
    "ISSUES_SHEET",
    "MEASURES_SHEET",
    "NARRATIVES_SHEET",
    "OVERVIEW_SHEET",
    "RECONCILIATION_HEADER_ROW",
    "SHEETS",
    "SOURCE_LABELS",
    "STATUS_CHART_ROW",
    "SUBMISSIONS_SHEET",
    "UNITS_SHEET",
    "MeasureTable",
    "MeasureTableRow",
    "build_summary",
    "completeness",
    "measure_columns",
    "measure_row",
    "measure_table",
    "ordered_measures",
    "trend_years",
    "units_level_sheet",
    "write_summary",
    "write_workspace_summary",
]

SHEETS = (
    OVERVIEW_SHEET,
    MEASURES_SHEET,
    CHARTS_SHEET,
    DISTRICTS_SHEET,
    UNITS_SHEET,
    FORMER_SHEET,
    RANKING_SHEET,
    SCORECARD_SHEET,
    NARRATIVES_SHEET,
    BUDGET_SHEET,
    SUBMISSIONS_SHEET,
    ISSUES_SHEET,
)


def write_summary(
    result: ConsolidationResult, plan: Plan, path: str | Path, *, history: pd.DataFrame | None = None
) -> Path:
    """Write the summary workbook of one consolidated year to `path`, atomically; returns the path.

    The same result and plan always give the same workbook content (fixed document properties, sorted
    rows), so a re-run does not look like a new report. `result.summary_path` is left to the caller.
    `history`: the accepted counts of the years up to this one (the ledger's `counts(upto_year=…)`),
    from which the former districts are rebuilt («Theo huyện cũ»); the result alone has no counts.
    """
    # no cyclic collection while built and saved: every cell lives until the file is written, and
    # the collector would walk the hundreds of thousands of a national year again and again
    with gc_paused():
        wb = build_summary(result, plan, history=history)
        return save_atomic(wb, path, compresslevel=1)


def write_workspace_summary(workspace: str | Path, year: int, plan: Plan, path: str | Path) -> Path:
    """Write the summary of a consolidated year from the workspace's ledger alone (read only), with
    the values of every year up to it, so the former districts are rebuilt («Theo huyện cũ»)."""
    from xltoolkit.consolidation.coverage import build_result
    from xltoolkit.consolidation.ledger import Ledger

    year_plan = plan.for_year(year)
    with Ledger(workspace, create=False) as led:
        result = build_result(led, year_plan, year)
        history = led.counts(upto_year=year, plan_id=year_plan.id)
    return write_summary(result, year_plan, path, history=history)


#: Above this many reporting units the sheets that lay units across columns or give each unit a
#: block («Cấp huyện», «Xếp hạng», «Theo đơn vị») are unreadable and slow to build; they say so and
#: point to «Ma trận đơn vị» (one row per unit, with filters), which scales to a national collection.
PER_UNIT_SHEETS_MAX = 200


def too_many_units_sheet(ws: Worksheet, result: ConsolidationResult, plan: Plan) -> None:
    """The placeholder of a per-unit sheet in a large collection: what to use instead."""
    ws["A1"] = ws.title
    ws["A1"].font = Font(name=FONT, size=13, bold=True)
    ws["A3"] = (
        f"Năm {result.year} có {len(result.districts)} đơn vị báo cáo: trang này chỉ được lập khi có không "
        f"quá {PER_UNIT_SHEETS_MAX} đơn vị. Số liệu từng đơn vị xem ở trang «{UNITS_SHEET}» "
        "(mỗi đơn vị một dòng, có bộ lọc)."
    )
    ws["A3"].font = Font(name=FONT, size=12, italic=True)
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 100
    ws.row_dimensions[3].height = 48


def build_summary(
    result: ConsolidationResult, plan: Plan, *, history: pd.DataFrame | None = None
) -> Workbook:
    """The summary workbook in memory (for callers that want to add to it before saving)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    sheets[DISTRICTS_SHEET].title = units_level_sheet(plan)  # «Cấp xã» when the communes report
    measures = ordered_measures(result, plan)
    overview_sheet(sheets[OVERVIEW_SHEET], result, plan, measures)
    years = trend_years(result)
    measures_sheet(sheets[MEASURES_SHEET], result, plan, measures, years)
    charts_sheet(sheets[CHARTS_SHEET], sheets[MEASURES_SHEET], result, plan, measures, years)
    units_sheet(sheets[UNITS_SHEET], result, plan)
    former_sheet(sheets[FORMER_SHEET], result, plan, history)
    if len(result.districts) <= PER_UNIT_SHEETS_MAX:
        districts_sheet(sheets[DISTRICTS_SHEET], result, plan)
        ranking_sheet(sheets[RANKING_SHEET], result, plan)
        scorecard_sheet(sheets[SCORECARD_SHEET], result, plan)
    else:
        for name in (DISTRICTS_SHEET, RANKING_SHEET, SCORECARD_SHEET):
            too_many_units_sheet(sheets[name], result, plan)
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
