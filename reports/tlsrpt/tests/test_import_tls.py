"""SMTP TLS reports through import_reports: the RFC 8460 example, Google's and Microsoft's shapes,
gzip, zip and report mail, hostile and oversized input, foreign domains and duplicates."""

import gzip
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.management import call_command

from reports.demo import tls_json
from reports.demo.report_xml import record_xml, report_xml
from reports.harness.tls_mail import tls_report_email
from reports.models import Rejection, Report, TlsFailure, TlsPolicyResult, TlsReport

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 2)


def run_import(*paths, expect_exit=None):
    out = io.StringIO()
    if expect_exit is None:
        call_command("import_reports", "--json", *map(str, paths), stdout=out)
    else:
        with pytest.raises(SystemExit) as exc:
            call_command("import_reports", "--json", *map(str, paths), stdout=out)
        assert exc.value.code == expect_exit
    return [json.loads(line) for line in out.getvalue().splitlines()]


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_rfc_8460_example_keeps_every_field(tmp_path):
    [line] = run_import(write(tmp_path, "rfc.json", tls_json.dumps(tls_json.RFC8460_EXAMPLE)))
    assert line == {
        "kind": "tlsrpt",
        "source": str(tmp_path / "rfc.json"),
        "member": None,
        "status": "imported",
        "org_name": "Company-X",
        "report_id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
        "domains": ["company-y.example"],
        "successful_sessions": 5326,
        "failed_sessions": 303,
        "warnings": [],
        "error": "",
        "reporter_verified": None,
    }
    report = TlsReport.objects.get()
    assert report.contact == "sts-reporting@company-x.example" and report.day == date(2016, 4, 1)
    assert json.loads(gzip.decompress(bytes(report.original))) == tls_json.RFC8460_EXAMPLE
    [policy] = TlsPolicyResult.objects.all()
    assert (policy.policy_type, policy.domain, policy.mx_hosts) == (
        "sts",
        "company-y.example",
        ["*.mail.company-y.example"],
    )
    assert policy.policy_string[1] == "mode: testing"
    assert (policy.successful_sessions, policy.failed_sessions) == (5326, 303)
    failures = {f.result_type: f for f in TlsFailure.objects.all()}
    assert set(failures) == {"certificate-expired", "starttls-not-supported", "validation-failure"}
    expired, starttls, other = (
        failures[k] for k in ("certificate-expired", "starttls-not-supported", "validation-failure")
    )
    assert (expired.sending_mta_ip, expired.receiving_mx_hostname, expired.receiving_ip) == (
        "2001:db8:abcd:12::1",
        "mx1.mail.company-y.example",
        None,
    )
    assert starttls.receiving_ip == "203.0.113.56" and starttls.failed_sessions == 200
    assert starttls.additional_information.endswith("#StarttlsNotSupported")
    assert other.failure_reason_code == "X509_V_ERR_PROOF_OF_POSSESSION"


