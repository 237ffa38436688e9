"""The report document the province signs: drafted from the ledger, laid out as a Word file.

`make_report` is the one entry point the CLI (and later the add-in) calls: it reads the year's
consolidation from the workspace ledger, reviews it against the plan (plan/review.py), drafts the
document (build.py) and writes it atomically (docx_writer.py). It never prints or exits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from xltoolkit import workspace as ws
from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.plan.review import YearReview, review_year
from xltoolkit.report.build import build_report
from xltoolkit.report.document import ReportDocument, ReportResult

__all__ = [
    "ReportDocument",
    "ReportResult",
    "build_report",
    "check_report_output",
    "default_report_path",
    "load_result",
    "make_report",
    "report_path_beside",
    "review_of",
    "write_report",
]


def default_report_path(workspace: str | Path, year: int) -> Path:
    return ws.year_dir(workspace, year) / f"bao-cao-{int(year)}.docx"


def review_of(result: ConsolidationResult, plan: Plan) -> YearReview:
    """The review of a consolidation: the one the consolidation made, else computed from each
    measure's provincial series, this year's value last."""
    if result.year_review is not None and result.year_review.year == result.year:
        return result.year_review
    series: dict[str, Mapping[int, float | None]] = {
        m.code: {**m.trend, result.year: m.value} for m in result.measures
    }
    return review_year(plan, result.year, series)


def load_result(
    plan: Plan, year: int, workspace: str | Path, returned: str | Path | None
) -> ConsolidationResult:
    """The year's consolidation from the ledger (files of the returned folder included, as
    `consolidate` reports them); nothing is taken in or written."""
    from xltoolkit.consolidation.intake import returned_files, sha256_file
    from xltoolkit.consolidation.ledger import Ledger
    from xltoolkit.consolidation.outcome import build_result

    lo, hi = plan.period
    if not lo <= year <= hi:
        raise XltoolkitError("year-outside-plan", f"Năm {year} nằm ngoài giai đoạn của kế hoạch ({lo}-{hi}).")
    plan = plan.for_year(year)  # the units and leads of that year's edition
    folder = Path(returned) if returned else ws.returned_dir(workspace, year)
    hashes = [sha256_file(p) for p in returned_files(folder)] if folder.is_dir() else []
    with Ledger(workspace, create=False) as led:
        if led.conn is None:
            raise XltoolkitError(
                "ledger-not-found",
                f"Chưa có sổ theo dõi trong thư mục {workspace}: "
                f"hãy tổng hợp (consolidate) năm {year} trước.",
            )
        return build_result(led, plan, year, hashes)


def make_report(
    plan: Plan,
    year: int,
    *,
    workspace: str | Path = ws.DEFAULT_WORKSPACE,
    output: str | Path | None = None,
    returned: str | Path | None = None,
    write: bool = True,
) -> ReportResult:
    """Draft the year's report from the workspace ledger and save it as a Word document."""
    from xltoolkit.report.docx_writer import write_docx

    plan = plan.for_year(year)  # the year's edition: its units, consolidator and recipients
    target = Path(output) if output else default_report_path(workspace, year)
    if write:
        check_report_output(target, workspace)
    result = load_result(plan, year, workspace, returned)
    if not result.received:
        raise XltoolkitError(
            "nothing-received",
            f"Sổ theo dõi chưa có báo cáo nào được sử dụng cho năm {year}: chưa thể lập báo cáo.",
        )
    document = build_report(result, plan, review_of(result, plan))
    path = None
    if write:
        path = write_docx(document, target)
    return ReportResult(path, document)


def check_report_output(output: Path, workspace: str | Path) -> None:
    """Refuse `-o` over anything but an earlier report: a returned workbook, a summary, the ledger.

    The document replaces whatever file is named, so a slip of the officer's (`-o` with a returned
    file's name) would destroy that file; only an existing Word document may be written over, and
    nothing may be written into the archive.
    """
    out = output.resolve()
    archive = ws.archive_dir(Path(workspace).resolve())
    kept = out.exists() and out.suffix.lower() != ".docx"
    if kept or out == archive or archive in out.parents:
        raise XltoolkitError(
            "output-overwrites-input",
            f"Không ghi báo cáo vào {output}: tệp này đã có và không phải báo cáo Word (.docx) (có thể là "
            "tệp nhận về, tệp tổng hợp hoặc sổ theo dõi), hoặc nằm trong kho lưu trữ; không được ghi đè. "
            "Hãy chọn tên tệp .docx khác với -o.",
        )


def write_report(
    result: ConsolidationResult, plan: Plan, output: str | Path, *, require_received: bool = True
) -> ReportResult:
    """Draft and save the report of a consolidation already in hand (the demo, the add-in), beside
    the summary it was consolidated with; the same document `make_report` drafts from the ledger."""
    from xltoolkit.report.docx_writer import write_docx

    if require_received and not result.received:
        raise XltoolkitError(
            "nothing-received",
            f"Chưa có báo cáo nào được sử dụng cho năm {result.year}: chưa thể lập báo cáo.",
        )
    plan = plan.for_year(result.year)
    document = build_report(result, plan, review_of(result, plan))
    return ReportResult(write_docx(document, Path(output)), document)


def report_path_beside(summary: Path, year: int) -> Path:
    """The report's file beside the summary workbook: bao-cao-<năm>.docx in the same folder."""
    return summary.parent / f"bao-cao-{int(year)}.docx"
