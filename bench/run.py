"""`make bench`: run the benchmark parts, write bench/results/latest.json, print a table.

    .venv/bin/python bench/run.py [--only ingest|imap|dashboard ...]

Each part is a module bench/<part>.py with a run() that returns a dict (see
bench/README.md). A part that raises is reported and the others still run.
The exit status is 1 when a part failed or a target was missed, after the
JSON is written, so that regressions show.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, Python puts bench/ on the path, not the project.
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
PARTS = ["ingest", "imap", "dashboard", "naming", "api", "tlsrpt"]


def run_part(name: str, args: argparse.Namespace) -> dict:
    if importlib.util.find_spec(f"bench.{name}") is None:
        return {"status": "skipped", "reason": f"bench/{name}.py does not exist yet"}
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        if name == "ingest":
            result = module.run(parse_runs=args.parse_runs, parsedmarc_runs=args.parsedmarc_runs)
        else:
            result = module.run()
    except Exception as e:  # noqa: BLE001 - one broken part must not hide the others
        return {
            "status": "error",
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc(),
            "seconds": round(time.perf_counter() - start, 1),
        }
    if not isinstance(result, dict):
        result = {"figures": {"result": result}}
    targets = result.get("targets") or []
    failed = bool(result.get("errors")) or any(not t.get("passed") for t in targets)
    result.setdefault("status", "fail" if failed else "pass")
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def _fmt(value) -> str:
    if isinstance(value, Decimal):  # sums straight from PostgreSQL
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def print_table(results: dict) -> None:
    meta = results["machine"]
    print(f"\nBenchmark {results['started']}  ({meta['cpus']} CPUs, load {meta['load_before']} before)")
    for name, part in results["parts"].items():
        print(f"\n== {name}: {part.get('status', '?').upper()}  ({part.get('seconds', '-')} s)")
        if part.get("status") == "skipped":
            print(f"   {part['reason']}")
            continue
        if part.get("status") == "error":
            print(f"   ERROR {_tail(part['error'])}")
            print("   " + "\n   ".join(part["traceback"].strip().splitlines()[-6:]))
            continue
        for t in part.get("targets") or []:
            mark = "PASS" if t.get("passed") else "FAIL"
            value = "-" if t.get("value") is None else _fmt(t["value"])
            unit = t.get("unit", "")
            line = f"   {mark}  {t.get('name', '?'):<44} {value:>12} {unit:<10} target {t.get('target', '?')}"
            print(line + (f"  ({t['note']})" if t.get("note") else ""))
        figures = part.get("figures")
        if figures is None:
            figures = {k: v for k, v in part.items() if k not in ("targets", "errors", "status", "seconds")}
        for key, value in figures.items():
            if key.endswith("_traceback"):
                continue
            if isinstance(value, list | dict):
                value = json.dumps(value, default=str)
            print(f"         {key:<44} {_fmt(value)}")
        errors = part.get("errors")
        if errors:
            items = (
                errors.items()
                if isinstance(errors, dict)
                else enumerate(errors if isinstance(errors, list) else [errors])
            )
            for key, error in items:
                # The last lines say what went wrong; the full tracebacks are in the JSON.
                print(f"   ERROR {key}: {_tail(str(error))}")


def _tail(text: str, limit: int = 500) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the benchmark parts.")
    ap.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    ap.add_argument("--parse-runs", type=int, default=5, help="best of N for our parser (a)")
    ap.add_argument("--parsedmarc-runs", type=int, default=3, help="best of N for parsedmarc (b)")
    args = ap.parse_args(argv)
    os.chdir(ROOT)

    results = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            # Other work on a shared machine skews every figure: keep the load beside them.
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "parts": {},
    }
    for name in args.only or PARTS:
        print(f"Running {name} ...", flush=True)
        results["parts"][name] = run_part(name, args)
    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    failed = [n for n, p in results["parts"].items() if p.get("status") in ("fail", "error")]
    results["passed"] = not failed

    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, default=str)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"{results['started'].replace(':', '')}.json").write_text(text)
    print_table(results)
    print(f"\nWrote {RESULTS / 'latest.json'}")
    if failed:
        print(f"Targets missed or parts failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
