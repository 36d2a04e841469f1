"""Parse-only rate of parsedmarc, for comparison with ours.

Runs inside bench/.venv-parsedmarc (parsedmarc is not a dependency of the
app), so it imports nothing from the project. Prints one JSON object.

    bench/.venv-parsedmarc/bin/python bench/parsedmarc_rate.py REPORT.xml [RUNS]
"""

import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import parsedmarc


def main() -> int:
    path = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    xml = path.read_bytes()
    times, cpu_times = [], []
    records = None
    for _ in range(runs):
        # parsedmarc caches IP lookups and seen report IDs in module globals. Each
        # run starts cold, as the first parse of a new report would.
        parsedmarc.IP_ADDRESS_CACHE.clear()
        parsedmarc.SEEN_AGGREGATE_REPORT_IDS.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        report = parsedmarc.parse_aggregate_report_xml(xml, offline=True)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        records = len(report["records"])
    best = min(times)
    print(
        json.dumps(
            {
                "parsedmarc_version": version("parsedmarc"),
                "records": records,
                "messages": sum(r["count"] for r in report["records"]),
                "runs": runs,
                "seconds": times,
                "best_seconds": best,
                "records_per_s": records / best,
                "cpu_seconds": cpu_times,
                "cpu_records_per_s": records / min(cpu_times),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
