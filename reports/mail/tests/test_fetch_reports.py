import csv
import json
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command

from reports.harness.corpus import corpus_dir
from reports.harness.dkim_signing import SigningKey
from reports.harness.dns_server import DnsServer
from reports.harness.report_mail import plain_email, report_email, small_report
from reports.models import MailMessage, Report

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def fetch_json(*args):
    out = StringIO()
    call_command("fetch_reports", "--json", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_files_report_mail_and_plain_mail(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(
        imap_user,
        [
            report_email(small_report(1), "gzip", report_id="rid-1"),
            report_email(small_report(2), "zip", report_id="rid-2"),
            report_email(small_report(3), "xml", report_id="rid-3", forwarded=True),
            plain_email(),
        ],
    )

    lines = fetch_json()

    assert sorted(line["report_id"] for line in lines if line["status"] == "imported") == [
        "rid-1",
        "rid-2",
        "rid-3",
    ]
    assert Report.objects.count() == 3
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, "DMARC/Processed") == 3
    assert dovecot.count(imap_user, "DMARC/Failed") == 1
    mailbox.refresh_from_db()
    assert mailbox.processed_count == 3 and mailbox.failed_count == 1
    assert MailMessage.objects.filter(state="failed").get().error


def test_real_and_forwarded_report_mail_is_all_filed_with_each_report_stored_once(
    dovecot, imap_user, make_mailbox
):
    make_mailbox()
    corpus = corpus_dir() / "parsedmarc"
    emails = sorted(corpus.glob("*.eml"))
    files = sorted(p for p in corpus.iterdir() if p.suffix != ".eml" and p.is_file())
    messages = [p.read_bytes() for p in emails] + [forwarded(p.read_bytes()) for p in emails]
    messages += [attached(p) for p in files]
    dovecot.deliver(imap_user, messages)
    expected = {
        (row["org_name"].lower(), row["report_id"], row["policy_domain"])
        for row in csv.DictReader((corpus.parent / "EXPECTED-parsedmarc.tsv").open(), delimiter="\t")
        if row["parsed_by_parsedmarc"] == "yes"
    }

    lines = fetch_json()

    # (parsedmarc writes outlook.com where the report says Outlook.com.)
    assert {(r.org_name.lower(), r.report_id, r.domain) for r in Report.objects.all()} == expected
    assert Report.objects.count() == len(expected)
    assert {line["mailbox"] for line in lines} == {imap_user.name}
    assert {line["uid"] for line in lines} == set(range(1, len(messages) + 1))
    [failed] = [line for line in lines if line["status"] not in ("imported", "duplicate")]
    assert failed["error"] and failed["uid"] == len(emails) * 2 + 1 + files.index(corpus / "empty.xml")
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, "DMARC/Processed") == len(messages) - 1
    assert dovecot.count(imap_user, "DMARC/Failed") == 1


def test_it_exits_1_when_a_mailbox_cannot_be_polled(dovecot, imap_user, make_mailbox):
    make_mailbox()
    make_mailbox(dovecot.add_user(), name="locked-out", password="wrong")
    dovecot.deliver(imap_user, [report_email(small_report(1))])
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("fetch_reports", stdout=out, stderr=err)

    assert exit_.value.code == 1
    assert "mailbox locked-out: could not be polled: Login as" in err.getvalue()
    assert f"mailbox {imap_user.name}: 1 new messages; moved 1 to DMARC/Processed" in out.getvalue()
    assert Report.objects.count() == 1


def forwarded(raw: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "postmaster@example.com"
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = "Fwd: DMARC report"
    msg.set_content("Forwarded by hand.")
    msg.add_attachment(raw, maintype="message", subtype="rfc822")
    return msg.as_bytes()


def attached(path) -> bytes:
    """A corpus file sent as reporters do, as an attachment of unhelpful type."""
    msg = EmailMessage()
    msg["From"] = "noreply-dmarc@reporter.example"
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = f"Report {path.name}"
    msg.set_content("Aggregate report attached.")
    msg.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=path.name)
    return msg.as_bytes()


def test_check_logs_in_lists_the_folders_and_counts_without_fetching(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox(processed_folder="Done/Reports")
    dovecot.deliver(imap_user, [report_email(small_report(1)), plain_email()])
    dovecot.deliver(imap_user, [plain_email()], folder="Done/Reports")
    out = StringIO()

    call_command("fetch_reports", "--check", stdout=out)

    assert out.getvalue().strip() == (
        f"mailbox {mailbox.name}: OK: logged in with a password; 2 message(s) in INBOX; "
        "3 folder(s): Done, Done/Reports, INBOX"
    )
    assert MailMessage.objects.count() == 0 and dovecot.count(imap_user, "INBOX") == 2
    mailbox.refresh_from_db()
    assert mailbox.checked_at is not None and mailbox.check_result.startswith("OK: logged in with a password")
    assert mailbox.last_poll is None


def test_check_of_a_missing_folder_fails_and_says_which_folders_there_are(dovecot, make_mailbox):
    make_mailbox(folder="Reports")

    with pytest.raises(SystemExit) as exited:
        call_command("fetch_reports", "--check", "--json", stdout=(out := StringIO()))

    assert exited.value.code == 1
    result = json.loads(out.getvalue())
    assert result["ok"] is False and result["error"] == "The folder 'Reports' does not exist (found: INBOX)"


def test_foreign_reports_go_to_the_failed_folder_and_every_line_says_whether_the_reporter_is_verified(
    dovecot, imap_user, make_mailbox, settings
):
    settings.DMARC_DOMAINS = ["example.com"]
    key = SigningKey.generate("s1", "reporter.example")
    with DnsServer() as dns:
        dns.txt(key.dns_name, key.dns_text)
        dns.serve(settings)
        make_mailbox()
        dovecot.deliver(
            imap_user,
            [
                key.sign(report_email(small_report(1), report_id="rid-1")),
                report_email(small_report(2), report_id="rid-2"),
                key.sign(report_email(small_report(3, domain="other.example"), report_id="rid-3")),
            ],
        )
        lines = fetch_json()

    by_id = {line["report_id"] or line["domain"]: line for line in lines}
    assert all("reporter_verified" in line for line in lines)
    assert (by_id["rid-1"]["status"], by_id["rid-1"]["reporter_verified"]) == ("imported", True)
    assert (by_id["rid-2"]["status"], by_id["rid-2"]["reporter_verified"]) == ("imported", False)
    assert by_id["other.example"]["status"] == "foreign"
    assert dovecot.count(imap_user, "DMARC/Processed") == 2
    assert dovecot.count(imap_user, "DMARC/Failed") == 1
    assert "other.example is not a monitored domain" in MailMessage.objects.get(state="failed").error
    assert set(Report.objects.values_list("report_id", "reporter_verified")) == {
        ("rid-1", True),
        ("rid-2", False),
    }
