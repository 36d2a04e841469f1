"""The mailbox part of the status page, the retry button, the admin and the env-defined mailbox."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from dmarcapp.celery import app as celery_app
from reports.harness.report_mail import plain_email, report_email, small_report
from reports.mail import tasks
from reports.mail.config import enabled_mailboxes
from reports.mail.errors import MailboxError
from reports.mail.poll import poll
from reports.models import Mailbox, MailMessage, Report

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PROCESSED, FAILED = "DMARC/Processed", "DMARC/Failed"


def test_the_status_page_shows_each_mailbox_its_counts_errors_and_failed_messages(
    dovecot, imap_user, make_mailbox, superuser_client
):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1)), plain_email(text="<script>x</script>")])
    poll(mailbox)
    broken = make_mailbox(dovecot.add_user(), name="broken", password="Wrong-Password-7")
    with pytest.raises(MailboxError):
        poll(broken)

    page = superuser_client.get(reverse("status")).content.decode()

    failed = MailMessage.objects.get(mailbox=mailbox, state="failed")
    assert f'id="mailbox-{mailbox.pk}"' in page and f'id="mailbox-{broken.pk}"' in page
    assert '<span class="processed-count">1</span>' in page
    assert '<span class="failed-count">1</span>' in page
    assert "A question" in page and "no DMARC report found" in page
    assert reverse("retry_message", args=[failed.pk]) in page
    assert "Authentication failed" in page
    assert "Wrong-Password-7" not in page and imap_user.password not in page


def test_retry_needs_a_login_and_a_post(dovecot, imap_user, make_mailbox, client):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [plain_email()])
    poll(mailbox)
    url = reverse("retry_message", args=[MailMessage.objects.get().pk])

    assert client.post(url).status_code == 302 and "login" in client.post(url).url
    client.force_login(User.objects.create_user("someone", password="pw-for-tests"))
    assert client.get(url).status_code == 405


def test_a_retried_message_that_now_yields_a_report_moves_to_the_processed_folder(
    dovecot, imap_user, make_mailbox, superuser_client, settings
):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1), message_id="<retry-me@test>")])
    # Too strict a limit fails the message, as a parser bug would.
    settings.DMARC_MAX_DECOMPRESSED_BYTES = 100
    poll(mailbox)
    msg = MailMessage.objects.get()
    assert msg.state == "failed" and dovecot.message_ids(imap_user, FAILED) == ["<retry-me@test>"]
    settings.DMARC_MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024

    response = superuser_client.post(reverse("retry_message", args=[msg.pk]), {"next": "/status/"})

    assert response.status_code == 302 and response.url == "/status/"
    msg.refresh_from_db()
    assert msg.state == "ingested" and msg.error == "" and Report.objects.count() == 1
    poll(mailbox)  # what the queued poll does: file it where it now belongs
    assert dovecot.count(imap_user, FAILED) == 0
    assert dovecot.message_ids(imap_user, PROCESSED) == ["<retry-me@test>"]
    mailbox.refresh_from_db()
    assert (mailbox.processed_count, mailbox.failed_count) == (1, 0)


def test_the_admin_never_shows_the_password_and_keeps_it_when_left_empty(
    dovecot, make_mailbox, superuser_client
):
    mailbox = make_mailbox(password="Hidden-Pass-99")
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])

    page = superuser_client.get(url).content.decode()
    assert "Hidden-Pass-99" not in page

    fields = {
        "name": mailbox.name,
        "enabled": "on",
        "host": mailbox.host,
        "port": mailbox.port,
        "security": "none",
        "ca_file": "",
        "username": mailbox.username,
        "password": "",
        "folder": "INBOX",
        "processed_folder": PROCESSED,
        "failed_folder": FAILED,
    }
    assert superuser_client.post(url, fields).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.password == "Hidden-Pass-99"
    superuser_client.post(url, {**fields, "password": "New-Pass-1"})
    mailbox.refresh_from_db()
    assert mailbox.password == "New-Pass-1"


def test_the_env_mailbox_is_kept_in_step_with_the_settings(dovecot, imap_user, settings):
    fields = dovecot.mailbox_fields(imap_user)
    settings.DMARC_IMAP = {
        "host": fields["host"],
        "port": fields["port"],
        "security": "none",
        "username": imap_user.name,
        "password": imap_user.password,
        "ca_file": "",
        "folder": "INBOX",
        "processed_folder": PROCESSED,
        "failed_folder": FAILED,
    }
    dovecot.deliver(imap_user, [report_email(small_report(1))])

    [mailbox] = enabled_mailboxes()
    poll(mailbox)
    settings.DMARC_IMAP = {**settings.DMARC_IMAP, "folder": "Elsewhere"}
    enabled_mailboxes()

    env = Mailbox.objects.get(name="env")
    assert env.folder == "Elsewhere" and env.password == imap_user.password
    assert Mailbox.objects.count() == 1
    assert Report.objects.count() == 1


def test_filed_messages_lose_their_raw_bytes_after_the_retention_and_failed_ones_keep_them(
    dovecot, imap_user, make_mailbox, superuser_client, settings
):
    entry = next(
        e for e in celery_app.conf.beat_schedule.values() if e["task"] == "reports.mail.tasks.forget_raw_mail"
    )
    assert entry["schedule"] == 3600
    settings.DMARC_KEEP_RAW_MAIL_DAYS = 30
    mailbox = make_mailbox()
    dovecot.deliver(
        imap_user,
        [report_email(small_report(1)), report_email(small_report(2)), plain_email(text="not a report")],
    )  # fmt: skip
    poll(mailbox)
    old, recent = MailMessage.objects.filter(state="ingested").order_by("uid")
    failed = MailMessage.objects.get(state="failed")
    long_ago = timezone.now() - timedelta(days=31)
    MailMessage.objects.filter(pk__in=[old.pk, failed.pk]).update(filed_at=long_ago, created=long_ago)

    settings.DMARC_KEEP_RAW_MAIL_DAYS = 0  # keep forever
    assert tasks.forget_raw_mail.apply().get() == 0
    assert bytes(MailMessage.objects.get(pk=old.pk).raw) != b""

    settings.DMARC_KEEP_RAW_MAIL_DAYS = 30
    assert tasks.forget_raw_mail.apply().get() == 1

    assert bytes(MailMessage.objects.get(pk=old.pk).raw) == b""
    assert bytes(MailMessage.objects.get(pk=recent.pk).raw) != b""
    assert bytes(MailMessage.objects.get(pk=failed.pk).raw) != b""  # kept for a retry after a fix
    # The report keeps its own original, so it can still be parsed again.
    assert all(bytes(r.original) for r in Report.objects.all()) and Report.objects.count() == 2
    assert tasks.forget_raw_mail.apply().get() == 0

    # A row superseded by a new UIDVALIDITY has its bytes in the newer row too.
    MailMessage.objects.filter(pk=recent.pk).update(state="superseded", updated=long_ago)
    assert tasks.forget_raw_mail.apply().get() == 1
    assert bytes(MailMessage.objects.get(pk=recent.pk).raw) == b""
