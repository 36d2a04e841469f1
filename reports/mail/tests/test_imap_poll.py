"""One poll against a real Dovecot, inline (the path fetch_reports takes)."""

import threading
import time
from email.message import EmailMessage

import pytest
from django.db import connection

from reports.harness.corpus import corpus_dir
from reports.harness.locks import writes_held
from reports.harness.report_mail import (
    broken_gzip_email,
    invalid_report_email,
    plain_email,
    report_email,
    small_report,
)
from reports.harness.waiting import scaled, wait_for
from reports.mail.errors import MailboxBusy, TransientError
from reports.mail.messages import ingest_message
from reports.mail.poll import poll
from reports.models import MailMessage, Report

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PROCESSED, FAILED = "DMARC/Processed", "DMARC/Failed"


def forwarded(raw: bytes) -> bytes:
    """raw, forwarded by hand as an attached message."""
    msg = EmailMessage()
    msg["From"] = "postmaster@example.com"
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = "Fwd: a report"
    msg["Message-ID"] = f"<fwd-{len(raw)}-{time.monotonic_ns()}@example.com>"
    msg.set_content("See the attached report.")
    msg.add_attachment(raw, maintype="message", subtype="rfc822")
    return msg.as_bytes()


def corpus_mail(name: str) -> bytes:
    return (corpus_dir() / "parsedmarc" / name).read_bytes()


BORSCHOW = "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml"


def test_it_ingests_real_report_mail_and_files_it(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(
        imap_user,
        [
            corpus_mail("twilight.eml"),
            corpus_mail("mimecast-weird-gzip.eml"),
            forwarded(corpus_mail(BORSCHOW)),
        ],
    )

    result = poll(mailbox)

    assert sorted(Report.objects.values_list("org_name", "report_id")) == [
        ("Mimecast", "157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e"),
        ("google.com", "1627703331531660819"),
        ("google.com", "949348866075514174"),
    ]
    assert (result.recorded, result.processed, result.failed) == (3, 3, 0)
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, PROCESSED) == 3
    twilight = MailMessage.objects.get(uid=1)
    assert twilight.subject.startswith("Report domain: twlnet.com")
    assert twilight.message_id.startswith("<") and twilight.date is not None
    # Dovecot stores lines with CRLF, as IMAP requires.
    assert bytes(twilight.raw).replace(b"\r\n", b"\n") == corpus_mail("twilight.eml").replace(b"\r\n", b"\n")


def test_it_stores_a_report_sent_twice_once_and_files_both_emails(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    original = corpus_mail(BORSCHOW)
    dovecot.deliver(imap_user, [original, forwarded(original)])

    poll(mailbox)

    assert Report.objects.filter(report_id="949348866075514174").count() == 1
    assert [o["status"] for m in MailMessage.objects.order_by("uid") for o in m.outcomes] == [
        "imported",
        "duplicate",
    ]
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, PROCESSED) == 2


def test_bad_mail_goes_to_the_failed_folder_with_its_error(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(
        imap_user,
        [
            plain_email(message_id="<plain@test>"),
            broken_gzip_email(message_id="<gzip@test>"),
            invalid_report_email(message_id="<noid@test>"),
        ],
    )

    poll(mailbox)

    assert Report.objects.count() == 0
    assert dovecot.message_ids(imap_user, FAILED) == ["<gzip@test>", "<noid@test>", "<plain@test>"]
    errors = dict(MailMessage.objects.values_list("message_id", "error"))
    assert "no DMARC report" in errors["<plain@test>"]
    assert "gzip" in errors["<gzip@test>"].lower()
    assert "report_id" in errors["<noid@test>"]
    assert set(MailMessage.objects.values_list("state", flat=True)) == {"failed"}
    mailbox.refresh_from_db()
    assert (mailbox.processed_count, mailbox.failed_count, mailbox.last_error) == (0, 3, "")


def test_it_does_not_mark_mail_as_read(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1))])

    poll(mailbox)

    with dovecot.client(imap_user) as c:
        c.select_folder(PROCESSED, readonly=True)
        flags = c.get_flags(c.search("ALL"))
    assert [b"\\Seen" in f for f in flags.values()] == [False]


def test_the_cap_spreads_a_backlog_over_several_polls(dovecot, imap_user, make_mailbox, settings):
    settings.DMARC_POLL_MAX_MESSAGES = 4
    settings.DMARC_POLL_BATCH = 3
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(n), report_id=f"rid-{n}") for n in range(10)])

    first = poll(mailbox)
    assert (first.recorded, first.processed, first.remaining) == (4, 4, 6)
    assert dovecot.count(imap_user, "INBOX") == 6
    assert poll(mailbox).remaining == 2
    last = poll(mailbox)

    assert (last.recorded, last.remaining) == (2, 0)
    assert Report.objects.count() == 10
    assert dovecot.count(imap_user, PROCESSED) == 10


