"""Drive LibreOffice headless: the real spreadsheet application the tests and sample data use.

Two ways in: `resave` converts files with the `soffice` command line (LibreOffice recalculates and
writes the file as an officer's office suite would), and `run_uno` drives a running LibreOffice through
UNO to type values into cells, recalculate and read results back, as an officer would.
UNO needs the system Python with LibreOffice's `uno` module (Debian: python3-uno), so it runs in a
subprocess; this module only builds its job and reads its JSON answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from xltoolkit.errors import XltoolkitError

UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
WORKER = Path(__file__).with_name("_uno_worker.py")


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def find_uno_python() -> str | None:
    for candidate in UNO_PYTHONS:
        if Path(candidate).exists():
            ok = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=60, check=False)
            if ok.returncode == 0:
                return candidate
    return None


def available() -> bool:
    return find_soffice() is not None


def _profile_arg(profile: Path) -> str:
    return f"-env:UserInstallation={profile.resolve().as_uri()}"


def resave(paths: list[Path], out_dir: Path, timeout: float = 600) -> list[Path]:
    """Open each file in LibreOffice, recalculate, and save it as .xlsx into `out_dir`."""
    soffice = find_soffice()
    if soffice is None:
        raise XltoolkitError("libreoffice-missing", "Chưa cài LibreOffice (lệnh soffice).")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xltk-lo-") as profile:
        cmd = [soffice, _profile_arg(Path(profile)), "--headless", "--norestore", "--calc"]
        cmd += ["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out_dir)]
        cmd += [str(p) for p in paths]
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    results = [out_dir / (p.stem + ".xlsx") for p in paths]
    missing = [str(p) for p in results if not p.exists()]
    if missing:
        raise XltoolkitError("libreoffice-failed", f"LibreOffice không lưu được: {', '.join(missing)}")
    return results


def run_uno(jobs: list[dict[str, Any]], timeout: float = 600) -> list[dict[str, Any]]:
    """Run UNO jobs (see _uno_worker.py for the job format) and return one result per job."""
    soffice = find_soffice()
    python = find_uno_python()
    if soffice is None or python is None:
        raise XltoolkitError(
            "libreoffice-missing", "Chưa cài LibreOffice và python3-uno (cần để điều khiển LibreOffice)."
        )
    with tempfile.TemporaryDirectory(prefix="xltk-uno-") as tmp:
        job_file = Path(tmp) / "jobs.json"
        job_file.write_text(json.dumps({"soffice": soffice, "jobs": jobs}), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        proc = subprocess.run(
            [python, str(WORKER), str(job_file), str(Path(tmp) / "profile")],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise XltoolkitError("libreoffice-failed", f"LibreOffice (UNO) lỗi: {proc.stderr[-2000:]}")
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results
