"""A rua address receives mail from anyone: forged domains, foreign domains and floods, through
import_reports, against PostgreSQL."""

import gzip
import io
import json
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.demo.report_xml import record_xml, report_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.personas import superuser
from reports.harness.report_mail import plain_email, report_email
from reports.ingest.keep import drop_old_rejected_bytes
from reports.ingest.pipeline import ingest_bytes
from reports.models import DailyRollup, Domain, DomainDay, ForeignReport, Record, Rejection, Report

pytestmark = pytest.mark.django_db

# "/" alone opens the domains list when there are several domains: the overview is asked for a range.
PAGES = ["/?range=30", "/domains/", "/sources/", "/sources.csv", "/reports/", "/status/", "/rollout/how/"]


def run_import(path) -> list[dict]:
    out = io.StringIO()
    try:
        call_command("import_reports", "--json", str(path), stdout=out)
    except SystemExit:
        pass
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines and all("reporter_verified" in line for line in lines)
    return lines


def test_a_forged_policy_domain_is_rejected_and_every_page_still_answers(tmp_path, client):
    (tmp_path / "evil.xml").write_bytes(daily_report(1, [record_xml()], domain="evil/x.example"))
    (tmp_path / "good.xml").write_bytes(daily_report(1, [record_xml()], report_id="good"))
    evil, good = sorted(run_import(tmp_path), key=lambda line: line["source"])
    assert evil["status"] == "rejected" and evil["reporter_verified"] is None
    assert evil["error"] == "The report's policy domain 'evil/x.example' is not a valid domain name"
    assert good["status"] == "imported"
    assert list(Report.objects.values_list("domain", flat=True)) == ["example.com"]

    # Not a test of access: a superuser sees every domain.
    client.force_login(superuser())
    report = Report.objects.get()
    for url in [
        *PAGES,
        f"/reports/{report.pk}/",
        "/sources/192.0.2.1/?domain=example.com",
        "/rollout/example.com/",
    ]:
        assert client.get(url).status_code == 200, url


def test_only_monitored_domains_and_their_subdomains_are_stored(tmp_path, settings, client):
    settings.DMARC_DOMAINS = ["Example.COM"]
    (tmp_path / "1-foreign.xml").write_bytes(daily_report(1, [record_xml(count=5)], domain="other.example"))
    (tmp_path / "2-sub.xml").write_bytes(daily_report(1, [record_xml(count=2)], domain="mail.example.com"))
    (tmp_path / "3-lookalike.xml").write_bytes(daily_report(1, [record_xml()], domain="badexample.com"))
    foreign, sub, lookalike = run_import(tmp_path)

    assert foreign["status"] == "foreign" and foreign["domain"] == "other.example"
    assert "other.example is not a monitored domain" in foreign["error"]
    assert sub["status"] == "imported" and sub["domain"] == "mail.example.com"
    assert lookalike["status"] == "foreign"
    assert list(Domain.objects.values_list("name", flat=True)) == ["example.com"]  # synced from the setting
    # Not stored anywhere, not even as a rejection: counted per domain.
    assert list(Report.objects.values_list("domain", flat=True)) == ["mail.example.com"]
    assert not Rejection.objects.exists()
    run_import(tmp_path / "1-foreign.xml")
    assert dict(ForeignReport.objects.values_list("domain", "reports")) == {
        "other.example": 2,
        "badexample.com": 1,
    }

    client.force_login(superuser())
    status = client.get("/status/").content.decode()
    assert '<td class="break">other.example</td><td class="num">2</td>' in status
    assert "No domain configured" not in status
    for url in [*PAGES, "/rollout/mail.example.com/"]:
        assert client.get(url).status_code == 200, url


def test_with_no_domain_configured_every_report_is_accepted_and_the_status_page_says_so(tmp_path, client):
    (tmp_path / "any.xml").write_bytes(daily_report(1, [record_xml()], domain="any.example"))
    [line] = run_import(tmp_path)
    assert line["status"] == "imported"
    client.force_login(superuser())
    status = client.get("/status/").content.decode()
    assert "No domain configured: every report is accepted" in status
    assert 'href="/admin/reports/domain/add/"' in status


