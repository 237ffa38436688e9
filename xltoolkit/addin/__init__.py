"""The Excel add-in: an xlwings Server project folder shipped as package data.

This folder is handed to xlwings-server as its project directory (`XLWINGS_PROJECT_DIR`): the server
imports `custom_scripts` (the three ribbon scripts) and `auth.custom` (the access-token check) from
here and prefers `templates/` and `static/` files found here over its own. Everything else (the
FastAPI app, the Office.js client) comes from the installed xlwings-server package, unmodified.
"""

from __future__ import annotations

from pathlib import Path

#: The project folder passed to xlwings-server.
ADDIN_DIR = Path(__file__).resolve().parent
