"""Real Celery worker processes, Redis, Dovecot and PostgreSQL, under faults."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from dmarcapp.celery import app as celery_app
from reports.harness.locks import sessions_alive, writes_held
from reports.harness.report_mail import (
    broken_gzip_email,
    invalid_report_email,
    plain_email,
    report_email,
    small_report,
)
from reports.harness.tcp_proxy import TcpProxy
from reports.harness.waiting import wait_for
from reports.harness.workers import worker_env
from reports.mail import tasks
from reports.mail.poll import poll
from reports.models import MailMessage, Report

pytestmark = [pytest.mark.imap, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROCESSED, FAILED = "DMARC/Processed", "DMARC/Failed"


def reports_mail(n, start=0):
    return [report_email(small_report(i), report_id=f"rid-{i}") for i in range(start, start + n)]


def test_beat_polls_every_interval_with_an_expiry_shorter_than_it(settings):
    entry = celery_app.conf.beat_schedule["poll mailboxes"]

    assert entry["task"] == "reports.mail.tasks.poll_all_mailboxes"
    assert entry["schedule"] == settings.DMARC_POLL_INTERVAL
    assert 0 < entry["options"]["expires"] < settings.DMARC_POLL_INTERVAL


def test_a_worker_polls_every_enabled_mailbox_and_files_the_mail(dovecot, make_mailbox, celery_worker):
    enabled_user, disabled_user = dovecot.add_user(), dovecot.add_user()
    mailbox = make_mailbox(enabled_user)
    make_mailbox(disabled_user, enabled=False)
    dovecot.deliver(enabled_user, reports_mail(20) + [plain_email()])
    dovecot.deliver(disabled_user, reports_mail(1, start=100))
    celery_worker()

    tasks.poll_all_mailboxes.delay()

    wait_for(lambda: dovecot.count(enabled_user, PROCESSED) == 20, message="the mail to be filed")
    wait_for(lambda: dovecot.count(enabled_user, FAILED) == 1, message="the failed mail to be filed")
    assert dovecot.count(enabled_user, "INBOX") == 0
    assert Report.objects.count() == 20
    assert dovecot.count(disabled_user, "INBOX") == 1
    mailbox.refresh_from_db()
    wait_for(lambda: type(mailbox).objects.get(pk=mailbox.pk).processed_count == 20, message="the counts")
    mailbox.refresh_from_db()
    assert mailbox.failed_count == 1 and mailbox.last_success is not None and mailbox.last_error == ""


def test_beat_polls_the_mailboxes_on_its_own(dovecot, imap_user, make_mailbox, celery_worker, tmp_path):
    make_mailbox()
    dovecot.deliver(imap_user, reports_mail(2))
    celery_worker()
    env = worker_env(DMARC_POLL_INTERVAL=10)
    with (tmp_path / "beat.log").open("wb") as out:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dmarcapp",
                "beat",
                "-l",
                "info",
                "-s",
                tmp_path / "schedule",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: dovecot.count(imap_user, PROCESSED) == 2, timeout=60, message="beat's poll")
    finally:
        beat.terminate()
        beat.wait(15)
    assert Report.objects.count() == 2
    assert "Sending due task poll mailboxes" in (tmp_path / "beat.log").read_text()


def _ingest_in_progress(message_id):
    # The worker holds the message's row lock for exactly as long as it ingests it.
    try:
        with transaction.atomic():
            list(MailMessage.objects.select_for_update(nowait=True).filter(pk=message_id).values("pk"))
    except OperationalError:
        return True
    return False


def test_a_worker_killed_mid_ingest_leaves_the_report_stored_once_after_a_restart(
    dovecot, imap_user, make_mailbox, celery_worker
):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1, records=2_000), report_id="rid-1")])
    # The test holds the reports table: the worker claims the message, parses it, and then waits
    # at its first write of the report, mid-ingest, for as long as the machine needs to get there.
    with writes_held("reports_report") as held:
        worker = celery_worker()
        tasks.poll_mailbox.delay(mailbox.pk)
        msg = wait_for(lambda: MailMessage.objects.first(), message="the message to be recorded")
        waiting = wait_for(held.waiters, timeout=60, message="the ingest to reach the reports table")
        assert _ingest_in_progress(msg.pk), "the worker does not hold the message it ingests"

        worker.kill()

        assert Report.objects.count() == 0, "the kill came too late to interrupt the ingest"
        assert MailMessage.objects.get().state == "new"
        assert dovecot.count(imap_user, "INBOX") == 1
    # The killed worker's session ends (rolling back) once the server notices its client is gone.
    wait_for(lambda: not sessions_alive(waiting), message="the killed worker's database session to end")
    assert Report.objects.count() == 0 and MailMessage.objects.get().state == "new"
    # The unacknowledged task comes back to the restarted worker (acks_late); no new poll is asked for.
    worker = celery_worker()
    wait_for(lambda: dovecot.count(imap_user, PROCESSED) == 1, timeout=90, message="the message to be filed")
    assert Report.objects.count() == 1, worker.output()
    assert MailMessage.objects.get().state == "ingested", worker.output()
    assert dovecot.count(imap_user, "INBOX") == 0


def test_while_the_database_is_down_no_mail_moves_and_all_is_ingested_once_it_is_back(
    dovecot, imap_user, make_mailbox, celery_worker
):
    mailbox = make_mailbox()
    n = 30
    dovecot.deliver(imap_user, reports_mail(n))
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).up()
    try:
        worker = celery_worker(DATABASE_URL=_via(proxy.port))
        # The poll records the mail and hands it out; then the database goes away.
        poll(mailbox, enqueue=lambda ids: None)
        proxy.down()
        for pk in MailMessage.objects.values_list("pk", flat=True):
            tasks.ingest_message.delay(pk)
        tasks.poll_mailbox.delay(mailbox.pk)
        wait_for(lambda: worker.output().count("Retry in") >= 5, message="the worker to retry")

        assert dovecot.count(imap_user, "INBOX") == n
        assert Report.objects.count() == 0
        assert set(MailMessage.objects.values_list("state", flat=True)) == {"new"}

        proxy.up()
        wait_for(lambda: dovecot.count(imap_user, PROCESSED) == n, timeout=90, message="the mail to be filed")
    finally:
        proxy.down()
    assert Report.objects.count() == n
    assert dovecot.count(imap_user, "INBOX") == 0
    assert len(set(dovecot.message_ids(imap_user, PROCESSED))) == n


def _via(port):
    from reports.harness.workers import database_url

    url = database_url()
    head, _, tail = url.rpartition("@")
    return f"{head}@127.0.0.1:{port}/{tail.split('/', 1)[1]}"


def test_a_thousand_mixed_emails_each_good_report_stored_once_each_bad_mail_failed(
    dovecot, imap_user, make_mailbox, celery_worker
):
    mailbox = make_mailbox()
    good, bad, messages = 0, 0, []
    for i in range(1000):
        if i % 7 == 3:
            messages.append((broken_gzip_email, invalid_report_email, plain_email)[i % 3]())
            bad += 1
        else:
            fmt = ("gzip", "zip", "xml")[i % 3]
            messages.append(report_email(small_report(i), fmt, report_id=f"rid-{i}", forwarded=i % 10 == 0))
            good += 1
    # The same reports once more, in other emails: stored once, both emails processed.
    messages += [
        report_email(small_report(i), "zip", report_id=f"rid-{i}", forwarded=True) for i in (0, 1, 2)
    ]
    dovecot.deliver(imap_user, messages)
    celery_worker(DMARC_POLL_MAX_MESSAGES=500)

    # Four polls at once: the mailbox lock lets one through at a time.
    for _ in range(4):
        tasks.poll_mailbox.delay(mailbox.pk)

    wait_for(
        lambda: dovecot.count(imap_user, "INBOX") == 0, timeout=180, interval=1, message="the inbox to drain"
    )
    wait_for(lambda: dovecot.count(imap_user, PROCESSED) == good + 3, timeout=30, message="all filed")
    assert Report.objects.count() == good
    assert dovecot.count(imap_user, FAILED) == bad
    assert MailMessage.objects.count() == len(messages)
    failed = MailMessage.objects.filter(state="failed")
    assert failed.count() == bad and not failed.filter(error="").exists()
    assert len(set(dovecot.message_ids(imap_user, PROCESSED))) == good + 3
