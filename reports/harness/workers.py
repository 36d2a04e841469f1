"""Real Celery worker processes for the tests, on the tests' own broker database and queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

from reports.harness.waiting import scaled, wait_for

# The tests' own Redis database: the broker of a `make run` worker stays out of it. Set before
# anything is sent, so that every task the tests queue goes there.
TEST_BROKER_URL = os.environ.get("DMARC_TEST_BROKER_URL", "redis://127.0.0.1:6379/3")
# A queue of this run's own: two test runs (or a benchmark) on one Redis never take each other's tasks.
TEST_QUEUE = f"dmarc-test-{os.getpid()}"


def database_url() -> str:
    """The URL of the database the tests use right now (pytest-django's test_ database)."""
    s = connections["default"].settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    )
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class CeleryWorker:
    """`celery -A dmarcapp worker` in its own process group, on the test database."""

    def __init__(self, env: dict, concurrency: int = 2):
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])

    def start(self) -> CeleryWorker:
        start_at = self.log.stat().st_size
        # Append, so that a restarted worker's log follows the killed one's.
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    # --quiet: no banner, whose lines are not JSON (LOG_FORMAT=json, as the README says)
                    *(sys.executable, "-m", "celery", "-A", "dmarcapp", "--quiet", "worker", "-l", "info"),
                    *("-c", str(self.concurrency), "-n", f"imaptest-{uuid.uuid4().hex[:8]}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.output()}")
            return b" ready." in self.log.read_bytes()[start_at:]

        wait_for(ready, timeout=60, message="the celery worker")
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool children, like the OOM killer or a crash."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(scaled(10))
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(scaled(30))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(scaled(10))
        except ProcessLookupError:
            pass
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


class CeleryBeat:
    """`celery -A dmarcapp beat` in its own process group, with a schedule file of its own."""

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="celery-beat-"))
        self.log = self.dir / "beat.log"

    def start(self) -> CeleryBeat:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "dmarcapp",
                    "beat",
                    "-l",
                    "info",
                    "-s",
                    str(self.dir / "schedule"),
                ],  # fmt: skip
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: b"beat: Starting" in self.log.read_bytes(), timeout=60, message="celery beat")
        return self

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(scaled(30))
            self.process = None


def worker_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMARC_IMAP_")}
    env.update(
        DJANGO_SETTINGS_MODULE="dmarcapp.settings_test",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=TEST_BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=TEST_QUEUE,
        DMARC_RETRY_BACKOFF="1",
        CELERY_VISIBILITY_TIMEOUT="10",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class RunningCommand:
    """A manage.py command running in its own process, with what it printed so far."""

    def __init__(self, process: subprocess.Popen, out):
        self.process = process
        self._out = out
        self.code: int | None = None
        self.text = ""

    @property
    def exited(self) -> bool:
        return self.process.poll() is not None

    def output(self) -> str:
        self._out.seek(0)
        return self._out.read().decode(errors="replace")


@contextmanager
def watch_mailbox(*args: str, env: dict):
    """`manage.py watch_mailbox ARGS` in the background; stopped with SIGTERM at the end, its exit
    code and output then in `.code` and `.text`. A failed assertion inside shows what it printed."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "watch_mailbox", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        run = RunningCommand(process, out)
        try:
            yield run
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- watch_mailbox said:\n{run.output()}") from None
        finally:
            os.kill(process.pid, signal.SIGTERM)
            run.code = process.wait(scaled(15))
            run.text = run.output()
