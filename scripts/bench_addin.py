"""Time one «Kiểm tra» round trip of the add-in for a district template (35 measures).

Measures server-side work only: the Office.js payload (built once from the .xlsx) is POSTed to the
in-process app, the script validates it and answers with actions. Network and Excel's own time to
read the workbook and apply the actions are not included. Target: well under 100 ms.

    .venv/bin/python scripts/bench_addin.py [--rounds 50] [--agency h-ben-luc] [--script validate_workbook]
        [--year 2026] [--workspace DIR-WITH-LEDGER]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.addin_support import SCRIPT_URL, auth_headers, build_payload, fill_by_names, make_app


def main() -> None:
    logging.disable(logging.INFO)  # per-request access logs would swamp the figures
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--agency", default="h-ben-luc")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument(
        "--script", default="validate_workbook", choices=["validate_workbook", "target_status"]
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="A workspace with a ledger (e.g. after `xltoolkit demo`), to include reading the history.",
    )
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from tests.test_addin_scripts import FAULTS, clean_values
    from xltoolkit.plan.model import load_plan
    from xltoolkit.template.render import generate_templates

    plan = load_plan()
    with tempfile.TemporaryDirectory(prefix="xltk-bench-addin-") as tmp:
        root = Path(tmp)
        (generated,) = generate_templates(
            plan, args.year, root / "t", [args.agency], secret=None, password=None
        )
        measures = len(plan.measures_for(plan.agency(args.agency)))
        client = TestClient(make_app(args.workspace or root / "ws"))
        url = SCRIPT_URL.format(name=args.script)
        for label, faults in (("clean", {}), ("faulty", FAULTS)):
            path = fill_by_names(
                generated.path, clean_values(plan, args.agency, args.year) | faults, root / f"{label}.xlsx"
            )
            payload = build_payload(path)
            body = json.dumps(payload).encode()
            headers = {**auth_headers(), "Content-Type": "application/json"}
            res = client.post(url, content=body, headers=headers)  # warm-up: imports, plan cache
            res.raise_for_status()
            times = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                res = client.post(url, content=body, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                res.raise_for_status()
            actions = len(res.json()["actions"])
            print(
                f"{args.script} {args.agency} ({measures} measures, {label}): "
                f"payload {len(body) / 1024:.0f} kB, "
                f"{actions} actions; median {statistics.median(times):.1f} ms, "
                f"p90 {sorted(times)[int(0.9 * len(times)) - 1]:.1f} ms, min {min(times):.1f} ms "
                f"over {args.rounds} rounds"
            )


if __name__ == "__main__":
    main()
