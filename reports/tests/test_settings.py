"""A bad setting stops the start with a message naming the variable."""

import json
import re
import subprocess
import sys

import pytest

from reports.harness.commands import ROOT, check, environment
from reports.harness.waiting import scaled


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/dmarc"),
        ("DATABASE_URL", "not a url"),
        ("CELERY_BROKER_URL", "ftp://127.0.0.1"),
        ("DMARC_MAX_ZIP_MEMBERS", "twenty"),
        ("DMARC_DOMAINS", "example.com,evil/x.example"),
        ("DMARC_REQUIRE_VERIFIED_REPORTS", "maybe"),
        ("DMARC_MAX_MBOX_MESSAGES", "0"),
        ("DMARC_MAX_INPUT_BYTES", "-5"),
        ("DMARC_IMAP_AUTH", "kerberos"),
        ("DMARC_IMAP_MS_AUTHORITY", "http://login.example.com"),
        ("DMARC_IMAP_GOOGLE_TOKEN_URI", "http://oauth2.example.com/token"),
        ("DMARC_RETENTION_DAYS", "a year"),
        ("DMARC_INGEST_TIME_LIMIT", "10"),  # below the soft limit
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_variable(name, value):
    result = check(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


@pytest.mark.slow
def test_secret_key_is_required_unless_debugging():
    result = check(SECRET_KEY=None, DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    assert check(SECRET_KEY=None, DEBUG="true").returncode == 0


@pytest.mark.slow
def test_good_values_start_cleanly():
    result = check(DEBUG="false", DMARC_MAX_ZIP_MEMBERS="5")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_beat_schedule_takes_its_intervals_from_the_environment():
    full = environment(
        DMARC_POLL_INTERVAL="120",
        DMARC_NAME_SOURCES_INTERVAL="1800",
        DMARC_READINESS_INTERVAL="300",
        DMARC_FORGET_RAW_MAIL_INTERVAL="7200",
    )
    code = (
        "import json, django; django.setup();"
        "from dmarcapp.celery import app;"
        "s = app.conf.beat_schedule;"
        "print(json.dumps({k: [v['schedule'], v['options']['expires']] for k, v in s.items()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**full, "DJANGO_SETTINGS_MODULE": "dmarcapp.settings"},
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert result.returncode == 0, result.stderr
    schedule = json.loads(result.stdout)
    assert {k: v[0] for k, v in schedule.items()} == {
        "poll mailboxes": 120,
        "name sources": 1800,
        "readiness summaries": 300,
        "forget raw mail": 7200,
        "alerts": 900,
        "alert deliveries": 60,
        "weekly digests": 3600,
        "mta-sts checks": 21600,
        "service trends": 300,
        "purge old reports": 86400,
        "queue waiting uploads": 300,
        "dkim selectors": 3600,
        "heartbeat": 15,  # DMARC_HEARTBEAT_SECONDS: beat's sign of life (reports.ops)
    }
    assert all(0 < expires < every for every, expires in schedule.values())
    assert check(DMARC_NAME_SOURCES_INTERVAL="often").returncode != 0


def test_every_setting_read_from_the_environment_is_documented():
    source = "".join(p.read_text() for p in sorted((ROOT / "dmarcapp").glob("*.py")))
    names = set(re.findall(r"\benv(?:\.\w+|int|bool|secret)\(\s*(?:f?\"|\')([A-Z][A-Z0-9_]+)", source))
    assert {"DEBUG", "DATABASE_URL", "DMARC_POLL_BATCH"} <= names  # the pattern finds them
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert [n for n in sorted(names) if f"`{n}" not in readme] == []
    assert [n for n in sorted(names) if n not in example and n != "DMARC_ENV_FILE"] == []


@pytest.mark.slow
def test_an_oauth_method_without_its_credentials_stops_the_start():
    result = check(DMARC_IMAP_AUTH="google", DMARC_IMAP_USER="dmarc@example.com")
    assert result.returncode != 0 and "DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE" in result.stderr
    missing = check(DMARC_IMAP_AUTH="google", DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE="/nonexistent/sa.json")
    assert (
        missing.returncode != 0 and "DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE cannot be read" in missing.stderr
    )
