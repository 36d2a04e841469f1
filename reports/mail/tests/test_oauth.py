"""Mailboxes that log in with OAuth 2.0 tokens (Microsoft 365, Google), against a real Dovecot that
checks each token with the local token server, and the real MSAL and google-auth libraries."""

import json
import logging
import re
import time

import pytest

from reports.harness.oauth_server import key_pem, new_key
from reports.harness.report_mail import report_email, small_report
from reports.harness.waiting import wait_for
from reports.mail import tasks
from reports.mail.errors import MailboxError, TransientError
from reports.mail.poll import poll
from reports.models import Mailbox, MailMessage, Report

from .conftest import METHODS

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PROCESSED = "DMARC/Processed"


def deliver(oauth, user, *ids):
    oauth.dovecot.deliver(user, [report_email(small_report(i), report_id=f"rid-{i}") for i in ids])


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_a_celery_worker_polls_with_each_method_stores_the_reports_once_and_files_the_mail(
    method, oauth, oauth_user, make_oauth_mailbox, oauth_worker_env, celery_worker
):
    mailbox = make_oauth_mailbox(method)
    deliver(oauth, oauth_user, 1, 2)
    worker = celery_worker(**oauth_worker_env)

    tasks.poll_mailbox.delay(mailbox.pk)
    wait_for(
        lambda: oauth.dovecot.count(oauth_user, PROCESSED) == 2, timeout=60, message="the mail to be filed"
    )

    # The same reports again, in new messages: stored once.
    deliver(oauth, oauth_user, 1, 2)
    tasks.poll_mailbox.delay(mailbox.pk)
    wait_for(lambda: oauth.dovecot.count(oauth_user, PROCESSED) == 4, timeout=60, message="the repeats")

    assert sorted(Report.objects.values_list("report_id", flat=True)) == ["rid-1", "rid-2"], worker.output()
    assert oauth.dovecot.count(oauth_user, "INBOX") == 0
    # The counts are stored as the poll that filed the mail ends.
    wait_for(lambda: Mailbox.objects.get(pk=mailbox.pk).processed_count == 4, message="the counts")
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == ""
    # Dovecot asked the token server about the tokens it was shown, and they were good.
    assert (oauth_user.name, True) in oauth.introspected
    assert oauth.issued_for(oauth_user.name) >= 1
    assert "method=XOAUTH2" in oauth.dovecot.log.read_text()


@pytest.mark.slow
def test_with_a_wrong_secret_a_celery_worker_stores_the_clear_error_once_and_moves_nothing(
    oauth, oauth_user, make_oauth_mailbox, oauth_worker_env, celery_worker
):
    mailbox = make_oauth_mailbox("google-refresh-token", google_client_secret="GOCSPX-wrong")
    deliver(oauth, oauth_user, 1)
    worker = celery_worker(**oauth_worker_env)

    tasks.poll_mailbox.delay(mailbox.pk)
    error = wait_for(lambda: Mailbox.objects.get(pk=mailbox.pk).last_error, message="the error")

    assert error.startswith(
        f"Google refused a token for OAuth client {mailbox.google_client_id}: invalid_client"
    )
    assert "check the OAuth client ID and secret" in error and "GOCSPX-wrong" not in error
    assert "GOCSPX-wrong" not in worker.output()
    # A mailbox error is not retried: the provider is asked once, until the next scheduled poll. The
    # task ends (the worker logs it) rather than being put back for a retry.
    ended = re.compile(r"poll_mailbox\[[^\]]+\] succeeded in ")
    wait_for(lambda: ended.search(worker.output()), message="the poll task to end")
    assert "retry" not in worker.output().lower(), worker.output()
    assert worker.output().count("poll failed") == 1, worker.output()
    assert oauth.dovecot.count(oauth_user, "INBOX") == 1 and MailMessage.objects.count() == 0
    assert Report.objects.count() == 0


