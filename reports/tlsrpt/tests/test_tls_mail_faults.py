"""TLS report mail under the faults the DMARC mail tests inject: a real Celery worker killed
mid-ingest, then restarted, stores the report exactly once and files the mail."""

import pytest

from reports.demo import tls_json
from reports.harness.locks import sessions_alive, writes_held
from reports.harness.tls_mail import tls_report_email
from reports.harness.waiting import wait_for
from reports.mail import tasks
from reports.models import MailMessage, TlsReport
from reports.tlsrpt.tests.test_import_tls import DAY

pytestmark = [pytest.mark.imap, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROCESSED = "DMARC/Processed"


def test_a_worker_killed_mid_ingest_leaves_the_tls_report_stored_once_after_a_restart(
    dovecot, imap_user, make_mailbox, celery_worker
):
    mailbox = make_mailbox()
    doc = tls_json.microsoft(
        "example.com", DAY, failures=[tls_json.failure("certificate-expired", "mx1.example.com", 3)]
    )
    dovecot.deliver(imap_user, [tls_report_email(tls_json.dumps(doc), submitter="microsoft.com")])
    # The test holds the TLS reports table: the worker stops at its first write of the report.
    with writes_held("reports_tlsreport") as held:
        worker = celery_worker()
        tasks.poll_mailbox.delay(mailbox.pk)
        wait_for(lambda: MailMessage.objects.first(), message="the message to be recorded")
        waiting = wait_for(held.waiters, timeout=60, message="the ingest to reach the TLS reports table")

        worker.kill()

        assert TlsReport.objects.count() == 0, "the kill came too late to interrupt the ingest"
        assert MailMessage.objects.get().state == "new"
        assert dovecot.count(imap_user, "INBOX") == 1
    wait_for(lambda: not sessions_alive(waiting), message="the killed worker's database session to end")
    assert TlsReport.objects.count() == 0
    # The unacknowledged task comes back to the restarted worker (acks_late).
    worker = celery_worker()
    wait_for(lambda: dovecot.count(imap_user, PROCESSED) == 1, timeout=90, message="the message to be filed")
    assert TlsReport.objects.count() == 1, worker.output()
    assert TlsReport.objects.get().failed_sessions == 3
    assert MailMessage.objects.get().state == "ingested", worker.output()
    assert dovecot.count(imap_user, "INBOX") == 0