def test_google_and_microsoft_shapes_gzip_zip_and_mail_all_import(tmp_path):
    google = tls_json.google("example.com", DAY)  # no mx-host, no failure details
    ms = tls_json.microsoft(
        "example.com",
        DAY,
        mx=["mx1.example.com", "mx2.example.com"],
        failures=[tls_json.failure("certificate-host-mismatch", "mx2.example.com", 7, ip=None)],
    )
    no_contact = tls_json.report(
        "example.com", DAY, org="Small MTA", contact="", mx_host_as="string", policy_type="no-policy-found"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("small.json", tls_json.dumps(no_contact))
    lines = run_import(
        write(tmp_path, "1.json.gz", gzip.compress(tls_json.dumps(google))),
        write(tmp_path, "2.eml", tls_report_email(tls_json.dumps(ms), submitter="microsoft.com")),
        write(tmp_path, "3.zip", buf.getvalue()),
    )
    assert [(x["kind"], x["status"], x["org_name"]) for x in lines] == [
        ("tlsrpt", "imported", "Google Inc."),
        ("tlsrpt", "imported", "Microsoft Corporation"),
        ("tlsrpt", "imported", "Small MTA"),
    ]
    assert lines[1]["failed_sessions"] == 7 and lines[1]["reporter_verified"] is False  # unsigned mail
    assert TlsPolicyResult.objects.get(reporter="Microsoft Corporation").mx_hosts == [
        "mx1.example.com",
        "mx2.example.com",
    ]
    assert TlsPolicyResult.objects.get(reporter="Small MTA").policy_type == "no-policy-found"
    failure = TlsFailure.objects.get()
    assert failure.sending_mta_ip is None and failure.receiving_mx_hostname == "mx2.example.com"


def test_a_report_is_stored_once_and_dmarc_lines_say_their_kind(tmp_path):
    data = tls_json.dumps(tls_json.google("example.com", DAY))
    first = run_import(write(tmp_path, "a.json", data))
    again = run_import(
        write(tmp_path, "b.json.gz", gzip.compress(data)), write(tmp_path, "c.eml", tls_report_email(data))
    )
    assert [x["status"] for x in first + again] == ["imported", "duplicate", "duplicate"]
    assert TlsReport.objects.count() == 1 and TlsPolicyResult.objects.count() == 1
    [dmarc] = run_import(write(tmp_path, "d.xml", report_xml([record_xml()])))
    assert dmarc["kind"] == "dmarc" and dmarc["status"] == "imported" and Report.objects.count() == 1


def test_reports_for_domains_not_monitored_are_foreign(tmp_path, settings):
    settings.DMARC_DOMAINS = ["example.com"]
    foreign = tls_json.google("other.example", DAY)
    mixed = tls_json.google("example.com", DAY, report_id="mixed")
    mixed["policies"].append(tls_json.google("evil.example", DAY)["policies"][0])
    lines = run_import(
        write(tmp_path, "1.json", tls_json.dumps(foreign)), write(tmp_path, "2.json", tls_json.dumps(mixed))
    )
    assert lines[0]["status"] == "foreign" and "other.example is not a monitored domain" in lines[0]["error"]
    assert lines[1]["status"] == "imported" and lines[1]["domains"] == ["example.com"]
    assert "evil.example" in lines[1]["warnings"][0]
    assert list(TlsPolicyResult.objects.values_list("domain", flat=True)) == ["example.com"]


def deep(n: int) -> bytes:
    return b'{"organization-name": "x", "policies": ' + b"[" * n + b"]" * n + b"}"


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        (b'{"hello": "world"}', "not-dmarc", "not a TLS report"),
        (b'{"organization-name": "x", ', "rejected", "not valid JSON"),
        (deep(50_000), "rejected", "nested 50001 deep"),
        (b'{"organization-name": "x", "report-id": "r", "policies": []}', "rejected", "no date-range"),
        (
            tls_json.dumps(tls_json.google("example.com", DAY, ok=-5)),
            "rejected",
            "total-successful-session-count is not a whole number",
        ),
        (
            tls_json.dumps(tls_json.google("example.com", DAY, ok=10**30)),
            "rejected",
            "total-successful-session-count is not a whole number",
        ),
        (
            tls_json.dumps(
                tls_json.google("example.com", DAY, failures=[tls_json.failure("x", "mx", 1)] * 1001)
            ),
            "rejected",
            "more than the limit of 1000",
        ),
        (
            tls_json.dumps(tls_json.google("evil/x", DAY)),
            "rejected",
            "no valid policy-domain",
        ),
        (b'{"organization-name": NaN}', "rejected", "not valid JSON"),
    ],
)
def test_hostile_input_is_refused_with_a_reason_and_kept(tmp_path, data, status, error):
    [line] = run_import(write(tmp_path, "bad.json", data), expect_exit=1 if status == "rejected" else None)
    assert line["kind"] == "tlsrpt" and line["status"] == status, line
    assert error in line["error"]
    assert not TlsReport.objects.exists()
    assert Rejection.objects.get().status == status


def test_an_oversized_report_is_refused_before_it_is_parsed(tmp_path, settings):
    settings.DMARC_TLSRPT_MAX_BYTES = 4096
    doc = tls_json.google(
        "example.com", DAY, failures=[tls_json.failure("certificate-expired", "mx1.example.com", 1)] * 60
    )
    [line] = run_import(write(tmp_path, "big.json.gz", gzip.compress(tls_json.dumps(doc))), expect_exit=1)
    assert line["status"] == "rejected" and "more than 4096 bytes" in line["error"]


def test_purge_reports_takes_old_tls_reports_with_their_rows(tmp_path):
    from django.utils import timezone

    recent = timezone.now().date()
    run_import(
        write(
            tmp_path,
            "old.json",
            tls_json.dumps(
                tls_json.microsoft(
                    "example.com",
                    DAY,
                    failures=[tls_json.failure("certificate-expired", "mx1.example.com", 2)],
                )
            ),
        ),
        write(tmp_path, "new.json", tls_json.dumps(tls_json.google("example.com", recent))),
    )
    out = io.StringIO()
    call_command("purge_reports", "--older-than", "30", "--json", stdout=out)
    assert json.loads(out.getvalue())["tls_reports"] == 1
    assert list(TlsReport.objects.values_list("org_name", flat=True)) == ["Google Inc."]
    assert not TlsFailure.objects.exists() and TlsPolicyResult.objects.count() == 1
