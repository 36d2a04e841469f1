import pytest

from reports.harness.report_mail import report_email, small_report
from reports.harness.waiting import wait_for
from reports.harness.workers import watch_mailbox, worker_env
from reports.models import MailMessage, Report

pytestmark = [pytest.mark.imap, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_watch_mailbox_ingests_a_report_seconds_after_it_arrives(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1), report_id="rid-1")])
    with watch_mailbox("--mailbox", mailbox.name, env=worker_env()) as watcher:
        # What was there already is handled at start.
        wait_for(
            lambda: dovecot.count(imap_user, "DMARC/Processed") == 1 or watcher.exited,
            message="the first report",
        )
        assert not watcher.exited, watcher.output()
        wait_for(lambda: MailMessage.objects.count() == 1, message="the first message")

        dovecot.deliver(imap_user, [report_email(small_report(2), report_id="rid-2")])

        wait_for(lambda: dovecot.count(imap_user, "DMARC/Processed") == 2, timeout=10, message="the new one")
        assert sorted(Report.objects.values_list("report_id", flat=True)) == ["rid-1", "rid-2"]
        assert dovecot.count(imap_user, "INBOX") == 0
    assert watcher.code == 0, watcher.text
    assert "waiting for new mail" in watcher.text and watcher.text.rstrip().endswith("stopped")
