"""The IMAP benchmark: 1,000 small report emails drained from Dovecot by a Celery worker.

1. A fresh database `dmarc_bench_imap_<pid>` (created, migrated, dropped at
   the end) and a real Dovecot from the test harness, holding 1,000 report
   emails (gzip, zip and plain XML attachments, a tenth of them forwarded).
2. One `celery -A dmarcapp worker -c 2` (two worker processes) on Redis, on a
   queue of the run's own (BENCH_IMAP_BROKER_URL, default Redis database 3).
3. The clock starts when a poll_mailbox task is sent and stops when the inbox
   is empty and every message sits in the processed folder: recording,
   ingesting, moving, across as many capped polls as it takes.

Target: at least 50 messages/s end to end. BENCH_IMAP_LOG_LEVEL=info and
BENCH_IMAP_KEEP_LOG=1 keep the worker's log (per-task timings) for a look.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reports.harness.dovecot import Dovecot  # noqa: E402
from reports.harness.report_mail import report_email, small_report  # noqa: E402

MESSAGES = 1000
TARGET_RATE = 50  # messages/s
# A database and a queue of the run's own: two runs at once must not share them.
DEFAULT_DB = f"postgres://postgres@127.0.0.1:5432/dmarc_bench_imap_{os.getpid()}"
DEFAULT_BROKER = "redis://127.0.0.1:6379/3"
PROCESSED = "DMARC/Processed"


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("dmarc_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the benchmark database name must start with dmarc_bench"
        )
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [_python(), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _messages(n: int) -> list[bytes]:
    return [
        report_email(
            small_report(i), ("gzip", "zip", "xml")[i % 3], report_id=f"bench-{i}", forwarded=i % 10 == 0
        )
        for i in range(n)
    ]


def run() -> dict:
    db_url = os.environ.get("BENCH_IMAP_DATABASE_URL", DEFAULT_DB)
    broker = os.environ.get("BENCH_IMAP_BROKER_URL", DEFAULT_BROKER)
    # Celery prefers an exported CELERY_BROKER_URL (the Makefile exports one) over
    # the broker it is given, so the bench's own Celery clients must see this one.
    os.environ["CELERY_BROKER_URL"] = broker
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMARC_IMAP_")}
    env.update(
        DJANGO_SETTINGS_MODULE="dmarcapp.settings",
        SECRET_KEY="benchmark-only",
        DEBUG="false",
        DMARC_ENV_FILE="/dev/null",
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        CELERY_TASK_DEFAULT_QUEUE=f"bench-imap-{os.getpid()}",
        LOG_LEVEL="WARNING",
    )
    _fresh_database(db_url)
    _manage(env, "migrate", "--noinput", "-v", "0")

    dovecot = Dovecot().start()
    worker = None
    log = Path(tempfile.mkstemp(prefix="bench-imap-worker-", suffix=".log")[1])
    try:
        user = dovecot.add_user()
        t = time.perf_counter()
        dovecot.deliver(user, _messages(MESSAGES))
        deliver_s = time.perf_counter() - t
        pk = int(
            _manage(
                {**env, "BENCH_MAILBOX": json.dumps(dovecot.mailbox_fields(user))},
                "shell",
                "--no-imports",
                "-c",
                "import json, os; from reports.models import Mailbox;"
                " print(Mailbox.objects.create(**json.loads(os.environ['BENCH_MAILBOX'])).pk)",
            ).strip()
        )
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [
                    *(
                        _python(),
                        "-m",
                        "celery",
                        "-A",
                        "dmarcapp",
                        "worker",
                        "-c",
                        "2",
                        "-l",
                        os.environ.get("BENCH_IMAP_LOG_LEVEL", "warning"),
                    ),
                    *("-n", f"bench-imap-{os.getpid()}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_worker_ready(broker, worker, log)

        app = Celery(broker=broker)
        start = time.perf_counter()
        app.send_task("reports.mail.tasks.poll_mailbox", args=[pk], queue=env["CELERY_TASK_DEFAULT_QUEUE"])
        first_filed = None
        deadline = start + 600
        while True:
            # Dovecot.count keeps one connection open: logging in each time would cost the workers CPU.
            inbox, processed = dovecot.count(user, "INBOX"), dovecot.count(user, PROCESSED)
            if processed and first_filed is None:
                first_filed = time.perf_counter() - start
            if inbox == 0 and processed == MESSAGES:
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"not drained after 600 s: {inbox} in INBOX, {processed} processed")
            time.sleep(0.2)
        drain_s = time.perf_counter() - start

        with psycopg.connect(db_url) as conn:
            reports = conn.execute("SELECT count(*) FROM reports_report").fetchone()[0]
            states = dict(
                conn.execute("SELECT state, count(*) FROM reports_mailmessage GROUP BY state").fetchall()
            )
    finally:
        if worker is not None:
            os.killpg(worker.pid, 15)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
        dovecot.close()
        queue = env["CELERY_TASK_DEFAULT_QUEUE"]
        r = redis.Redis.from_url(broker)
        r.delete(queue, *r.keys(f"_kombu.binding*.{queue}"))
        _drop_database(db_url)
        if not os.environ.get("BENCH_IMAP_KEEP_LOG"):
            log.unlink(missing_ok=True)

    rate = MESSAGES / drain_s
    errors = []
    if reports != MESSAGES:
        errors.append(f"{reports} reports stored, expected {MESSAGES}")
    if states != {"ingested": MESSAGES}:
        errors.append(f"message states {states}, expected all {MESSAGES} ingested")
    return {
        "targets": [
            {
                "name": "IMAP end to end (2 worker processes)",
                "value": round(rate, 1),
                "unit": "messages/s",
                "target": f">= {TARGET_RATE}",
                "passed": rate >= TARGET_RATE,
                "note": f"{MESSAGES} messages drained in {drain_s:.1f} s",
            }
        ],
        "figures": {
            "messages": MESSAGES,
            "drain_seconds": round(drain_s, 2),
            "messages_per_second": round(rate, 1),
            "first_message_filed_seconds": round(first_filed or 0, 2),
            "deliver_seconds": round(deliver_s, 2),
            "reports_stored": reports,
            "poll_cap": "DMARC_POLL_MAX_MESSAGES (default 500)",
        },
        "errors": errors,
    }


def _wait_worker_ready(broker: str, worker: subprocess.Popen, log: Path) -> None:
    app = Celery(broker=broker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the celery worker exited:\n{log.read_text(errors='replace')[-3000:]}")
        if app.control.ping(destination=[f"bench-imap-{os.getpid()}@{socket.gethostname()}"], timeout=0.5):
            return
    raise RuntimeError("the celery worker did not start in 60 s")


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
