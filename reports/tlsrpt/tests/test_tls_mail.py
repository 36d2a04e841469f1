"""TLS report mail through the real Dovecot and the IMAP poll, DKIM-checked against keys served by
a real DNS server (dnsmasq), as DMARC report mail is."""

import pytest

from reports.demo import tls_json
from reports.harness.dkim_signing import SigningKey
from reports.harness.dns_server import DnsServer
from reports.harness.report_mail import report_email, small_report
from reports.harness.tls_mail import tls_report_email
from reports.mail.poll import poll
from reports.models import MailMessage, Report, TlsReport
from reports.tlsrpt.tests.test_import_tls import DAY

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def keys():
    return {
        "google": SigningKey.generate("s1", "google.com"),
        "evil": SigningKey.generate("s1", "evil.example"),
    }


@pytest.fixture(scope="module")
def dns_server(keys):
    with DnsServer() as server:
        for key in keys.values():
            server.txt(key.dns_name, key.dns_text)
        server.serve()
        yield server


@pytest.fixture
def dns(dns_server, settings):
    settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{dns_server.port}"]
    settings.DMARC_DNS_TIMEOUT = 2
    return dns_server


def google_mail(report_id: str, key=None, **kw) -> bytes:
    doc = tls_json.google("example.com", DAY, report_id=report_id, **kw)
    raw = tls_report_email(tls_json.dumps(doc), submitter="google.com", report_id=report_id)
    return key.sign(raw) if key else raw


def test_tls_report_mail_is_polled_verified_and_stored_once(dovecot, imap_user, make_mailbox, dns, keys):
    mailbox = make_mailbox()
    signed = google_mail("signed", keys["google"])
    dovecot.deliver(
        imap_user,
        [
            signed,
            google_mail("unsigned"),
            keys["evil"].sign(google_mail("forged")),
            signed,  # resent: stored once
            report_email(small_report(1), report_id="rid-1"),  # DMARC mail in the same mailbox
        ],
    )

    result = poll(mailbox)

    verdicts = dict(TlsReport.objects.values_list("report_id", "reporter_verified"))
    assert verdicts == {"signed": True, "unsigned": False, "forged": False}
    assert TlsReport.objects.get(report_id="signed").signing_domain == "google.com"
    assert "not verified" in TlsReport.objects.get(report_id="forged").warnings[0]
    assert Report.objects.count() == 1
    assert (result.processed, result.failed) == (5, 0)
    assert dovecot.count(imap_user, "INBOX") == 0
    assert MailMessage.objects.count() == 5


def test_a_signed_copy_vouches_for_a_report_first_seen_unsigned(tmp_path, dns, keys):
    from reports.tlsrpt.tests.test_import_tls import run_import, write

    doc = tls_json.google("example.com", DAY, report_id="twice")
    [first] = run_import(write(tmp_path, "a.json", tls_json.dumps(doc)))
    signed = keys["google"].sign(
        tls_report_email(tls_json.dumps(doc), submitter="google.com", report_id="twice")
    )
    [again] = run_import(write(tmp_path, "b.eml", signed))
    assert (first["status"], first["reporter_verified"]) == ("imported", None)
    assert (again["status"], again["reporter_verified"]) == ("duplicate", True)
    report = TlsReport.objects.get()
    assert (report.reporter_verified, report.signing_domain, report.trusted) == (True, "google.com", True)