def test_a_foreign_report_by_mail_sends_its_message_to_the_failed_state(settings):
    # reports.mail files a message with no good outcome in the failed folder (test_imap_poll).
    settings.DMARC_DOMAINS = ["example.com"]
    outcomes = ingest_bytes(report_email(report_xml(domain="other.example")), "imap:test")
    assert [o.status for o in outcomes] == ["foreign"]


def reports_email() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "noreply@reporter.example"
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = "Reports"
    msg.set_content("Reports attached.")
    return msg


# The older version's rows are written directly, without their records: the rollups differ on purpose.
@pytest.mark.rollups_broken
def test_a_value_stored_before_names_were_validated_breaks_no_page(client):
    # Rows written by an older version, which took any policy domain.
    today = timezone.now().date()
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1")]))
    DomainDay.objects.create(domain="evil/x.example", day=today, messages=100)
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(domain="evil/x.example")
    client.force_login(superuser())
    for url in [*PAGES, f"/reports/{report.pk}/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    # Not a name one can pick: not found (never another domain in its place), and no error.
    assert client.get("/?domain=evil/x.example").status_code == 404
    assert "evil/x.example" in client.get(f"/reports/{report.pk}/").content.decode()


def test_an_mbox_of_20000_messages_gives_one_clear_error_and_one_row(tmp_path):
    message = plain_email()
    mbox = b"".join(
        b"From someone@example.org Mon Jan  1 00:00:00 2024\n" + message + b"\n" for _ in range(20_000)
    )
    (tmp_path / "flood.mbox").write_bytes(mbox)
    lines = run_import(tmp_path)
    assert len(lines) == 1
    assert lines[0]["status"] == "rejected"
    assert "the mbox holds more than 1000 messages (DMARC_MAX_MBOX_MESSAGES)" in lines[0]["error"]
    assert Rejection.objects.count() == 1 and not Report.objects.exists()
    # The same flood again is the same bytes: still one row.
    run_import(tmp_path)
    assert Rejection.objects.count() == 1


@pytest.mark.slow
def test_an_email_of_5000_attachments_gives_one_clear_error_and_one_row(tmp_path):
    msg = reports_email()
    for i in range(5000):
        xml = report_xml([record_xml()], report_id=f"r{i}")
        msg.add_attachment(gzip.compress(xml), maintype="application", subtype="gzip", filename=f"{i}.xml.gz")
    (tmp_path / "many.eml").write_bytes(msg.as_bytes())
    [line] = run_import(tmp_path)
    assert line["status"] == "rejected"
    assert line["error"] == (
        "the email has 5001 parts, more than the limit of 100 (DMARC_MAX_ATTACHMENTS): none of them was read"
    )
    assert Rejection.objects.count() == 1
    assert not Report.objects.exists() and not Record.objects.exists() and not DailyRollup.objects.exists()


def test_past_the_reports_per_input_cap_the_rest_is_refused_with_one_error(tmp_path, settings):
    settings.DMARC_MAX_REPORTS_PER_INPUT = 3
    msg = reports_email()
    for i in range(5):
        msg.add_attachment(
            report_xml([record_xml()], report_id=f"r{i}"), maintype="text", subtype="xml", filename=f"{i}.xml"
        )
    (tmp_path / "five.eml").write_bytes(msg.as_bytes())
    lines = run_import(tmp_path)
    assert [line["status"] for line in lines] == ["imported"] * 3 + ["rejected"]
    assert lines[3]["error"] == (
        "the input holds more than 3 reports and parts (DMARC_MAX_REPORTS_PER_INPUT): the first 3 were read,"
        " the rest was not"
    )
    assert Report.objects.count() == 3 and Rejection.objects.count() == 1


def test_rejected_bytes_past_their_total_cap_are_dropped_oldest_first(settings, client):
    for i in range(5):
        ingest_bytes(b"<feedback>broken %d" % i + b"x" * 5000, f"test-{i}")
    assert Rejection.objects.filter(size__gt=0).count() == 5
    sizes = dict(Rejection.objects.values_list("origin", "size"))
    settings.DMARC_MAX_REJECTED_BYTES = sizes["test-3"] + sizes["test-4"]
    assert drop_old_rejected_bytes() == 3
    kept = set(Rejection.objects.exclude(original=None).values_list("origin", flat=True))
    assert kept == {"test-3", "test-4"}
    client.force_login(superuser())
    assert "The bytes of 3 older rejected inputs were dropped" in client.get("/status/").content.decode()
