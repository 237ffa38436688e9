"""The `xltoolkit` command: a thin click adapter over the core functions.

Commands render what the core returns (text for people, `--json` for machines) and map failures to
exit codes; they hold no logic of their own, so the CLI and the Excel add-in cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import click

from xltoolkit import Plan, __version__
from xltoolkit.cli.addin import addin
from xltoolkit.cli.common import CONTEXT, check_year, echo_json, plan_option
from xltoolkit.cli.consolidate import consolidate_command
from xltoolkit.cli.demo import demo_command
from xltoolkit.cli.report import report_command
from xltoolkit.cli.usage import VietnameseGroup
from xltoolkit.cli.validate import validate
from xltoolkit.plan.model import COMPARISON_LABELS
from xltoolkit.workspace import DEFAULT_WORKSPACE, templates_dir


@click.group(cls=VietnameseGroup, context_settings=CONTEXT)
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
@click.option(
    "--year",
    type=int,
    default=None,
    help="Kế hoạch có hiệu lực năm này (đơn vị báo cáo, sở, ngành, cơ quan tổng hợp). / Plan as in year.",
)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@plan_option
def plan_show(plan: Plan, year: int | None, as_json: bool) -> None:
    """In danh mục chỉ tiêu của kế hoạch. / Print the plan catalog."""
    if year is not None:
        check_year(plan, year)
        plan = plan.for_year(year)
    if as_json:
        echo_json(plan.to_dict())
        return
    click.echo(plan.name)
    if plan.edition is not None and plan.year is not None:
        _echo_edition(plan, plan.year)
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
        if a.is_local and plan.edition is not None:
            continue  # listed above with the edition
        code = f" [{a.code}]" if a.code else ""
        click.echo(f"  {a.id:<15} {plan.body_name(a)}{code} — {len(plan.measures_for(a))} chỉ tiêu")


def _echo_edition(plan: Plan, year: int) -> None:
    """What is in force in the year: edition, consolidator, recipients, reporting units."""
    e = plan.edition
    assert e is not None
    info = plan.edition_dict(e)
    start = f"{e.valid_from:%d/%m/%Y}" if e.valid_from else "…"
    end = f"{e.valid_to:%d/%m/%Y}" if e.valid_to else "nay"
    click.echo(f"Năm {year}: phiên bản {e.id} (hiệu lực {start} đến {end}); tỉnh {plan.province}")
    if e.note:
        click.echo(f"  {e.note}")
    click.echo(f"Cơ quan tổng hợp: {plan.agency_by_id[plan.consolidator].name}")
    if info["recipients"]:
        click.echo(f"Báo cáo gửi: {'; '.join(info['recipients'])}")
    units = plan.districts
    kinds = "xã, phường" if any(u.kind == "commune" for u in units) else "huyện, thị xã, thành phố"
    click.echo(f"Đơn vị báo cáo cấp {kinds}: {len(units)}")
    for u in units:
        click.echo(f"  {u.code or '':>6}  {u.name}")
    for n, note in sorted(e.lead_notes.items()):
        click.echo(f"  Chỉ tiêu {n}: {note}")


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
    from xltoolkit import config, generate_templates

    check_year(plan, year)
    plan = plan.for_year(year)
    out = out_dir or templates_dir(DEFAULT_WORKSPACE, year)
    results = generate_templates(plan, year, out, list(agencies) or None)
    keyed = config.fingerprint_secret() is not None
    if as_json:
        echo_json({"year": year, "fingerprint_keyed": keyed, "templates": [r.to_dict() for r in results]})
        return
    click.echo(f"Đã tạo {len(results)} biểu mẫu năm {year} trong {out}:")
    for r in results:
        click.echo(f"  {r.path}")
    if not keyed:
        click.echo(UNKEYED_NOTICE)


#: Said every time templates are made without the provincial secret (issue: nobody should believe
#: a plain hash protects the locked content).
UNKEYED_NOTICE = (
    "Lưu ý: chưa cấu hình khóa bí mật của tỉnh (XLTOOLKIT_SECRET_FILE), nên dấu kiểm tra của biểu mẫu chỉ "
    "là mã băm SHA-256 thông thường: ai có biểu mẫu cũng tính lại được, nên không chống được việc sửa nội "
    "dung cố định một cách cố ý. Xem README, mục «Security and reliability», để tạo khóa."
)


# Commands of the later pipeline stages live in their own modules; registered here so that
# `xltoolkit --help` lists them all.
for _command in (validate, consolidate_command, demo_command, addin, report_command):
    main.add_command(_command)


if __name__ == "__main__":
    main()
