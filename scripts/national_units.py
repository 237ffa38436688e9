"""Every commune/ward of Vietnam since 1 July 2025, for the national-scale benchmark (one workbook each).

Read from the pinned `vietnamadminunits` dataset (a test/benchmark dependency, not a runtime one), so the
benchmark's 3,321 units are real names and official codes rather than synthetic ones.

    python scripts/national_units.py            # prints code, name, province as TSV
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class NationalUnit:
    code: str
    name: str
    kind: str
    province: str
    province_code: str


def national_units() -> list[NationalUnit]:
    """All communes, wards and special zones in force since 1/7/2025, sorted by official code."""
    db = resources.files("vietnamadminunits") / "data" / "dataset.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT wardCode, ward, wardType, province, provinceCode "
            "FROM admin_units ORDER BY wardCode"
        ).fetchall()
    return [
        NationalUnit(code, name, kind.lower(), province, pcode) for code, name, kind, province, pcode in rows
    ]


def main() -> int:
    for u in national_units():
        sys.stdout.write(f"{u.code}\t{u.name}\t{u.province}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
