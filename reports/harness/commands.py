"""`manage.py` in a process of its own, as an operator starts it: the production settings module,
no .env file, and the environment given (a value of None removes a variable)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reports.harness.waiting import scaled

ROOT = Path(__file__).resolve().parents[2]
# The tests' settings module, and what the browser tests set for this process.
DROPPED = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def environment(**env) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in DROPPED}
    full.update({"SECRET_KEY": "x", "DMARC_ENV_FILE": "/dev/null", **env})
    return {k: str(v) for k, v in full.items() if v is not None}


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )


def check(**env) -> subprocess.CompletedProcess:
    """`manage.py check`: a bad setting makes it exit non-zero, naming the variable."""
    return manage("check", **env)
