"""`pip install .` must give a working command from any directory: the plan travels in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_the_plan_and_addin_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("xltoolkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "xltoolkit/schemas/plan-long-an-2021-2030.toml" in names
    assert "xltoolkit/demo/_uno_worker.py" in names
    assert any(n.startswith("xltoolkit/addin/") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "xltoolkit = xltoolkit.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_module_entry_point_from_another_directory(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "xltoolkit", "--version"], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("xltoolkit ")
    out = subprocess.run(
        [sys.executable, "-m", "xltoolkit", "plan", "show", "--json"], cwd=tmp_path, capture_output=True
    )
    assert out.returncode == 0 and b'"review_years"' in out.stdout
