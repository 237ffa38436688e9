"""Issue 11, item 4: a template's sheets print readably — no text under 9 pt on the page, every page
numbered — as LibreOffice renders them to PDF (the 13-column data sheet used to print at 6 pt)."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import generate_templates

from .test_summary_print import _pdf


@pytest.mark.libreoffice
def test_district_template_prints_at_nine_points(require_libreoffice, plan: Plan, tmp_path: Path) -> None:
    import pdfplumber

    year_plan = plan.for_year(2024)
    made = generate_templates(year_plan, 2024, tmp_path / "t", ["h-ben-luc"], secret=None, password=None)
    pdf = _pdf(made[0].path, tmp_path)
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) > 2
        for i, page in enumerate(doc.pages, start=1):
            small = [c["text"] for c in page.chars if c["upright"] and c["size"] < 9 and c["text"].strip()]
            assert not small, (i, collections.Counter(small).most_common(5))
            assert re.search(r"Trang \d+/\d+", page.extract_text() or ""), f"page {i} has no number"
