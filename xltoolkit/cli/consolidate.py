"""`xltoolkit consolidate`: the click adapter over `xltoolkit.consolidation.intake.consolidate`.

It only parses options and renders the returned result (Vietnamese text, or `--json` which is exactly
`result.to_dict()`), so the CLI, the API and the add-in report the same thing.
"""

from __future__ import annotations

from pathlib import Path

import click

from xltoolkit.cli.common import CONTEXT, echo_json, plan_option, workspace_option
from xltoolkit.consolidation.results import ConsolidationResult, Submission
from xltoolkit.plan.model import Plan
from xltoolkit.plan.status import STATUS_LABELS


@click.command("consolidate", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--year", type=int, required=True, help="Năm báo cáo. / Reporting year.")
@workspace_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tệp tổng hợp; mặc định <workspace>/<năm>/tong-hop-<năm>.xlsx. / Summary workbook.",
)
@click.option(
    "--received-at",
    "received_at",
    multiple=True,
    metavar="[CƠ-QUAN=]NGÀY",
    help="Ngày nhận thực tế, ví dụ h-ben-luc=2026-12-20 (lặp lại được), hoặc một ngày cho tất cả. "
    "Mặc định: thời điểm sửa tệp. Ngày đã nhập được ghi vào sổ theo dõi và giữ nguyên ở các lần chạy "
    "sau (không cần nhập lại); nhập lại để sửa. Ngày phải từ 01/01 của năm trước năm báo cáo đến nay "
    "(cho phép sai lệch đồng hồ 31 ngày). / Received date per agency (or file name), or one for all; "
    "remembered by later runs without the option; from 1 January of the year before the reporting year "
    "to now (31 days of clock tolerance).",
)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def consolidate_command(
    plan: Plan,
    folder: Path,
    year: int,
    workspace: Path,
    output: Path | None,
    received_at: tuple[str, ...],
    as_json: bool,
) -> None:
    """Tiếp nhận, kiểm tra và tổng hợp các tệp báo cáo gửi về. / Intake and consolidate returned files."""
    from xltoolkit.consolidation.intake import consolidate, parse_received_at

    result = consolidate(
        folder,
        year,
        plan=plan,
        workspace=workspace,
        output=output,
        received_at=parse_received_at(received_at),
    )
    if as_json:
        echo_json(result.to_dict())
        return
    _render(result, plan)


def _render(result: ConsolidationResult, plan: Plan) -> None:
    plan = plan.for_year(result.year)  # the agencies expected that year (districts or communes)

    def names(ids: list[str]) -> str:
        return ", ".join(plan.agency_by_id[a].label for a in ids) or "—"

    total = len(plan.agencies)
    click.echo(f"Tổng hợp báo cáo năm {result.year} — {plan.name}")
    click.echo(f"Đã nhận: {len(result.received)}/{total} cơ quan, đơn vị.")
    click.echo(f"Gửi muộn (sau ngày {plan.deadline_for(result.year):%d/%m/%Y}): {names(result.late)}")
    click.echo(f"Chưa gửi: {names(result.missing)}")
    rejected = [s for s in result.submissions if s.state == "rejected"]
    superseded = [s for s in result.submissions if s.state == "superseded"]
    if rejected:
        click.echo(f"Tệp không sử dụng được (đã lưu trữ): {len(rejected)}")
        for s in rejected:
            click.echo(f"  {s.original_name} ({s.sha256[:12]})")
    if superseded:
        click.echo(f"Tệp đã được thay bằng tệp gửi sau: {len(superseded)}")
    _render_files(result)
    counts = {s: sum(m.status.status == s for m in result.measures) for s in STATUS_LABELS}
    shown = "; ".join(f"{STATUS_LABELS[s]}: {n}" for s, n in counts.items() if n)
    click.echo(f"Tình trạng {len(result.measures)} chỉ tiêu so với mục tiêu (cấp tỉnh): {shown}")
    _render_review(result, plan)
    from xltoolkit.plan.history import local_terms

    local = local_terms(plan)
    excluded = [f"{m.code} ({names(m.districts_excluded)})" for m in result.measures if m.districts_excluded]
    if excluded:
        click.echo(f"Số liệu {local.level} có lỗi, không đưa vào tổng hợp: " + "; ".join(excluded))
    flagged = [m.code for m in result.measures if m.reconciliation_flag]
    if flagged:
        click.echo(f"Số liệu của sở, ngành lệch với tổng hợp {local.level} ở chỉ tiêu: " + ", ".join(flagged))
    if result.summary_path:
        click.echo(f"Tệp tổng hợp: {result.summary_path}")


