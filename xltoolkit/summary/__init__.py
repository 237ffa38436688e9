"""The provincial summary workbook, rendered from a consolidation result."""
