#!/usr/bin/env bash
# Run the whole yearly cycle on the seeded sample data (README command #1):
#   bash scripts/run-sample.sh [--workspace DIR] [--seed N]
# Creates .venv when missing (python3.11, else python3), installs the package as a user would
# (`pip install .`, not editable), then runs `xltoolkit demo`. LibreOffice is used when installed;
# without it the sample files are saved by openpyxl and the report says so.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${XLTOOLKIT_VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

if [ ! -x "$VENV/bin/python" ]; then
  echo "== tạo môi trường Python: $VENV"
  "$PY" -m venv "$VENV"
fi
echo "== cài đặt xltoolkit (pip install .)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check ".[addin]"
exec "$VENV/bin/xltoolkit" demo "$@"