def _render_review(result: ConsolidationResult, plan: Plan) -> None:
    """Met or not at this year's milestones, the gap, and the outlook to the next target."""
    from xltoolkit.plan.review import VERDICT_LABELS, format_gap

    if result.review:
        r = result.review
        click.echo(
            f"Kết quả {r.kind_label} năm {r.year}: {r.indicators_met}/{r.indicators_with_target} chỉ tiêu "
            f"đạt mục tiêu ({r.measures_met}/{r.measures_with_target} nội dung chỉ tiêu; kế hoạch có "
            f"{len(plan.indicators)} chỉ tiêu gồm {len(plan.measures)} nội dung)."
        )
    for m in result.measures:
        pm = plan.measure_by_code.get(m.code)
        if pm is None or (m.verdict is None and m.outlook is None):
            continue
        parts = []
        if m.verdict:
            parts.append(f"{VERDICT_LABELS[m.verdict]} ({format_gap(pm, m.gap)})")
        if m.outlook:
            parts.append(m.outlook.label)
        click.echo(f"  {m.code}: " + "; ".join(parts))


def _other_year_use(s: Submission) -> str:
    """What a file of another year now is for its own year.

    An accepted one replaces that unit's earlier report of that year at once (the ledger is the
    history every later summary and report reads), so the officer is told which year to consolidate
    again: otherwise that year's summary workbook on disk no longer matches the ledger.
    """
    if s.state == "accepted":
        return (
            f" — nay là báo cáo được dùng của đơn vị cho năm {s.year} (thay bản trước, nếu có); nếu tệp "
            f"tổng hợp năm {s.year} đã lập trước khi nhận tệp này, hãy lập lại: xltoolkit consolidate "
            f"<thư mục tệp năm {s.year}> --year {s.year}"
        )
    if s.state == "superseded":
        return " — không dùng (đơn vị đã gửi bản sau cho năm đó)"
    return " — không dùng (tệp có lỗi)"


def _render_files(result: ConsolidationResult) -> None:
    """What a newcomer would otherwise only find in --json: files of another year, received times
    the officer gave (kept from an earlier run), files of the folder not taken in."""
    other = result.other_year_files
    if other:
        click.echo(
            f"Tệp không thuộc năm {result.year} (đã lưu vào sổ theo dõi theo năm của tệp, không dùng cho "
            f"năm {result.year}): {len(other)}"
        )
        for s in other:
            click.echo(f"  {s.original_name}: báo cáo năm {s.year}{_other_year_use(s)}")
    given = result.given_received_times
    if given:
        click.echo(
            "Ngày nhận do cán bộ nhập (--received-at; được giữ ở các lần chạy sau, nhập lại để sửa): "
            f"{len(given)}"
        )
        for s in given:
            click.echo(f"  {s.original_name}: {s.received_at:%d/%m/%Y %H:%M}")
    misnamed = [(o, i) for o in result.file_issues for i in o.issues if i.code == "file-named-for-other-unit"]
    if misnamed:
        click.echo(f"Tệp mang tên biểu mẫu của đơn vị khác (cần xem lại): {len(misnamed)}")
        for o, i in misnamed:
            click.echo(f"  {Path(o.path).name}: {i.message}")
    if result.skipped:
        click.echo(f"Tệp trong thư mục không được tiếp nhận: {len(result.skipped)}")
        for f in result.skipped:
            click.echo(f"  {f.name}: {f.message}")