def test_an_oversized_message_is_failed_without_being_downloaded(dovecot, imap_user, make_mailbox, settings):
    settings.DMARC_MAX_INPUT_BYTES = 20_000
    mailbox = make_mailbox()
    big = report_email(small_report(1, records=300), "xml", message_id="<big@test>")
    assert len(big) > 20_000
    dovecot.deliver(imap_user, [big, report_email(small_report(2), message_id="<small@test>")])

    poll(mailbox)

    msg = MailMessage.objects.get(state="failed")
    assert "over the limit" in msg.error and bytes(msg.raw) == b""
    assert dovecot.message_ids(imap_user, FAILED) == ["<big@test>"]
    assert dovecot.message_ids(imap_user, PROCESSED) == ["<small@test>"]


def test_recorded_but_unfinished_messages_are_completed_by_the_next_poll(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(n), report_id=f"rid-{n}") for n in range(4)])
    # A poll whose ingest tasks never ran (the worker died after the commit).
    handed_out = []
    poll(mailbox, enqueue=handed_out.extend)
    assert len(handed_out) == 4 and set(MailMessage.objects.values_list("state", flat=True)) == {"new"}
    # One was ingested but not moved (the poll died before filing it).
    ingest_message(handed_out[0])
    assert dovecot.count(imap_user, "INBOX") == 4

    result = poll(mailbox)

    assert result.recorded == 0 and result.processed == 4
    assert Report.objects.count() == 4
    assert MailMessage.objects.count() == 4
    assert dovecot.count(imap_user, "INBOX") == 0 and dovecot.count(imap_user, PROCESSED) == 4


def test_uids_reused_under_a_new_uidvalidity_are_fetched(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox(folder="Reports")
    dovecot.deliver(imap_user, [report_email(small_report(1), report_id="rid-1")], folder="Reports")
    poll(mailbox)
    # The folder is deleted and made again: UIDs start over at 1, under a new UIDVALIDITY.
    with dovecot.client(imap_user) as c:
        c.delete_folder("Reports")
        c.create_folder("Reports")
    dovecot.deliver(imap_user, [report_email(small_report(2), report_id="rid-2")], folder="Reports")
    assert dovecot.uids(imap_user, "Reports") == [1]

    poll(mailbox)

    assert sorted(Report.objects.values_list("report_id", flat=True)) == ["rid-1", "rid-2"]
    assert dovecot.count(imap_user, "Reports") == 0 and dovecot.count(imap_user, PROCESSED) == 2
    assert MailMessage.objects.values("uidvalidity").distinct().count() == 2


def test_a_uidvalidity_change_before_filing_examines_the_mail_again_and_stores_it_once(
    dovecot, imap_user, make_mailbox
):
    mailbox = make_mailbox(folder="Reports")
    dovecot.deliver(
        imap_user, [report_email(small_report(n), report_id=f"rid-{n}") for n in range(3)], "Reports"
    )
    handed_out = []
    poll(mailbox, enqueue=handed_out.extend)
    ingest_message(handed_out[0])  # stored, but never moved
    # The server loses its index and renumbers the folder (a restore, a migration).
    with dovecot.client(imap_user) as c:
        c.rename_folder("Reports", "Old")
        c.create_folder("Reports")
        c.select_folder("Old")
        c.move(c.search("ALL"), "Reports")

    poll(mailbox)

    assert sorted(Report.objects.values_list("report_id", flat=True)) == ["rid-0", "rid-1", "rid-2"]
    assert MailMessage.objects.filter(state="superseded").count() == 3
    assert MailMessage.objects.filter(state="ingested").count() == 3
    assert dovecot.count(imap_user, "Reports") == 0 and dovecot.count(imap_user, PROCESSED) == 3


def test_without_move_it_copies_deletes_and_expunges(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1)), plain_email()])

    with dovecot.configured(
        capability="IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS CHILDREN"
    ):
        with dovecot.client(imap_user) as c:
            assert not c.has_capability("MOVE")
        poll(mailbox)

    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, PROCESSED) == 1 and dovecot.count(imap_user, FAILED) == 1
    assert Report.objects.count() == 1


