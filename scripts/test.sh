#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only Python 3.11:
#   bash scripts/test.sh
# Creates .venv, installs the package (not editable, as a user would) with its test extras, installs
# LibreOffice headless + python3-uno and Chromium from Debian packages when missing (needs root or
# sudo), then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${XLTOOLKIT_VENV:-.venv}

# LibreOffice Calc opens the workbooks, Writer the report document (both headless, driven through UNO or
# --convert-to); poppler's pdftoppm renders pages when a test or an officer looks at them.
LO_PACKAGES="libreoffice-calc-nogui libreoffice-writer-nogui python3-uno fonts-liberation fonts-dejavu-core poppler-utils"
missing=""
for pkg in $LO_PACKAGES; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
if [ -n "$missing" ] || ! command -v soffice >/dev/null 2>&1 || ! /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "== installing LibreOffice headless (Calc, Writer), python3-uno and poppler (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $LO_PACKAGES >/dev/null
fi

# The add-in's browser tests (pytest -m browser) drive Debian's Chromium through Playwright; the
# Playwright wheel brings its driver, and it never downloads a browser of its own.
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "== installing Chromium (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-liberation >/dev/null
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q ".[test,addin]"
"$VENV/bin/ruff" check xltoolkit tests scripts
"$VENV/bin/mypy" xltoolkit
exec "$VENV/bin/pytest" -n 2 --dist loadfile -q "$@"
