"""`xltoolkit report`: the click adapter over `xltoolkit.report.make_report`.

It only parses options and renders the returned result (Vietnamese text, or `--json` which is exactly
`result.to_dict()`).
"""

from __future__ import annotations

from pathlib import Path

import click

from xltoolkit.cli.common import CONTEXT, echo_json, plan_option, workspace_option
from xltoolkit.plan.model import Plan

#: The line reads «Đã lập dự thảo <kind> năm <year>», so the annual kind carries no «năm» of its own.
KIND_LABELS = {"annual": "báo cáo", "mid_term": "báo cáo sơ kết", "final": "báo cáo tổng kết"}


@click.command("report", context_settings=CONTEXT)
@click.option("--year", type=int, required=True, help="Năm báo cáo. / Reporting year.")
@workspace_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tệp Word; mặc định <workspace>/<năm>/bao-cao-<năm>.docx. / Output .docx file.",
)
@click.option(
    "--returned",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục tệp nhận về; mặc định <workspace>/<năm>/nhan-ve. / Returned files folder.",
)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def report_command(
    plan: Plan, year: int, workspace: Path, output: Path | None, returned: Path | None, as_json: bool
) -> None:
    """Lập dự thảo báo cáo (Word) của năm từ sổ theo dõi. / Draft the year's report document."""
    from xltoolkit.report import make_report

    result = make_report(plan, year, workspace=workspace, output=output, returned=returned)
    if as_json:
        echo_json(result.to_dict())
        return
    doc = result.document
    click.echo(f"Đã lập dự thảo {KIND_LABELS.get(doc.kind, 'báo cáo')} năm {doc.year}: {doc.subject}")
    click.echo(doc.period)
    click.echo(f"Tệp: {result.path}")
    click.echo("Cán bộ tổng hợp bổ sung mục «Kiến nghị, đề xuất», số và ngày văn bản trước khi trình ký.")
