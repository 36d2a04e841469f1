"""The alerts' settings fail loudly on bad values, naming the variable."""

import pytest

from reports.harness.commands import check, manage


@pytest.mark.slow
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


@pytest.mark.slow
def test_an_email_url_configures_the_smtp_connection():
    env = dict(
        DMARC_DIGEST_DAY="Friday", EMAIL_URL="smtp+tls://dmarc%40example.com:p%40ss@smtp.example.com:587"
    )
    show = "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, " \
           "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.DMARC_DIGEST_DAY)"  # fmt: skip
    result = manage("shell", "-c", show, **env)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "smtp.example.com",
        "587",
        "True",
        "dmarc@example.com",
        "p@ss",
        "4",
    ]
