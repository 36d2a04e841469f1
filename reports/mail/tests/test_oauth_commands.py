"""The commands with OAuth 2.0 mailboxes set up from the environment (DMARC_IMAP_AUTH and friends), as a
container would run them: `fetch_reports --check`, `fetch_reports --json` and `watch_mailbox`."""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from reports.harness.report_mail import report_email, small_report
from reports.harness.waiting import scaled, wait_for
from reports.harness.workers import watch_mailbox, worker_env
from reports.models import MailMessage, Report

from .conftest import METHODS

pytestmark = [pytest.mark.imap, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def env_for(oauth, oauth_user, oauth_credentials, oauth_worker_env, tmp_path):
    """env_for(method, lifetime=3600): the environment of a container whose mailbox uses `method`,
    with its secrets in files as container secrets are."""

    def env_for(method, lifetime=3600, **extra):
        creds = oauth_credentials(method, lifetime)

        def secret_file(name, value):
            path = tmp_path / name
            path.write_text(value)
            return str(path)

        env = {
            **oauth_worker_env,
            "DMARC_IMAP_AUTH": creds["auth"],
            "DMARC_IMAP_HOST": "127.0.0.1",
            "DMARC_IMAP_PORT": str(oauth.dovecot.imap_port),
            "DMARC_IMAP_SECURITY": "none",
            "DMARC_IMAP_USER": oauth_user.name,
        }
        if method == "microsoft-secret":
            env.update(
                DMARC_IMAP_MS_TENANT=creds["ms_tenant"],
                DMARC_IMAP_MS_CLIENT_ID=creds["ms_client_id"],
                DMARC_IMAP_MS_CLIENT_SECRET_FILE=secret_file("ms-secret", creds["ms_client_secret"]),
            )
        elif method == "microsoft-certificate":
            env.update(
                DMARC_IMAP_MS_TENANT=creds["ms_tenant"],
                DMARC_IMAP_MS_CLIENT_ID=creds["ms_client_id"],
                DMARC_IMAP_MS_CERTIFICATE_FILE=secret_file("ms.pem", creds["ms_certificate_secret"]),
            )
        elif method == "google-service-account":
            path = secret_file("sa.json", creds["google_service_account_secret"])
            env.update(DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE=path)
        else:
            env.update(
                DMARC_IMAP_GOOGLE_CLIENT_ID=creds["google_client_id"],
                DMARC_IMAP_GOOGLE_CLIENT_SECRET=creds["google_client_secret"],
                DMARC_IMAP_GOOGLE_REFRESH_TOKEN_FILE=secret_file("rt", creds["google_refresh_token_secret"]),
            )
        return {**env, **extra}

    return env_for


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=worker_env(**env),
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )


@pytest.mark.parametrize("method", METHODS)
def test_fetch_reports_checks_then_fetches_with_each_method_from_the_environment(
    method, oauth, oauth_user, env_for
):
    env = env_for(method)
    oauth.dovecot.deliver(oauth_user, [report_email(small_report(1), report_id="rid-1")])
    provider = "Microsoft 365" if method.startswith("microsoft") else "Google"

    check = manage(env, "fetch_reports", "--check")

    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == (
        f"mailbox env: OK: logged in with a {provider} token; 1 message(s) in INBOX; 1 folder(s): INBOX"
    )
    # Nothing was fetched or moved.
    assert MailMessage.objects.count() == 0 and oauth.dovecot.count(oauth_user, "INBOX") == 1

    as_json = manage(env, "fetch_reports", "--check", "--json")
    assert json.loads(as_json.stdout) == {
        "mailbox": "env",
        "ok": True,
        "login": f"{provider} token",
        "folders": ["INBOX"],
        "messages": 1,
        "error": "",
    }

    fetch = manage(env, "fetch_reports", "--json")

    assert fetch.returncode == 0, fetch.stderr
    [line] = [json.loads(line) for line in fetch.stdout.splitlines()]
    assert line["status"] == "imported" and line["report_id"] == "rid-1" and line["mailbox"] == "env"
    assert Report.objects.count() == 1
    assert (
        oauth.dovecot.count(oauth_user, "INBOX") == 0
        and oauth.dovecot.count(oauth_user, "DMARC/Processed") == 1
    )


def test_fetch_reports_check_with_a_wrong_secret_fails_with_the_fix(oauth, oauth_user, env_for, tmp_path):
    (tmp_path / "wrong").write_text("sec~wrong-secret-value")
    env = env_for("microsoft-secret", DMARC_IMAP_MS_CLIENT_SECRET_FILE=str(tmp_path / "wrong"))

    check = manage(env, "fetch_reports", "--check")

    assert check.returncode == 1 and check.stdout == ""
    assert "mailbox env: Failed: Microsoft 365 refused a token" in check.stderr
    assert "AADSTS7000215" in check.stderr and "Create a new client secret" in check.stderr
    assert "wrong-secret-value" not in check.stderr


def test_a_half_configured_method_stops_the_start_naming_what_is_missing(env_for):
    env = env_for("microsoft-secret", DMARC_IMAP_MS_TENANT="")

    result = manage(env, "fetch_reports", "--check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DMARC_IMAP_MS_TENANT" in result.stderr


def test_watch_mailbox_renews_its_token_before_it_expires(oauth, oauth_user, env_for):
    lifetime = 5
    env = env_for("google-service-account", lifetime=lifetime)
    oauth.dovecot.deliver(oauth_user, [report_email(small_report(1), report_id="rid-1")])
    with watch_mailbox("--idle-seconds", "300", env=worker_env(**env)) as watcher:
        wait_for(
            lambda: Report.objects.count() == 1 or watcher.exited,
            message="the first report",
        )
        # Two renewals: the watcher logged in again on its own, each time before the token lapsed.
        wait_for(
            lambda: watcher.output().count("renewing the login token") >= 2 or watcher.exited,
            timeout=4 * lifetime,
            message="two renewals",
        )
        assert not watcher.exited, watcher.output()

        oauth.dovecot.deliver(oauth_user, [report_email(small_report(2), report_id="rid-2")])

        # Stored, then filed: the watcher moves the message once its report is committed.
        wait_for(
            lambda: Report.objects.count() == 2 and oauth.dovecot.count(oauth_user, "INBOX") == 0,
            timeout=15,
            message="the report sent after the renewals, stored and filed",
        )
    assert watcher.code == 0, watcher.text
    assert oauth.issued_for(oauth_user.name) >= 3
    # Every login used a live token: Dovecot never saw a lapsed one.
    assert (oauth_user.name, False) not in oauth.introspected
    assert "poll failed" not in watcher.text and "trying again" not in watcher.text, watcher.text
