"""The provincial summary workbook, rendered from a consolidation result.

`measure_table(result, plan)` gives the measure table ("Chỉ tiêu") as typed rows, for adapters that
render it themselves (the add-in); `write_summary` writes the whole workbook.
"""

from xltoolkit.summary.measures import MeasureTable, MeasureTableRow, measure_table
from xltoolkit.summary.workbook import write_summary

__all__ = ["MeasureTable", "MeasureTableRow", "measure_table", "write_summary"]