def test_the_token_is_kept_until_shortly_before_it_expires(
    oauth, oauth_user, make_oauth_mailbox, oauth_settings
):
    mailbox = make_oauth_mailbox("microsoft-secret")
    for i in range(3):
        deliver(oauth, oauth_user, i)
        poll(mailbox)

    assert Report.objects.count() == 3
    assert oauth.issued_for(oauth_user.name) == 1


@pytest.mark.parametrize(
    "method", ["microsoft-certificate", "google-service-account", "google-refresh-token"]
)
def test_an_expired_token_is_refreshed_without_a_failed_poll(
    method, oauth, oauth_user, make_oauth_mailbox, oauth_settings
):
    lifetime = 3
    mailbox = make_oauth_mailbox(method, lifetime=lifetime)
    deliver(oauth, oauth_user, 1)
    poll(mailbox)
    time.sleep(lifetime + 0.5)  # the token has expired at the server too

    deliver(oauth, oauth_user, 2)
    result = poll(mailbox)

    assert result.processed == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.processed_count == 2
    assert oauth.issued_for(oauth_user.name) == 2
    # No login was tried with the lapsed token.
    assert (oauth_user.name, False) not in oauth.introspected and ("", False) not in oauth.introspected[-2:]


def test_a_token_the_server_stops_accepting_early_is_replaced_and_the_poll_goes_on(
    oauth, oauth_user, make_oauth_mailbox, oauth_settings
):
    mailbox = make_oauth_mailbox("microsoft-secret")
    deliver(oauth, oauth_user, 1)
    poll(mailbox)
    time.sleep(1.1)
    oauth.revoke_all()  # revoked, or our clock is behind the provider's

    deliver(oauth, oauth_user, 2)
    result = poll(mailbox)

    assert result.processed == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert oauth.issued_for(oauth_user.name) == 2


