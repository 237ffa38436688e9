"""Shared fixtures: the plan, generated templates, and LibreOffice availability.

LibreOffice tests fail (not skip) when LibreOffice is missing, unless XLTOOLKIT_SKIP_LIBREOFFICE=1:
a green suite must mean the real spreadsheet application opened the workbooks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from xltoolkit.demo import libreoffice
from xltoolkit.plan.model import Plan, load_plan
from xltoolkit.template.render import generate_templates

TEMPLATE_YEAR = 2023  # a district year, and so is the next (from 2025 communes report)

# No per-example deadline: CI machines are shared and slow examples are not failures of the logic.
settings.register_profile("xltoolkit", deadline=None)
settings.load_profile("xltoolkit")


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="session")
def templates_dir(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    out = tmp_path_factory.mktemp("templates")
    generate_templates(plan, TEMPLATE_YEAR, out, secret=None, password=None)
    return out


@pytest.fixture(scope="session")
def require_libreoffice() -> None:
    if libreoffice.available() and libreoffice.find_uno_python():
        return
    if os.environ.get("XLTOOLKIT_SKIP_LIBREOFFICE") == "1":
        pytest.skip("LibreOffice not installed and XLTOOLKIT_SKIP_LIBREOFFICE=1")
    pytest.fail("LibreOffice headless and python3-uno are required: run bash scripts/test.sh")


@pytest.fixture(scope="module")
def district_return(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    """A clean 2024 return of one district, saved as an office suite saves it (each module its own)."""
    from .corpus import clean_return

    return clean_return(tmp_path_factory.mktemp("district-return"), plan, 2024, "h-ben-luc")


@pytest.fixture(scope="module")
def addin_client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The add-in server in-process, on a workspace of its own; server faults come back as answers."""
    from fastapi.testclient import TestClient

    from .addin_support import make_app

    return TestClient(make_app(tmp_path_factory.mktemp("addin-ws")), raise_server_exceptions=False)
