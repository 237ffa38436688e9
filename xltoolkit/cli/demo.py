"""`xltoolkit demo`: renders `demo.run_demo` (the whole cycle on the seeded sample)."""

from __future__ import annotations

from pathlib import Path

import click

from xltoolkit.cli.common import CONTEXT, echo_json, plan_option
from xltoolkit.consolidation.results import ConsolidationResult
from xltoolkit.demo.run import DEFAULT_SEED, DEFAULT_WORKSPACE, DemoResult, run_demo
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS

# --------------------------------------------------------------------------------------------- CLI


def _names(plan: Plan, ids: list[str]) -> str:
    return ", ".join(plan.agency_by_id[a].label if a in plan.agency_by_id else a for a in ids) or "không có"


def _issue_counts(result: ConsolidationResult) -> tuple[int, int, int]:
    errors = sum(1 for f in result.file_issues for i in f.issues if i.is_error)
    warnings = sum(1 for f in result.file_issues for i in f.issues if not i.is_error)
    return len(result.file_issues), errors, warnings


def _templates_per_year(plan: Plan, years: tuple[int, ...]) -> str:
    """«2021-2024: 26 biểu mẫu/năm (cấp huyện); 2025-2026: 69 …»: one stretch per edition."""
    from xltoolkit.plan.history import local_terms

    stretches: list[tuple[int, int, Plan]] = []
    for year in years:
        yplan = plan.for_year(year)
        if stretches and stretches[-1][2].edition == yplan.edition:
            stretches[-1] = (stretches[-1][0], year, yplan)
        else:
            stretches.append((year, year, yplan))
    parts = []
    for lo, hi, yplan in stretches:
        span = f"{lo}-{hi}" if hi > lo else str(lo)
        level = local_terms(yplan).level if yplan.districts else ""
        parts.append(f"{span}: {len(yplan.agencies)} biểu mẫu/năm" + (f", {level}" if level else ""))
    return "; ".join(parts)


def render(demo: DemoResult, plan: Plan) -> list[str]:
    """The short Vietnamese report printed by `xltoolkit demo`."""
    s = demo.sample
    ws = demo.workspace
    first, last = s.years[0], s.years[-1]
    saved = "LibreOffice" if s.saved_with == "libreoffice" else "openpyxl"
    lines = [
        f"Chạy thử toàn bộ quy trình trên dữ liệu mẫu (seed {s.seed}), thư mục làm việc: {ws}",
        f"1. Biểu mẫu {first}-{last} ({_templates_per_year(plan, s.years)}): {ws}/<năm>/templates/",
        f"2. Tệp gửi về (mẫu): {len(s.files)} tệp, lưu bằng {saved}: {ws}/<năm>/nhan-ve/"
        f" ({s.seconds:.1f} giây)",
    ]
    if s.note:
        lines.append(f"   Lưu ý: {s.note}")
    lines.append(f"3. Kiểm tra và tổng hợp từng năm ({demo.seconds.get('consolidate', 0):.1f} giây):")
    for year, r in sorted(demo.results.items()):
        files, errors, warnings = _issue_counts(r)
        lines.append(
            f"   Năm {year}: nhận {len(r.received)}/{len(plan.for_year(year).agencies)} đơn vị,"
            f" muộn {len(r.late)},"
            f" chưa gửi {len(r.missing)}; {files} tệp, {errors} lỗi, {warnings} cảnh báo"
        )
    r = demo.latest
    plan = plan.for_year(r.year)
    lines.append(f"4. Kết quả năm {r.year}:")
    lines.append(f"   Gửi muộn: {_names(plan, r.late)}. Chưa gửi: {_names(plan, r.missing)}.")
    resent = [x.original_name for x in r.submissions if x.state == "superseded"]
    if resent:
        lines.append(f"   Tệp đã được thay bằng tệp gửi lại: {', '.join(resent)}")
    bad = sorted({f.agency or "?" for f in r.file_issues if not f.valid and f.state != "superseded"})
    if bad:
        lines.append(f"   Tệp có lỗi (số liệu lỗi không được tổng hợp): {_names(plan, bad)}")
    counts = {k: sum(1 for m in r.measures if m.status.status == k) for k in STATUS_LABELS}
    lines.append(
        "   Đánh giá tiến độ: " + "; ".join(f"{STATUS_LABELS[k]}: {n}" for k, n in counts.items() if n)
    )
    flagged = [m.code for m in r.measures if m.reconciliation_flag]
    if flagged:
        lines.append(
            f"   Số liệu sở, ngành lệch với tổng của các đơn vị báo cáo: chỉ tiêu {', '.join(flagged)}"
        )
    lines.append(f"5. Tệp tổng hợp năm {r.year}: {r.summary_path or '(chưa ghi được)'}")
    for year, path in sorted(demo.reports.items()):
        kind = "tổng kết" if year >= plan.period[1] else "sơ kết"
        lines.append(f"6. Báo cáo {kind} năm {year} (Word, để cán bộ chỉnh sửa và ký): {path}")
    return lines


@click.command("demo", context_settings=CONTEXT)
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
    """Chạy thử cả quy trình trên dữ liệu mẫu 2021-2026 (qua lần sắp xếp đơn vị hành chính năm 2025).
    / Run the whole cycle on sample data, across the 2025 change."""
    demo = run_demo(plan, workspace, seed)
    if as_json:
        echo_json(demo.to_dict())
        return
    for line in render(demo, plan):
        click.echo(line)
