"""`xltoolkit addin serve|manifest`: run the Excel add-in server and write its manifest.

Thin click adapter over `xltoolkit.addin.server`; the server itself is xlwings-server, installed as a
dependency, with this package's small override folder (`xltoolkit/addin/`) as its project.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from xltoolkit.addin import server
from xltoolkit.cli.common import CONTEXT, fail, workspace_option
from xltoolkit.errors import XltoolkitError


@click.group(context_settings=CONTEXT)
def addin() -> None:
    """Add-in Excel (thẻ «Trẻ em»): chạy máy chủ, tạo manifest. / Excel add-in server and manifest.

    \b
    Chứng chỉ HTTPS tin cậy cho máy này (Excel chỉ nạp add-in qua HTTPS):
      mkcert -install
      mkcert -cert-file certs/localhost+2.pem -key-file certs/localhost+2-key.pem localhost 127.0.0.1 ::1
    Giấy phép xlwings: máy chủ chạy với XLWINGS_LICENSE_KEY=noncommercial (PolyForm Noncommercial).
    """


@addin.command("serve", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe. / Bind address.")
@click.option("--port", default=server.DEFAULT_PORT, show_default=True, type=int, help="Cổng. / Port.")
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
def serve_cmd(host: str, port: int, certs: Path, workspace: Path, max_request_mb: float) -> None:
    """Chạy máy chủ add-in (HTTPS). / Start the add-in server.

    Mặc định chỉ nhận kết nối từ chính máy này. Khi mở cho mạng (--host khác 127.0.0.1), phải đặt
    mã truy cập trong biến môi trường XLTOOLKIT_ADDIN_TOKEN.
    """
    try:
        config = server.prepare_serve(host, port, certs, workspace, int(max_request_mb * 1024 * 1024))
    except XltoolkitError as e:
        fail(e)
    shown = "localhost" if server.is_loopback(host) else host
    click.echo(f"Máy chủ add-in: https://{shown}:{port}  (manifest: https://{shown}:{port}/manifest.xml)")
    click.echo(f"Thư mục làm việc: {workspace.resolve()}")
    if config.require_token:
        click.echo("Yêu cầu mã truy cập (XLTOOLKIT_ADDIN_TOKEN) cho mọi lệnh từ Excel.")
    server.serve(config)


@addin.command("manifest", context_settings=CONTEXT)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("manifest.xml"),
    show_default=True,
    help="Tệp manifest ghi ra. / Output file.",
)
@click.option(
    "--url",
    default=server.DEFAULT_URL,
    show_default=True,
    help="Địa chỉ HTTPS của máy chủ add-in. / The server's HTTPS base URL.",
)
def manifest_cmd(output: Path, url: str) -> None:
    """Ghi manifest để nạp add-in vào Excel. / Write the add-in manifest."""
    try:
        text = server.render_manifest(url)
    except XltoolkitError as e:
        fail(e)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"Đã ghi manifest: {output}")
    if os.name == "nt":
        click.echo("Nạp vào Excel: chép tệp vào một thư mục chia sẻ đã khai báo trong Trust Center.")
