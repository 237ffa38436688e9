"""`templates` says plainly when the fingerprint is an unkeyed hash, and not when a secret is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltoolkit.cli import main


@pytest.mark.parametrize("secret", [None, "provincial-secret-0123456789"])
def test_templates_say_whether_the_fingerprint_is_keyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.delenv("XLTOOLKIT_SECRET", raising=False)
    monkeypatch.delenv("XLTOOLKIT_SECRET_FILE", raising=False)
    if secret:
        monkeypatch.setenv("XLTOOLKIT_SECRET", secret)
    args = ["templates", "--year", "2024", "--out", str(tmp_path), "--agency", "so-tp"]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert ("SHA-256" in text.output) is (secret is None)
    as_json = CliRunner().invoke(main, [*args, "--json"])
    assert json.loads(as_json.output)["fingerprint_keyed"] is (secret is not None)
