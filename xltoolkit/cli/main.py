"""The `xltoolkit` command: a thin click adapter over the core functions.

Commands render what the core returns (text for people, `--json` for machines) and map failures to
exit codes; they hold no logic of their own, so the CLI and the Excel add-in cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import click

from xltoolkit import Plan, __version__
from xltoolkit.cli.addin import addin
from xltoolkit.cli.common import CONTEXT, echo_json, plan_option
from xltoolkit.cli.consolidate import consolidate_command
from xltoolkit.cli.demo import demo_command
from xltoolkit.cli.validate import validate
from xltoolkit.plan.model import COMPARISON_LABELS
from xltoolkit.workspace import DEFAULT_WORKSPACE, templates_dir


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="xltoolkit", message="%(prog)s %(version)s")
def main() -> None:
    """xltoolkit — theo dõi Kế hoạch thực hiện Chương trình hành động vì trẻ em 2021-2030.

    Tạo biểu mẫu Excel cho từng cơ quan, kiểm tra tệp gửi về, tổng hợp và đánh giá tiến độ
    so với mục tiêu. (Spreadsheet toolkit for the yearly monitoring of the Children's Action Program.)
    """


# ---------------------------------------------------------------------------------------------- plan


@main.group(context_settings=CONTEXT)
def plan() -> None:
    """Xem kế hoạch: chỉ tiêu, mục tiêu, cơ quan chủ trì. / Inspect the plan catalog."""


@plan.command("show", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def plan_show(plan: Plan, as_json: bool) -> None:
    """In danh mục chỉ tiêu của kế hoạch. / Print the plan catalog."""
    if as_json:
        echo_json(plan.to_dict())
        return
    click.echo(plan.name)
    click.echo(f"Mã kế hoạch: {plan.id} (phiên bản {plan.version})")
    dd, mm = plan.deadline.split("-")[1], plan.deadline.split("-")[0]
    click.echo(f"Hạn báo cáo hằng năm: {dd}/{mm}; sơ kết, tổng kết: {', '.join(map(str, plan.review_years))}")
    years = sorted({y for m in plan.measures for y in m.targets})
    for ind in plan.indicators:
        lead = plan.agency_by_id[ind.lead].label
        click.echo(f"\nChỉ tiêu {ind.number} — {ind.name}  [chủ trì: {lead}]")
        for m in ind.measures:
            targets = ", ".join(f"{y}: {_num(m.target(y))}" for y in years if m.target(y) is not None) or (
                f"hằng năm: {_num(m.standing_target)}" if m.standing_target is not None else "—"
            )
            click.echo(f"  {m.code:>4}  {m.name} ({m.unit}); {COMPARISON_LABELS[m.comparison]} — {targets}")
    click.echo("\nCơ quan, đơn vị báo cáo:")
    for a in plan.agencies:
        code = f" [{a.code}]" if a.code else ""
        click.echo(f"  {a.id:<15} {plan.body_name(a)}{code} — {len(plan.measures_for(a))} chỉ tiêu")


def _num(x: float | None) -> str:
    return "—" if x is None else format(x, "g").replace(".", ",")


# ----------------------------------------------------------------------------------------- templates


@main.command(context_settings=CONTEXT)
@click.option("--year", type=int, required=True, help="Năm báo cáo. / Reporting year.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục ghi biểu mẫu; mặc định workbooks/<năm>/templates. / Output folder.",
)
@click.option(
    "--agency",
    "agencies",
    multiple=True,
    help="Chỉ tạo cho cơ quan này (mã hoặc mã hành chính); lặp lại được. / Only these agencies.",
)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def templates(plan: Plan, year: int, out_dir: Path | None, agencies: tuple[str, ...], as_json: bool) -> None:
    """Tạo biểu mẫu báo cáo cho từng cơ quan, đơn vị. / Generate the per-agency templates."""
    from xltoolkit import generate_templates

    out = out_dir or templates_dir(DEFAULT_WORKSPACE, year)
    results = generate_templates(plan, year, out, list(agencies) or None)
    if as_json:
        echo_json({"year": year, "templates": [r.to_dict() for r in results]})
        return
    click.echo(f"Đã tạo {len(results)} biểu mẫu năm {year} trong {out}:")
    for r in results:
        click.echo(f"  {r.path}")


# Commands of the later pipeline stages live in their own modules; registered here so that
# `xltoolkit --help` lists them all.
for _command in (validate, consolidate_command, demo_command, addin):
    main.add_command(_command)
main.add_command(__import__("xltoolkit.cli.report", fromlist=["report_command"]).report_command)


if __name__ == "__main__":
    main()
