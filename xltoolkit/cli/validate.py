"""`xltoolkit validate`: check returned workbooks and show the issues per file and sheet.

A thin adapter: `validate_paths` does the work, this renders its report (Vietnamese text for people,
`--json` = `ValidationReport.to_dict()` for machines) and exits 1 when any file has an error.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import click

from xltoolkit import Issue, Plan, ValidationReport
from xltoolkit.cli.common import CONTEXT, check_year, echo_json, plan_option
from xltoolkit.errors import XltoolkitError
from xltoolkit.issues import SEVERITY_LABELS
from xltoolkit.validation.results import FileReport


@click.command("validate", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--year", type=int, default=None, help="Năm báo cáo phải khớp. / Expected reporting year.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON. / Print JSON.")
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Ghi bản sao có đánh dấu ô lỗi vào thư mục này. / Write annotated copies here.",
)
@plan_option
def validate(
    plan: Plan, paths: tuple[Path, ...], year: int | None, as_json: bool, annotate_dir: Path | None
) -> None:
    """Kiểm tra các tệp báo cáo gửi về (tệp hoặc thư mục). / Validate returned workbooks."""
    from xltoolkit import validate_paths

    if year is not None:
        check_year(plan, year)
    if annotate_dir is not None:
        check_annotate_dir(annotate_dir, paths)
    report = validate_paths(list(paths), plan, year=year)
    if not report.files:
        raise XltoolkitError(
            "no-workbooks",
            "Không có tệp bảng tính (.xlsx) nào trong "
            + ", ".join(str(p) for p in paths)
            + ": hãy kiểm tra lại đường dẫn thư mục tệp gửi về.",
        )
    written: list[Path] = []
    if annotate_dir is not None:
        from xltoolkit.validation.feedback import annotate_report

        written = annotate_report(report, annotate_dir)
    if as_json:
        echo_json(report.to_dict())
    else:
        render(report, written, plan)
    if not report.valid:
        sys.exit(1)


def check_annotate_dir(annotate_dir: Path, paths: tuple[Path, ...]) -> None:
    """Feedback copies never go into (or under) a folder being validated.

    They are valid workbooks of the same unit: written among the returned files they would be
    validated again next time and taken in by `consolidate` as the unit's newest report.
    """
    out = annotate_dir.resolve()
    for p in paths:
        folder = p.resolve()
        if folder.is_dir() and (out == folder or folder in out.parents):
            raise XltoolkitError(
                "annotate-inside-input",
                f"Không ghi bản sao phản hồi vào {annotate_dir}: thư mục này nằm trong thư mục tệp gửi về "
                f"{p}, nên các bản sao sẽ bị kiểm tra và tổng hợp như tệp báo cáo. Hãy chọn thư mục khác "
                "(ví dụ …/phan-hoi bên cạnh thư mục nhan-ve).",
            )


def render(report: ValidationReport, written: list[Path], plan: Plan | None = None) -> None:
    for f in report.files:
        _render_file(f, plan)
    s = report.stats
    click.echo(
        f"\nTổng cộng: {s['files']} tệp, {s['valid_files']} tệp đạt, {s['invalid_files']} tệp có lỗi; "
        f"{s['errors']} lỗi, {s['warnings']} cảnh báo."
    )
    if written:
        click.echo(f"Đã ghi {len(written)} bản sao có đánh dấu lỗi:")
        for p in written:
            click.echo(f"  {p}")


def _render_file(f: FileReport, plan: Plan | None) -> None:
    name = f.agency
    if plan is not None and f.year is not None:
        plan = plan.for_year(f.year)
    if plan is not None and f.agency in plan.agency_by_id:
        name = plan.body_name(plan.agency_by_id[f.agency])
    year = f", năm {f.year}" if f.year is not None else ""
    who = f" — {name}{year}" if f.agency else ""
    state = "ĐẠT" if f.valid else "CÓ LỖI"
    click.echo(f"\n{f.path}{who}: {state}")
    groups: dict[str, list[Issue]] = defaultdict(list)
    for i in f.issues:
        groups[i.sheet or "(tệp)"].append(i)
    for sheet, issues in groups.items():
        click.echo(f"  Trang «{sheet}»:" if sheet != "(tệp)" else "  Toàn tệp:")
        for i in issues:
            where = f"{i.cell}: " if i.cell else ""
            click.echo(f"    [{SEVERITY_LABELS[i.severity]}] {where}{i.message} ({i.code})")
