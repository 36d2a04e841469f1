"""The TLS page benchmark: a year of daily SMTP TLS reports from 20 reporters for 100 domains.

    .venv/bin/python bench/run.py --only tlsrpt
    .venv/bin/python bench/tlsrpt.py [--json] [--fresh]

Data (its own database, dmarc_bench_tls, built once in SQL): 100 domains x 20 reporters x 365 days =
730,000 reports, each with its policy row, and a failure detail on one report in twenty (three result
types over two MX hosts). A superuser's session (Django's test client) asks the TLS page of one domain
for 365 days once (reported), then 20 times; the 30-day page, the MX drill-down and the domains
list beside it.

Target: the TLS page, 365 days, p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dashboard  # noqa: E402 - after the path is set

DOMAINS, REPORTERS, DAYS = 100, 20, 365
REPEAT = 20
TARGET_MS = 300
MARKER = f"tlsrpt-1:{DOMAINS}x{REPORTERS}x{DAYS}"


def _database_url() -> str:
    base = urlsplit(os.environ.get("BENCH_DASHBOARD_DATABASE_URL", dashboard.DEFAULT_DB))
    return urlunsplit(base._replace(path="/dmarc_bench_tls"))


def run() -> dict:
    """Entry point for bench/run.py: the work runs in a child process on its own database."""
    return dashboard.run_child(Path(__file__), _database_url(), "TLS")


def _ensure_database(url: str, fresh: bool) -> bool:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh:
            try:
                with psycopg.connect(url) as db:
                    row = db.execute("SELECT value FROM bench_meta WHERE key = 'complete'").fetchone()
                    if row and row[0] == MARKER:
                        return True
            except psycopg.Error:
                pass
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


GENERATE = f"""
INSERT INTO reports_tlsreport (org_name, report_id, contact, start, "end", day, domains,
    successful_sessions, failed_sessions, warnings, original, original_name, origin, created,
    reporter_verified, signing_domain, trusted)
SELECT 'Reporter ' || r, 'bench-' || d || '-' || r || '-' || n, '', x.day::timestamptz,
    x.day::timestamptz + interval '86399 seconds', x.day, jsonb_build_array('d' || d || '.example'),
    1000 + (d * r + n) % 500, CASE WHEN (d + r + n) % 20 = 0 THEN 1 + (d + n) % 9 ELSE 0 END,
    '[]'::jsonb,
    '\\x00'::bytea, '', 'bench', now(), NULL, '', false
FROM generate_series(1, {DOMAINS}) d, generate_series(1, {REPORTERS}) r, generate_series(1, {DAYS}) n,
    LATERAL (SELECT current_date - n AS day) x;
INSERT INTO reports_tlspolicyresult (report_id, domain, day, reporter, policy_type, policy_string, mx_hosts,
    successful_sessions, failed_sessions)
SELECT id, domains->>0, day, org_name, 'sts',
    '["version: STSv1", "mode: testing", "max_age: 86400"]'::jsonb, '[]'::jsonb,
    successful_sessions, failed_sessions
FROM reports_tlsreport;
INSERT INTO reports_tlsfailure (report_id, domain, day, reporter, result_type, failed_sessions,
    sending_mta_ip,
    receiving_mx_hostname, receiving_mx_helo, receiving_ip, failure_reason_code, additional_information)
SELECT id, domains->>0, day, org_name,
    (ARRAY['certificate-expired', 'starttls-not-supported', 'sts-policy-fetch-error'])[1 + id % 3],
    failed_sessions, '192.0.2.1', 'mx' || (1 + id % 2) || '.' || (domains->>0), '', NULL, '', ''
FROM reports_tlsreport WHERE failed_sessions > 0;
"""


def _generate(log) -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(GENERATE)
        cur.execute("ANALYZE")
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cur.execute(
            "INSERT INTO bench_meta VALUES ('complete', %s) ON CONFLICT (key) DO UPDATE SET value = %s",
            [MARKER, MARKER],
        )
    log(f"built {DOMAINS * REPORTERS * DAYS:,} TLS reports in {time.perf_counter() - started:.0f} s")


def _measure(log) -> tuple[list, dict]:
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "", None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def timed(url):
        t = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return elapsed

    domain = "d42.example"
    page = f"/tls/{domain}/?days=365"
    figures = {
        "TLS reports (count)": DOMAINS * REPORTERS * DAYS,
        "TLS page first request, ms": round(timed(page), 1),
    }
    times = [timed(page) for _ in range(REPEAT)]
    p95 = dashboard.p95(times)
    log(f"TLS page, 365 days: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms")
    for name, url in {
        "TLS page, 30 days": f"/tls/{domain}/",
        "MX drill-down, 365 days": f"/tls/{domain}/mx/mx1.{domain}/?days=365",
        "domains list (100 domains)": "/domains/",
    }.items():
        figures[f"{name}, p95 ms"] = round(dashboard.p95([timed(url) for _ in range(REPEAT)]), 1)
    targets = [
        {
            "name": f"TLS page, 365 days x 20 reporters, p95 of {REPEAT}",
            "value": round(p95, 1),
            "unit": "ms",
            "target": f"< {TARGET_MS} ms",
            "passed": p95 < TARGET_MS,
            "note": f"p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms; "
            f"{DOMAINS} domains x {REPORTERS} reporters x {DAYS} days",
        }
    ]
    return targets, figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print only the result as one JSON line")
    parser.add_argument("--fresh", action="store_true", help="build the data again")
    args = parser.parse_args(argv)

    def log(line):
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    os.environ["DATABASE_URL"] = url = _database_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "dmarcapp.settings_test"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"dmarc-bench-tls-{os.getpid()}"
    have_data = _ensure_database(url, args.fresh)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not have_data:
        log(f"Building {DOMAINS * REPORTERS * DAYS:,} TLS reports (once)...")
        _generate(log)
    try:
        targets, figures = _measure(log)
    finally:
        dashboard._drop_queue()
    dashboard.print_result({"targets": targets, "figures": figures}, args.json)


if __name__ == "__main__":
    main()
