"""The alerts' settings fail loudly on bad values, naming the variable."""

import os
import subprocess
import sys

import pytest

from reports.tests.test_settings import ROOT, check


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DMARC_DIGEST_DAY", "funday"),
        ("DMARC_DIGEST_HOUR", "25"),
        ("DMARC_BASE_URL", "dash.example.com"),
        ("EMAIL_URL", "carrier-pigeon://coop"),
        ("EMAIL_PORT", "smtp"),
        ("DMARC_ALERT_HOURLY_CAP", "0"),
    ],
)
def test_a_bad_alert_setting_stops_the_start_and_names_the_variable(name, value):
    result = check(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_an_email_url_configures_the_smtp_connection():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SECRET_KEY="x", DMARC_ENV_FILE="/dev/null", DMARC_DIGEST_DAY="Friday",
               EMAIL_URL="smtp+tls://dmarc%40example.com:p%40ss@smtp.example.com:587")  # fmt: skip
    show = "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, " \
           "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.DMARC_DIGEST_DAY)"  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.stdout.strip().splitlines()[-1].split() == [
        "smtp.example.com",
        "587",
        "True",
        "dmarc@example.com",
        "p@ss",
        "4",
    ]
