"""`xltoolkit demo`: the whole yearly cycle on the seeded sample, end to end, in one command.

Templates for 2021-2025 -> filled sample returns (saved by LibreOffice) -> validation and
consolidation of each year into the ledger -> the provincial summary workbook of the latest year.
`run_demo` is the core (returns a `DemoResult`, prints nothing); the click command only renders it.

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

import click

from xltoolkit.cli import CONTEXT, echo_json, main, plan_option
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan import Plan
from xltoolkit.results import STATUS_LABELS, ConsolidationResult
from xltoolkit.sample import DEFAULT_YEARS, SampleData, generate_sample

MARKER = ".xltoolkit-demo"
DEFAULT_WORKSPACE = Path("workbooks") / "demo"
DEFAULT_SEED = 2025


@dataclass
class DemoResult:
    workspace: Path
    sample: SampleData
    results: dict[int, ConsolidationResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def latest(self) -> ConsolidationResult:
        return self.results[max(self.results)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace),
            "sample": self.sample.to_dict(),
            "years": {str(y): r.to_dict() for y, r in sorted(self.results.items())},
            "summary_path": str(self.latest.summary_path) if self.latest.summary_path else None,
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
    from xltoolkit.consolidate import consolidate

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
    return demo


# --------------------------------------------------------------------------------------------- CLI


def _names(plan: Plan, ids: list[str]) -> str:
    return ", ".join(plan.agency_by_id[a].label if a in plan.agency_by_id else a for a in ids) or "không có"


def _issue_counts(result: ConsolidationResult) -> tuple[int, int, int]:
    errors = sum(1 for f in result.file_issues for i in f.get("issues") or [] if i.get("severity") == "error")
    warnings = sum(
        1 for f in result.file_issues for i in f.get("issues") or [] if i.get("severity") == "warning"
    )
    return len(result.file_issues), errors, warnings


def render(demo: DemoResult, plan: Plan) -> list[str]:
    """The short Vietnamese report printed by `xltoolkit demo`."""
    s = demo.sample
    ws = demo.workspace
    first, last = s.years[0], s.years[-1]
    saved = "LibreOffice" if s.saved_with == "libreoffice" else "openpyxl"
    lines = [
        f"Chạy thử toàn bộ quy trình trên dữ liệu mẫu (seed {s.seed}), thư mục làm việc: {ws}",
        f"1. Biểu mẫu: {len(plan.agencies)} biểu mẫu mỗi năm, {first}-{last}: {ws}/<năm>/templates/",
        f"2. Tệp gửi về (mẫu): {len(s.files)} tệp, lưu bằng {saved}: {ws}/<năm>/nhan-ve/"
        f" ({s.seconds:.1f} giây)",
    ]
    if s.note:
        lines.append(f"   Lưu ý: {s.note}")
    lines.append(f"3. Kiểm tra và tổng hợp từng năm ({demo.seconds.get('consolidate', 0):.1f} giây):")
    for year, r in sorted(demo.results.items()):
        files, errors, warnings = _issue_counts(r)
        lines.append(
            f"   Năm {year}: nhận {len(r.received)}/{len(plan.agencies)} đơn vị, muộn {len(r.late)},"
            f" chưa gửi {len(r.missing)}; {files} tệp, {errors} lỗi, {warnings} cảnh báo"
        )
    r = demo.latest
    lines.append(f"4. Kết quả năm {r.year}:")
    lines.append(f"   Gửi muộn: {_names(plan, r.late)}. Chưa gửi: {_names(plan, r.missing)}.")
    resent = [x.original_name for x in r.submissions if x.state == "superseded"]
    if resent:
        lines.append(f"   Tệp đã được thay bằng tệp gửi lại: {', '.join(resent)}")
    bad = sorted(
        {
            f.get("agency") or "?"
            for f in r.file_issues
            if not f.get("valid") and f.get("state") != "superseded"
        }
    )
    if bad:
        lines.append(f"   Tệp có lỗi (số liệu lỗi không được tổng hợp): {_names(plan, bad)}")
    counts = {k: sum(1 for m in r.measures if m.status.status == k) for k in STATUS_LABELS}
    lines.append(
        "   Đánh giá tiến độ: " + "; ".join(f"{STATUS_LABELS[k]}: {n}" for k, n in counts.items() if n)
    )
    flagged = [m.code for m in r.measures if m.reconciliation_flag]
    if flagged:
        lines.append(f"   Số liệu sở, ngành lệch với tổng hợp cấp huyện: chỉ tiêu {', '.join(flagged)}")
    lines.append(f"5. Tệp tổng hợp năm {r.year}: {r.summary_path or '(chưa ghi được)'}")
    return lines


@main.command("demo", context_settings=CONTEXT)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_WORKSPACE,
    show_default=True,
    help="Thư mục chạy thử (được tạo lại mỗi lần chạy). / Demo workspace (rebuilt on each run).",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Hạt giống ngẫu nhiên. / Seed."
)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def demo_command(plan: Plan, workspace: Path, seed: int, as_json: bool) -> None:
    """Chạy thử cả quy trình trên dữ liệu mẫu 2021-2025. / Run the whole cycle on sample data."""
    demo = run_demo(plan, workspace, seed)
    if as_json:
        echo_json(demo.to_dict())
        return
    for line in render(demo, plan):
        click.echo(line)
