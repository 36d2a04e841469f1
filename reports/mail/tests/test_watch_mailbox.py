import os
import signal
import subprocess
import sys
import tempfile

import pytest
from django.conf import settings

from reports.models import MailMessage, Report
from reports.tests.report_mail import report_email, small_report
from reports.tests.workers import wait_for, worker_env

pytestmark = [pytest.mark.imap, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_watch_mailbox_ingests_a_report_seconds_after_it_arrives(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1), report_id="rid-1")])
    with tempfile.TemporaryFile() as out:
        watcher = subprocess.Popen(
            [sys.executable, "manage.py", "watch_mailbox", "--mailbox", mailbox.name],
            cwd=settings.BASE_DIR,
            env=worker_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )

        def output():
            out.seek(0)
            return out.read().decode(errors="replace")

        try:
            # What was there already is handled at start.
            wait_for(
                lambda: dovecot.count(imap_user, "DMARC/Processed") == 1 or watcher.poll() is not None,
                message="the first report",
            )
            assert watcher.poll() is None, output()
            wait_for(lambda: MailMessage.objects.count() == 1, message="the first message")

            dovecot.deliver(imap_user, [report_email(small_report(2), report_id="rid-2")])

            wait_for(
                lambda: dovecot.count(imap_user, "DMARC/Processed") == 2, timeout=10, message="the new one"
            )
            assert sorted(Report.objects.values_list("report_id", flat=True)) == ["rid-1", "rid-2"]
            assert dovecot.count(imap_user, "INBOX") == 0
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- watch_mailbox said:\n{output()}") from None
        finally:
            os.kill(watcher.pid, signal.SIGTERM)
            code = watcher.wait(15)
        text = output()
    assert code == 0, text
    assert "waiting for new mail" in text and text.rstrip().endswith("stopped")
