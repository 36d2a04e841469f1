"""A bad setting stops the start with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def check(**env):
    full = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    full.update({"SECRET_KEY": "x", "DMARC_ENV_FILE": "/dev/null", **env})
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/dmarc"),
        ("DATABASE_URL", "not a url"),
        ("CELERY_BROKER_URL", "ftp://127.0.0.1"),
        ("DMARC_MAX_ZIP_MEMBERS", "twenty"),
        ("DMARC_MAX_INPUT_BYTES", "-5"),
        ("DMARC_RETENTION_DAYS", "a year"),
        ("DMARC_INGEST_TIME_LIMIT", "10"),  # below the soft limit
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_variable(name, value):
    result = check(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_secret_key_is_required_unless_debugging():
    result = check(SECRET_KEY=None, DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    assert check(SECRET_KEY=None, DEBUG="true").returncode == 0


def test_good_values_start_cleanly():
    result = check(DEBUG="false", DMARC_MAX_ZIP_MEMBERS="5")
    assert result.returncode == 0, result.stderr
