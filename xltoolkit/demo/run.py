"""The demo: the whole yearly cycle on the seeded sample, end to end, in one command.

Templates for 2021-2026 (districts to 2024, communes from 2025) -> filled sample returns (saved by
LibreOffice) -> validation and consolidation of each year into the ledger -> the provincial summary
workbook of each year, and the
report document (Word) of each review year of the plan (the 2025 mid-term review).
`run_demo` returns a `DemoResult` and prints nothing; `xltoolkit demo` (cli_demo.py) renders it.

A demo workspace is marked with `MARKER`; running again wipes and rebuilds only a marked workspace
(the ledger keeps files by hash, so re-generated samples must not be mixed with the old ones), and
refuses a non-empty folder that is not a demo workspace rather than deleting someone's data.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.demo.sample import DEFAULT_YEARS, SampleData, generate_sample
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan

MARKER = ".xltoolkit-demo"
DEFAULT_WORKSPACE = Path("workbooks") / "demo"
DEFAULT_SEED = 2025


@dataclass
class DemoResult:
    workspace: Path
    sample: SampleData
    results: dict[int, ConsolidationResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: The report document of each review year of the plan (the 2025 mid-term review), by year.
    reports: dict[int, Path] = field(default_factory=dict)

    @property
    def latest(self) -> ConsolidationResult:
        return self.results[max(self.results)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace),
            "sample": self.sample.to_dict(),
            "years": {str(y): r.to_dict() for y, r in sorted(self.results.items())},
            "summary_path": str(self.latest.summary_path) if self.latest.summary_path else None,
            "reports": {str(y): str(p) for y, p in sorted(self.reports.items())},
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def _prepare(workspace: Path) -> None:
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).exists():
            raise XltoolkitError(
                "demo-workspace-not-empty",
                f"Thư mục {workspace} đã có dữ liệu và không phải thư mục chạy thử; "
                "hãy chọn thư mục khác bằng --workspace.",
            )
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text("xltoolkit demo workspace; safe to delete\n", encoding="utf-8")


def run_demo(
    plan: Plan,
    workspace: str | Path = DEFAULT_WORKSPACE,
    seed: int = DEFAULT_SEED,
    years: tuple[int, ...] = DEFAULT_YEARS,
) -> DemoResult:
    """Generate the sample and consolidate each year in order (so trends build up in the ledger)."""
    from xltoolkit.consolidation.intake import consolidate
    from xltoolkit.report import report_path_beside, write_report

    ws = Path(workspace)
    _prepare(ws)
    t0 = time.perf_counter()
    sample = generate_sample(plan, ws, years=years, seed=seed)
    demo = DemoResult(ws, sample, seconds={"sample": time.perf_counter() - t0})
    t1 = time.perf_counter()
    for year in sample.years:
        demo.results[year] = consolidate(
            sample.folder(year),
            year,
            plan=plan,
            workspace=ws,
            received_at=sample.received_at(year),
        )
    demo.seconds["consolidate"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    for year, result in demo.results.items():
        if year in plan.review_years and result.summary_path and result.received:
            out = report_path_beside(result.summary_path, year)
            demo.reports[year] = write_report(result, plan, out).path or out
    demo.seconds["report"] = time.perf_counter() - t2
    return demo
