"""`xltoolkit addin serve|manifest`: run the Excel add-in server and write its manifest.

Thin click adapter over `xltoolkit.addin.server`; the server itself is xlwings-server (the `addin`
extra), with this package's small override folder (`xltoolkit/addin/`) as its project. Without the
extra, the commands say how to install it: the rest of the CLI never imports xlwings.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import click

from xltoolkit.addin import server
from xltoolkit.cli.common import CONTEXT, fail, plan_option, plan_option_with_path, workspace_option
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan

#: Modules of the `addin` extra (import names).
EXTRA_MODULES = ("xlwings", "xlwings_server", "uvicorn", "jinja2")
MISSING_EXTRA = (
    "Chưa cài phần add-in Excel (gói xlwings, xlwings-server, uvicorn). Cài bằng lệnh:\n"
    '  pip install "xltoolkit[addin]"\n'
    "(hoặc, trong thư mục mã nguồn: pip install -e '.[addin]'), rồi chạy lại lệnh."
)


def _installed(name: str) -> bool:
    """Whether `import name` can work, without importing it: xlwings-server reads its settings once,
    at import, so importing it before `addin serve` configures the environment would fix them."""
    if name in sys.modules:
        return sys.modules[name] is not None  # None: Python's own marker for "import fails"
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_extra() -> None:
    """Exit 2 with the Vietnamese install hint when a module of the `addin` extra is missing."""
    missing = [name for name in EXTRA_MODULES if not _installed(name)]
    if missing:
        fail(XltoolkitError("addin-extra-missing", f"{MISSING_EXTRA}\n(thiếu: {', '.join(missing)})"))


@click.group(context_settings=CONTEXT)
def addin() -> None:
    """Add-in Excel (thẻ «Trẻ em»): chạy máy chủ, tạo manifest. / Excel add-in server and manifest.

    \b
    Cần phần cài đặt add-in: pip install "xltoolkit[addin]".
    Chứng chỉ HTTPS tin cậy cho máy này (Excel chỉ nạp add-in qua HTTPS):
      mkcert -install
      mkcert -cert-file certs/localhost+2.pem -key-file certs/localhost+2-key.pem localhost 127.0.0.1 ::1
    Giấy phép xlwings: máy chủ chạy với XLWINGS_LICENSE_KEY=noncommercial (PolyForm Noncommercial).
    """
    require_extra()


@addin.command("serve", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe. / Bind address.")
@click.option("--port", default=server.DEFAULT_PORT, show_default=True, type=int, help="Cổng. / Port.")
@click.option(
    "--url",
    default=None,
    help="Địa chỉ HTTPS các máy trạm dùng (manifest trỏ tới đây); mặc định https://localhost:CỔNG, "
    "hoặc địa chỉ --host. / The HTTPS base URL officers' Excel uses.",
)
@click.option(
    "--certs",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("certs"),
    show_default=True,
    help="Thư mục chứa chứng chỉ và khóa HTTPS (.pem). / Folder with the cert/key pair.",
)
@workspace_option
@click.option(
    "--max-request-mb",
    type=click.FloatRange(min=0.1),
    default=server.DEFAULT_MAX_BYTES / (1024 * 1024),
    show_default=True,
    help="Kích thước tối đa của một yêu cầu (MB). / Request body limit.",
)
@plan_option_with_path
def serve_cmd(
    plan: Plan,
    plan_path: Path | None,
    host: str,
    port: int,
    url: str | None,
    certs: Path,
    workspace: Path,
    max_request_mb: float,
) -> None:
    """Chạy máy chủ add-in (HTTPS). / Start the add-in server.

    Mặc định chỉ nhận kết nối từ chính máy này. Khi mở cho mạng (--host khác 127.0.0.1), phải đặt
    mã truy cập trong biến môi trường XLTOOLKIT_ADDIN_TOKEN. Add-in dùng kế hoạch --plan đã cho khi
    khởi động.
    """
    config = server.prepare_serve(
        host,
        port,
        certs,
        workspace,
        int(max_request_mb * 1024 * 1024),
        url=url,
        plan_path=plan_path,
    )
    click.echo(f"Máy chủ add-in: {config.url}  (manifest: {config.url}/manifest.xml)")
    click.echo(f"Kế hoạch: {plan.name} (mã {plan.id}, phiên bản {plan.version})")
    click.echo(f"Thư mục làm việc: {workspace.resolve()}")
    if config.require_token:
        click.echo("Yêu cầu mã truy cập (XLTOOLKIT_ADDIN_TOKEN) cho mọi lệnh từ Excel.")
    server.serve(config)


@addin.command("manifest", context_settings=CONTEXT)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ghi manifest vào tệp này (mặc định: in ra màn hình). / Output file (default: stdout).",
)
@click.option("--force", is_flag=True, help="Ghi đè tệp --output đã có. / Overwrite an existing file.")
@click.option(
    "--url",
    default=server.DEFAULT_URL,
    show_default=True,
    help="Địa chỉ HTTPS của máy chủ add-in. / The server's HTTPS base URL.",
)
@plan_option
def manifest_cmd(plan: Plan, output: Path | None, force: bool, url: str) -> None:
    """In hoặc ghi manifest để nạp add-in vào Excel. / Print or write the add-in manifest."""
    del plan  # the manifest does not depend on the plan; --plan is accepted like every command's
    text = server.render_manifest(url)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    if output.exists() and not force:
        fail(
            XltoolkitError(
                "output-exists",
                f"Tệp {output} đã có; không ghi đè. Chọn tên khác, hoặc thêm --force để ghi đè.",
            )
        )
    from xltoolkit.workbook.xlio import write_atomic

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(output, write)
    click.echo(f"Đã ghi manifest: {output}", err=True)
    if os.name == "nt":
        click.echo("Nạp vào Excel: chép tệp vào thư mục chia sẻ đã khai báo trong Trust Center.", err=True)
