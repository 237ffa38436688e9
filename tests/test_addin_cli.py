"""`xltoolkit addin ...` as an extra, `--plan` on every add-in command, the manifest never silently
overwritten, and the small public API (`import xltoolkit`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

import xltoolkit
from xltoolkit import config
from xltoolkit.addin import bridge, server
from xltoolkit.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
ADDIN_EXTRA = ("xlwings", "xlwings_server", "uvicorn")

# ----------------------------------------------------------------------------------- the extra


@pytest.mark.parametrize("module", ADDIN_EXTRA)
@pytest.mark.parametrize("command", [["addin", "manifest"], ["addin", "serve"]])
def test_addin_without_the_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, command: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what Python does for a module that cannot import
    res = CliRunner().invoke(main, command)
    assert res.exit_code == 2, res.output
    assert "addin-extra-missing" in res.output
    assert "pip install" in res.output and "xltoolkit[addin]" in res.output
    assert module in res.output


def test_cli_imports_and_runs_without_xlwings(tmp_path: Path) -> None:
    """Everything but `addin` works with the extra's modules unimportable (a fresh interpreter)."""
    code = textwrap.dedent(
        f"""
        import sys
        for name in {ADDIN_EXTRA!r}:
            sys.modules[name] = None
        from click.testing import CliRunner
        from xltoolkit.cli.main import main
        res = CliRunner().invoke(main, ["plan", "show", "--json"])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(main, ["templates", "--year", "2024", "--agency", "so-tp",
                                        "--out", {str(tmp_path / "t")!r}])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(main, ["addin", "serve"])
        assert res.exit_code == 2 and "addin-extra-missing" in res.output, res.output
        loaded = [m for m in sys.modules if m.split(".")[0] in {ADDIN_EXTRA!r} and sys.modules[m]]
        assert not loaded, loaded
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# ---------------------------------------------------------------------------------------- --plan


def _other_plan(tmp_path: Path) -> Path:
    text = (ROOT / "schemas" / "plan-long-an-2021-2030.toml").read_text(encoding="utf-8")
    path = tmp_path / "plan-khac.toml"
    path.write_text(text.replace('version = "2021.1"', 'version = "2021.9"', 1), encoding="utf-8")
    return path


def test_serve_passes_its_plan_to_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "certs").mkdir()
    for name in ("cert.pem", "key.pem"):
        (tmp_path / "certs" / name).write_text("x")
    plan_path = _other_plan(tmp_path)
    environ: dict[str, str] = {}
    server.prepare_serve(
        "127.0.0.1", 8443, tmp_path / "certs", tmp_path, environ=environ, plan_path=plan_path
    )
    assert environ[config.PLAN_ENV] == str(plan_path.resolve())
    # The scripts read the plan the server was started with, through config.
    monkeypatch.setenv(config.PLAN_ENV, environ[config.PLAN_ENV])
    assert bridge.current_plan().version == "2021.9"
    monkeypatch.delenv(config.PLAN_ENV)
    assert bridge.current_plan().version == "2021.1"


def test_serve_refuses_a_broken_plan_before_starting(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("id = [", encoding="utf-8")
    res = CliRunner().invoke(main, ["addin", "serve", "--plan", str(broken), "--certs", str(tmp_path)])
    assert res.exit_code == 2
    assert "plan-syntax" in res.output


def test_serve_on_a_wildcard_address_needs_the_url(tmp_path: Path) -> None:
    environ = {server.TOKEN_ENV: "a-long-enough-token-0123456789"}
    with pytest.raises(server.XltoolkitError) as err:
        server.prepare_serve("0.0.0.0", 8443, tmp_path, tmp_path, environ=environ)
    assert err.value.code == "addin-url-required"


def test_manifest_accepts_plan_and_prints_to_stdout(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        ["addin", "manifest", "--plan", str(_other_plan(tmp_path)), "--url", "https://a.example:8443"],
    )
    assert res.exit_code == 0, res.output
    root = ElementTree.fromstring(res.stdout.encode("utf-8"))
    assert (
        root.findtext("{http://schemas.microsoft.com/office/appforoffice/1.1}Id") == server.MANIFEST_ID_PROD
    )
    assert list(tmp_path.glob("*.xml")) == []


def test_manifest_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "manifest.xml"
    out.write_text("giữ nguyên", encoding="utf-8")
    res = CliRunner().invoke(main, ["addin", "manifest", "-o", str(out)])
    assert res.exit_code == 2
    assert "output-exists" in res.output and "--force" in res.output
    assert out.read_text(encoding="utf-8") == "giữ nguyên"
    res = CliRunner().invoke(main, ["addin", "manifest", "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<?xml")


# ------------------------------------------------------------------------------------ public API


def test_every_public_name_resolves() -> None:
    code = (
        "import sys, xltoolkit\n"
        "assert 'pandas' not in sys.modules and 'openpyxl' not in sys.modules\n"
        "for n in xltoolkit.__all__: getattr(xltoolkit, n)\n"
        "print(sorted(xltoolkit.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in xltoolkit.__all__:
        assert getattr(xltoolkit, name) is not None, name
    assert {"load_plan", "consolidate", "validate_paths", "ConsolidationResult"} <= set(xltoolkit.__all__)
    with pytest.raises(AttributeError):
        _ = xltoolkit.not_a_public_name  # type: ignore[attr-defined]
