"""Validation of returned workbooks: safe reading, integrity, value checks, reports, feedback copies."""