def poll_error(mailbox, kind=MailboxError):
    with pytest.raises(kind) as caught:
        poll(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.last_error == str(caught.value)
    return mailbox.last_error


def test_a_wrong_client_secret_is_a_clear_error_naming_the_fix_and_moves_nothing(
    oauth, oauth_user, make_oauth_mailbox, oauth_settings, caplog
):
    caplog.set_level(logging.DEBUG)
    mailbox = make_oauth_mailbox("microsoft-secret", ms_client_secret="sec~not-the-right-one-12345")
    deliver(oauth, oauth_user, 1)

    error = poll_error(mailbox)

    assert error.startswith(f"Microsoft 365 refused a token for app {mailbox.ms_client_id} in tenant ")
    assert "AADSTS7000215" in error and "Create a new client secret" in error
    assert "not-the-right-one" not in error and "not-the-right-one" not in caplog.text
    assert oauth.dovecot.count(oauth_user, "INBOX") == 1 and MailMessage.objects.count() == 0


def test_a_wrong_certificate_a_wrong_tenant_and_missing_consent_each_say_what_to_fix(
    oauth, oauth_user, make_oauth_mailbox, oauth_credentials, oauth_settings
):
    other = oauth_credentials("microsoft-certificate")["ms_certificate_secret"]
    wrong_cert = make_oauth_mailbox("microsoft-certificate", name="cert", ms_certificate_secret=other)
    assert "AADSTS700027" in poll_error(wrong_cert) and "upload the certificate" in poll_error(wrong_cert)

    wrong_tenant = make_oauth_mailbox("microsoft-secret", name="tenant", ms_tenant="no-such-tenant")
    assert "Check the directory (tenant) ID" in poll_error(wrong_tenant)

    no_consent = make_oauth_mailbox("microsoft-secret", name="consent")
    oauth.microsoft[no_consent.ms_client_id].consented = False
    error = poll_error(no_consent)
    assert "AADSTS65001" in error and "IMAP.AccessAsApp" in error and "grant admin consent" in error


def test_a_token_for_another_mailbox_names_the_mailbox_permission(
    oauth, oauth_user, make_oauth_mailbox, oauth_settings
):
    mailbox = make_oauth_mailbox("microsoft-secret")
    oauth.microsoft[mailbox.ms_client_id].mailbox = "someone-else"

    error = poll_error(mailbox)

    assert f"Login as '{oauth_user.name}'" in error and "with a Microsoft 365 token failed" in error
    assert "Add-MailboxPermission" in error


def test_google_refusals_say_what_to_fix(oauth, oauth_user, make_oauth_mailbox, oauth_settings):
    key = json.loads(make_oauth_mailbox("google-service-account").google_service_account_secret)
    key["private_key"] = key_pem(new_key())  # a deleted key, say
    bad_key = make_oauth_mailbox(
        "google-service-account", name="key", google_service_account_secret=json.dumps(key)
    )
    error = poll_error(bad_key)
    assert "Invalid JWT Signature" in error and "Create a new key" in error
    assert key["private_key"].splitlines()[1] not in error

    undelegated = make_oauth_mailbox("google-service-account", name="delegation")
    email = json.loads(undelegated.google_service_account_secret)["client_email"]
    oauth.service_accounts[email].delegated = False
    assert "Domain-wide delegation" in poll_error(undelegated)

    revoked = make_oauth_mailbox(
        "google-refresh-token", name="revoked", google_refresh_token_secret="1//revoked"
    )
    error = poll_error(revoked)
    assert "Token has been expired or revoked" in error and "get a new refresh token" in error

    not_json = make_oauth_mailbox(
        "google-service-account", name="json", google_service_account_secret="{nope"
    )
    assert "not a usable JSON key" in poll_error(not_json)


def test_a_token_error_ends_the_task_without_retries(
    oauth, oauth_user, make_oauth_mailbox, oauth_settings, celery_broker, caplog
):
    mailbox = make_oauth_mailbox("microsoft-secret", ms_client_secret="wrong")
    deliver(oauth, oauth_user, 1)
    before = len(oauth.issued)

    result = tasks.poll_mailbox.apply(args=(mailbox.pk,))

    # Asked once; the next scheduled poll asks again, not a retry storm against the provider.
    assert result.successful()
    assert sum("poll failed" in r.getMessage() for r in caplog.records) == 1
    assert len(oauth.issued) == before


def test_an_unreachable_token_endpoint_is_transient(oauth, make_oauth_mailbox, oauth_settings):
    from reports.harness.dovecot import free_port

    mailbox = make_oauth_mailbox("google-refresh-token")
    oauth_settings.DMARC_IMAP_GOOGLE_TOKEN_URI = f"https://127.0.0.1:{free_port()}/token"

    assert "Google's token endpoint cannot be reached" in poll_error(mailbox, TransientError)


def test_no_secret_and_no_token_is_ever_logged(oauth, oauth_user, make_oauth_mailbox, oauth_settings, caplog):
    caplog.set_level(logging.DEBUG)
    mailboxes = [make_oauth_mailbox(method, name=method) for method in METHODS]
    deliver(oauth, oauth_user, 1)

    for mailbox in mailboxes:
        poll(mailbox)

    assert Report.objects.count() == 1
    secrets = [s for m in mailboxes for s in m.secret_values() if s]
    tokens = [t for t, (user, _) in oauth.tokens.items() if user == oauth_user.name]
    assert len(secrets) == 5 and len(tokens) == 4
    for secret in secrets + tokens:
        for line in secret.splitlines():
            if len(line) > 8 and "-----" not in line:
                assert line not in caplog.text


def test_the_token_is_not_in_the_mailbox_repr_nor_in_its_errors(oauth, make_oauth_mailbox, oauth_settings):
    from reports.mail import tokens

    mailbox = make_oauth_mailbox("google-refresh-token")
    token = tokens.token(mailbox)

    assert token.access_token not in repr(token)
    assert token.access_token not in str(Mailbox.objects.get(pk=mailbox.pk).__dict__)
