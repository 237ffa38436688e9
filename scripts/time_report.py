"""Time `make_report` on a consolidated workspace (the issue asks a review year's report in < 2 s).

Usage: python scripts/time_report.py WORKSPACE [YEAR]. Prints wall time per stage (including the
imports a fresh `xltoolkit report` process pays); a script, not a timed test.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    workspace = Path(sys.argv[1])
    year = int(sys.argv[2]) if len(sys.argv) > 2 else 2025
    t0 = time.perf_counter()
    from xltoolkit.plan.model import load_plan
    from xltoolkit.report import load_result, review_of
    from xltoolkit.report.build import build_report
    from xltoolkit.report.docx_writer import write_docx

    plan = load_plan()
    t1 = time.perf_counter()
    result = load_result(plan, year, workspace, None)
    t2 = time.perf_counter()
    doc = build_report(result, plan, review_of(result, plan))
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_docx(doc, Path(tmp) / "bao-cao.docx")
    t4 = time.perf_counter()
    print(
        f"imports+plan {t1 - t0:.2f} s, ledger {t2 - t1:.2f} s, draft {t3 - t2:.2f} s, "
        f"docx {t4 - t3:.2f} s; report (after imports) {t4 - t1:.2f} s; total {t4 - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