def test_folder_levels_follow_the_servers_separator(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1)), plain_email()])

    with dovecot.configured(separator="."):
        poll(mailbox)
        assert dovecot.count(imap_user, "DMARC.Processed") == 1
        assert dovecot.count(imap_user, "DMARC.Failed") == 1
        with dovecot.client(imap_user) as c:
            assert {name for _, _, name in c.list_folders()} == {
                "INBOX",
                "DMARC",
                "DMARC.Processed",
                "DMARC.Failed",
            }
    # Stored as configured, so that the status page and retries keep one name for them.
    assert dict(MailMessage.objects.values_list("state", "filed_in")) == {
        "ingested": "DMARC/Processed",
        "failed": "DMARC/Failed",
    }


def test_four_polls_at_once_store_each_report_once(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    n = 60
    dovecot.deliver(imap_user, [report_email(small_report(i), report_id=f"rid-{i}") for i in range(n)])
    start = threading.Barrier(4)
    outcomes = []

    def run():
        start.wait()
        began = time.monotonic()
        try:
            poll(type(mailbox).objects.get(pk=mailbox.pk))
            outcomes.append(("polled", time.monotonic() - began))
        except MailboxBusy:
            outcomes.append(("busy", time.monotonic() - began))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    kinds = sorted(kind for kind, _ in outcomes)
    assert len(outcomes) == 4 and "polled" in kinds
    assert all(seconds < 2 for kind, seconds in outcomes if kind == "busy")
    assert Report.objects.count() == n
    assert MailMessage.objects.count() == n
    assert len(set(dovecot.message_ids(imap_user, PROCESSED))) == n == dovecot.count(imap_user, PROCESSED)


def test_a_dovecot_restart_during_a_poll_fails_it_cleanly_and_the_next_poll_completes(
    dovecot, imap_user, make_mailbox, settings
):
    settings.DMARC_POLL_BATCH = 5
    mailbox = make_mailbox()
    # The restart comes after the first few are filed, while the poll waits at its next write of a
    # report (the test holds the reports table), however fast or busy the machine.
    n = 400
    dovecot.deliver(imap_user, [report_email(small_report(i), report_id=f"rid-{i}") for i in range(n)])
    errors = []

    def run():
        try:
            poll(mailbox)
        except TransientError as e:
            errors.append(e)
        finally:
            connection.close()

    polling = threading.Thread(target=run)
    polling.start()
    wait_for(lambda: MailMessage.objects.filter(filed_at__isnull=False).count() >= 5, message="a few filed")
    with writes_held("reports_report") as held:
        wait_for(held.waiters, message="the poll to wait at its next report")
        dovecot.restart()
    polling.join(scaled(60))

    assert len(errors) == 1, "the poll should have been cut short"
    mailbox.refresh_from_db()
    assert "lost" in mailbox.last_error or "reach" in mailbox.last_error
    assert 0 < MailMessage.objects.count() < n

    poll(mailbox)

    assert Report.objects.count() == n
    assert MailMessage.objects.count() == n
    assert dovecot.count(imap_user, "INBOX") == 0
    ids = dovecot.message_ids(imap_user, PROCESSED)
    assert len(ids) == len(set(ids)) == n
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.processed_count == n


def test_a_move_cut_short_after_the_copy_is_finished_without_filing_the_message_twice(
    dovecot, imap_user, make_mailbox
):
    mailbox = make_mailbox()
    dovecot.deliver(
        imap_user, [report_email(small_report(i), message_id=f"<cut-{i}@test>") for i in range(2)]
    )
    poll(mailbox)
    assert dovecot.message_ids(imap_user, PROCESSED) == ["<cut-0@test>", "<cut-1@test>"]
    # The state a server that dies inside MOVE leaves: the message is copied to the
    # processed folder but still in the inbox, and its row is not filed yet.
    with dovecot.client(imap_user) as c:
        c.select_folder(PROCESSED)
        [uid] = c.search(["HEADER", "Message-ID", "<cut-0@test>"])
        c.copy([uid], "INBOX")
        c.select_folder("INBOX", readonly=True)
        [inbox_uid] = c.search("ALL")
    row = MailMessage.objects.get(message_id="<cut-0@test>")
    MailMessage.objects.filter(pk=row.pk).update(uid=inbox_uid, filed_at=None, filed_in="")

    poll(mailbox)

    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.message_ids(imap_user, PROCESSED) == ["<cut-0@test>", "<cut-1@test>"]
    row.refresh_from_db()
    assert row.filed_at is not None and row.filed_in == PROCESSED
    assert Report.objects.count() == 2
