"""Failed mail keeps its raw bytes for a retry, but anyone can mail the rua address: the bytes of all
failed messages stay under DMARC_MAX_FAILED_MAIL_BYTES, the oldest losing theirs first."""

import os

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from reports.harness.report_mail import plain_email, report_email, small_report
from reports.mail import tasks
from reports.mail.poll import poll
from reports.models import MailMessage

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

JUNK = 200_000  # bytes of noise per junk mail


def junk(n: int) -> bytes:
    return plain_email(text=f"junk {n} " + os.urandom(JUNK // 2).hex())


def test_junk_mail_keeps_at_most_the_cap_of_bytes_newest_first(dovecot, imap_user, make_mailbox, settings):
    settings.DMARC_MAX_FAILED_MAIL_BYTES = 3 * JUNK
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [junk(n) for n in range(6)] + [report_email(small_report(1))])
    poll(mailbox)

    failed = list(MailMessage.objects.filter(state="failed").order_by("uid"))
    assert len(failed) == 6
    kept = [bool(bytes(m.raw)) for m in failed]
    assert kept == [False, False, False, False, True, True]
    assert sum(len(bytes(m.raw)) for m in failed) <= settings.DMARC_MAX_FAILED_MAIL_BYTES
    assert bytes(MailMessage.objects.get(state="ingested").raw)  # filed mail follows its own retention

    # A lower cap takes effect at the hourly cleanup.
    settings.DMARC_MAX_FAILED_MAIL_BYTES = JUNK + JUNK // 2
    assert tasks.forget_raw_mail.apply().get() == 1
    assert [bool(bytes(m.raw)) for m in MailMessage.objects.filter(state="failed").order_by("uid")][-2:] == [
        False,
        True,
    ]

    admin = Client()
    admin.force_login(User.objects.create_superuser("boss", password="pw-boss-1"))
    page = admin.get(reverse("status")).content.decode()
    assert "5 failed messages kept no bytes" in page and "DMARC_MAX_FAILED_MAIL_BYTES" in page
    oldest = failed[0]
    response = admin.post(reverse("retry_message", args=[oldest.pk]), follow=True)
    assert "Nothing to retry" in response.content.decode()
