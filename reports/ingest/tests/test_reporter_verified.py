"""DKIM verification of reporters, end to end: emails signed with keys made here, keys served
by a real DNS server (dnsmasq), imported through import_reports and the IMAP ingest task."""

import io
import json
import re

import pytest
from django.core.management import call_command

from reports.demo.report_xml import record_xml, report_xml
from reports.harness.dkim_signing import SigningKey
from reports.harness.dns_server import DnsServer
from reports.harness.personas import superuser
from reports.harness.report_mail import report_email
from reports.ingest.errors import VerificationDeferred
from reports.mail import tasks
from reports.models import Mailbox, MailMessage, Report

pytestmark = pytest.mark.django_db

REPORTER = "reporter.example"


@pytest.fixture(scope="module")
def keys():
    return {
        "good": SigningKey.generate("s1", REPORTER),
        "evil": SigningKey.generate("s1", "evil.example"),
        "unpublished": SigningKey.generate("gone", REPORTER),
    }


@pytest.fixture(scope="module")
def dns_server(keys):
    with DnsServer() as server:
        server.txt(keys["good"].dns_name, keys["good"].dns_text)
        server.txt(keys["evil"].dns_name, keys["evil"].dns_text)
        server.serve()
        yield server


@pytest.fixture
def dns(dns_server, settings):
    settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{dns_server.port}"]
    settings.DMARC_DNS_TIMEOUT = 2
    return dns_server


def xml(report_id: str, email: str = f"noreply-dmarc@{REPORTER}") -> bytes:
    return report_xml([record_xml(count=3)], org_name=REPORTER, report_id=report_id, email=email)


def mail(report_id: str, **kw) -> bytes:
    return report_email(xml(report_id, **kw), org=REPORTER, report_id=report_id)


def run_import(path) -> dict:
    out = io.StringIO()
    try:
        call_command("import_reports", "--json", str(path), stdout=out)
    except SystemExit:
        pass
    [line] = [json.loads(x) for x in out.getvalue().splitlines()]
    assert "reporter_verified" in line
    return line


def imported(tmp_path, name: str, data: bytes) -> tuple[dict, Report]:
    (tmp_path / name).write_bytes(data)
    line = run_import(tmp_path / name)
    assert line["status"] == "imported", line
    return line, Report.objects.get(report_id=line["report_id"])


def test_a_report_signed_by_its_reporter_is_verified(tmp_path, dns, keys):
    line, report = imported(tmp_path, "good.eml", keys["good"].sign(mail("good")))
    assert line["reporter_verified"] is True
    assert (report.reporter_verified, report.signing_domain, report.trusted) == (True, REPORTER, True)
    assert not any("not verified" in w for w in report.warnings)


def test_a_report_forwarded_as_an_attachment_is_verified_on_the_inner_message(tmp_path, dns, keys):
    inner = keys["good"].sign(mail("fwd"))
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    outer = EmailMessage()
    outer["From"] = "postmaster@example.com"
    outer["To"] = "dmarc@example.com"
    outer["Subject"] = "Fwd: a report"
    outer.set_content("Forwarded by hand.")
    outer.add_attachment(message_from_bytes(inner, policy=policy.compat32))
    line, report = imported(tmp_path, "fwd.eml", outer.as_bytes())
    assert line["reporter_verified"] is True and report.signing_domain == REPORTER


def tamper_subject(signed: bytes) -> bytes:
    tampered = signed.replace(b"Submitter: reporter.example", b"Submitter: someone.example", 1)
    assert tampered != signed
    return tampered


def tamper_body(signed: bytes) -> bytes:
    tampered = signed.replace(b"This is an aggregate report", b"This is an aggregate r3port", 1)
    assert tampered != signed
    return tampered


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("tampered signed header", lambda k: tamper_subject(k["good"].sign(mail("t-header")))),
        ("tampered body", lambda k: tamper_body(k["good"].sign(mail("t-body")))),
        ("unaligned signer", lambda k: k["evil"].sign(mail("unaligned"))),
        ("missing key", lambda k: k["unpublished"].sign(mail("no-key"))),
        ("unsigned", lambda k: mail("unsigned")),
        (
            "report names another address",
            lambda k: k["good"].sign(mail("other", email="dmarc@other.example")),
        ),
    ],
)
def test_a_report_without_an_aligned_valid_signature_is_not_verified(tmp_path, dns, keys, case, make):
    data = make(keys)
    assert data != mail("x")  # something was signed or changed
    line, report = imported(tmp_path, "x.eml", data)
    assert line["reporter_verified"] is False, case
    assert report.reporter_verified is False and not report.trusted
    assert any(w.startswith("The reporter is not verified: ") for w in report.warnings)
    if case == "unaligned signer":
        assert report.signing_domain == "evil.example"


def test_a_report_file_has_no_verdict(tmp_path, dns):
    line, report = imported(tmp_path, "plain.xml", xml("file"))
    assert line["reporter_verified"] is None and report.reporter_verified is None


def test_a_dns_failure_is_never_a_forgery(tmp_path, keys, settings):
    # A port where nothing answers: every key lookup times out.
    with DnsServer() as dead:
        dead.serve()
        port = dead.port
    settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{port}"]
    settings.DMARC_DNS_TIMEOUT = 1
    signed = keys["good"].sign(mail("dns-down"))

    # From a file there is no later: stored unverified (null), with the reason.
    line, report = imported(tmp_path, "down.eml", signed)
    assert line["reporter_verified"] is None
    assert any("could not be checked" in w for w in report.warnings)

    # From a mailbox, the message stays new and the task retries it.
    report.delete()
    box = Mailbox.objects.create(name="m", host="127.0.0.1", username="u")
    msg = MailMessage.objects.create(mailbox=box, folder="INBOX", uidvalidity=1, uid=1, raw=signed)
    with pytest.raises(VerificationDeferred):
        tasks.ingest_message.run(msg.pk)
    msg.refresh_from_db()
    assert msg.state == MailMessage.NEW and not Report.objects.exists()
    assert VerificationDeferred in tasks.ingest_message.autoretry_for


def test_the_report_pages_and_the_reporters_table_show_the_verdict(tmp_path, dns, keys, client):

    from reports.harness.builders import daily_report

    signed = keys["good"].sign(
        report_email(
            daily_report(
                1, [record_xml(ip="192.0.2.1", count=4)], org=REPORTER, email=f"noreply-dmarc@{REPORTER}"
            ),
            org=REPORTER,
        )
    )
    _, verified = imported(tmp_path, "signed.eml", signed)
    _, unverified = imported(
        tmp_path,
        "forged.eml",
        report_email(
            daily_report(1, [record_xml(ip="192.0.2.1", count=6)], org="forger.example"), org="forger.example"
        ),
    )
    # Not a test of access: a superuser sees every domain.
    client.force_login(superuser())

    page = client.get(f"/reports/{verified.pk}/").content.decode()
    assert 'data-reporter-verified="true"' in page and f"DKIM-signed by {REPORTER}" in page
    page = client.get(f"/reports/{unverified.pk}/").content.decode()
    assert 'data-reporter-verified="false"' in page
    listing = client.get("/reports/").content.decode()
    assert ">verified</span>" in listing and ">unverified</span>" in listing
    source = client.get("/sources/192.0.2.1/", follow=True).content.decode()  # to the domain with data
    assert re.search(rf'data-verified="{re.escape(REPORTER)}"><span class="badge pass">all</span>', source)
    assert re.search(r'data-verified="forger.example"><span class="muted">none</span>', source)
