"""OAuth 2.0 mailboxes in the admin: secrets never shown, each method's needs checked, and the
"Test connection" action run by a real worker against the token-taking Dovecot."""

import pytest
from django.urls import reverse

from reports.harness.report_mail import report_email, small_report
from reports.harness.waiting import wait_for
from reports.models import Mailbox, MailMessage

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def form_fields(mailbox, **changes):
    fields = {
        "name": mailbox.name,
        "enabled": "on",
        "auth": mailbox.auth,
        "host": mailbox.host,
        "port": mailbox.port,
        "security": mailbox.security,
        "ca_file": "",
        "username": mailbox.username,
        "ms_tenant": mailbox.ms_tenant,
        "ms_client_id": mailbox.ms_client_id,
        "ms_authority": mailbox.ms_authority,
        "google_client_id": mailbox.google_client_id,
        "folder": "INBOX",
        "processed_folder": "DMARC/Processed",
        "failed_folder": "DMARC/Failed",
    }
    return {**fields, **changes}


def test_the_admin_never_shows_a_stored_secret_and_keeps_each_when_left_empty(
    make_oauth_mailbox, oauth_credentials, admin_client
):
    mailbox = make_oauth_mailbox("microsoft-certificate", ms_client_secret="sec~Hidden-Secret-77")
    mailbox.google_service_account_secret = oauth_credentials("google-service-account")[
        "google_service_account_secret"
    ]
    mailbox.google_refresh_token_secret = "1//Hidden-Refresh-Token"
    mailbox.save()
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])

    page = admin_client.get(url).content.decode()

    for secret in mailbox.secret_values():
        for line in secret.splitlines():
            if len(line) > 8 and "-----" not in line:
                assert line not in page
    assert "IMAP.AccessAsApp" in page and "Domain-wide delegation" in page

    assert admin_client.post(url, form_fields(mailbox)).status_code == 302
    kept = Mailbox.objects.get(pk=mailbox.pk)
    assert kept.secret_values() == mailbox.secret_values()

    admin_client.post(url, form_fields(mailbox, ms_client_secret="sec~New-One"))
    assert Mailbox.objects.get(pk=mailbox.pk).ms_client_secret == "sec~New-One"


def test_the_admin_asks_for_what_the_chosen_method_needs_and_fills_in_the_provider_host(admin_client, db):
    url = reverse("admin:reports_mailbox_add")
    blank = Mailbox(
        name="m365", auth="microsoft", host="", port=993, security="tls", username="dmarc@example.com"
    )

    page = admin_client.post(url, form_fields(blank)).content.decode()

    assert page.count("Microsoft 365 needs this.") == 2
    assert "Microsoft 365 needs a client secret or a certificate." in page
    assert not Mailbox.objects.exists()

    fields = form_fields(blank, ms_tenant="contoso-tenant", ms_client_id="app-1", ms_client_secret="sec~x")
    assert admin_client.post(url, fields).status_code == 302
    saved = Mailbox.objects.get()
    assert saved.host == "outlook.office365.com" and saved.ms_client_secret == "sec~x"

    google = Mailbox(name="gmail", auth="google", host="", port=993, security="tls", username="me@gmail.com")
    page = admin_client.post(url, form_fields(google, google_client_id="id-only")).content.decode()
    assert (
        "Google needs a service account key, or an OAuth client ID, client secret and refresh token." in page
    )


@pytest.mark.slow
def test_test_connection_logs_in_lists_the_folders_and_counts_without_fetching(
    oauth, oauth_user, make_oauth_mailbox, oauth_worker_env, celery_worker, admin_client
):
    good = make_oauth_mailbox("google-refresh-token", name="good")
    bad = make_oauth_mailbox("microsoft-secret", name="bad", ms_client_secret="sec~wrong")
    oauth.dovecot.deliver(oauth_user, [report_email(small_report(1)), report_email(small_report(2))])
    celery_worker(**oauth_worker_env)
    changelist = reverse("admin:reports_mailbox_changelist")

    response = admin_client.post(
        changelist, {"action": "test_connection", "_selected_action": [good.pk, bad.pk]}, follow=True
    )

    assert "Connection test queued for" in response.content.decode()
    wait_for(lambda: Mailbox.objects.get(pk=good.pk).check_result, message="the good check")
    wait_for(lambda: Mailbox.objects.get(pk=bad.pk).check_result, message="the bad check")
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.check_result == "OK: logged in with a Google token; 2 message(s) in INBOX; 1 folder(s): INBOX"
    assert bad.check_result.startswith("Failed: Microsoft 365 refused a token")
    assert "Create a new client secret" in bad.check_result and "sec~wrong" not in bad.check_result
    # A check fetches and moves nothing, and is no poll.
    assert MailMessage.objects.count() == 0 and oauth.dovecot.count(oauth_user, "INBOX") == 2
    assert good.last_poll is None
    page = admin_client.get(reverse("admin:reports_mailbox_change", args=[good.pk])).content.decode()
    assert "2 message(s) in INBOX" in page
