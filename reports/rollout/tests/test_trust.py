"""DMARC_REQUIRE_VERIFIED_REPORTS: readiness counts only verified reports and uploads, and says
what share of the window's messages comes from verified reporters."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reports.demo.report_xml import record_xml, report_xml
from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import build, google_workspace
from reports.models import Report
from reports.rollout import readiness

pytestmark = pytest.mark.django_db

D = "trust.example"
DAYS = 16


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mixed_reports(superuser_client, settings):
    """Mailed-in reports of google.com (no DKIM-verified email: a file) and uploads of Outlook.com."""
    with DnsServer() as dns:
        dns.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
        dns.serve(settings)
        build(D, [google_workspace(D)], reporters=("google.com",), days=DAYS)
        uploads = []
        for back in range(1, DAYS + 1):
            day = timezone.now().date() - timedelta(days=back)
            begin = int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())
            xml = report_xml(
                [
                    record_xml(
                        ip="209.85.220.41", count=50, header_from=D, dkim_results=((D, "google", "pass"),)
                    )
                ],
                org_name="Outlook.com",
                report_id=f"outlook-{back}",
                domain=D,
                begin=begin,
                end=begin + 86399,
            )
            uploads.append(SimpleUploadedFile(f"outlook-{back}.xml", xml, "text/xml"))
        assert superuser_client.post("/status/", {"files": uploads}).status_code == 302
        # A worker ingests uploads (reports.ingest.tasks): run its task as the worker would.
        from reports.ingest.tasks import ingest_upload
        from reports.models import Upload

        for pk in Upload.objects.order_by("pk").values_list("pk", flat=True):
            ingest_upload.apply(args=[pk])
        yield superuser_client


def test_every_report_counts_unless_verified_reports_are_required(mixed_reports, settings):
    assert set(Report.objects.values_list("org_name", "trusted").distinct()) == {
        ("google.com", False),
        ("Outlook.com", True),
    }
    everything = readiness.assess(D)
    assert (everything.reporters, everything.messages) == (2, DAYS * 300 + DAYS * 50)

    settings.DMARC_REQUIRE_VERIFIED_REPORTS = True
    trusted = readiness.assess(D)
    assert (trusted.reporters, trusted.messages) == (1, DAYS * 50)
    coverage = next(c for c in trusted.checks if c.code == "coverage")
    assert not coverage.ok and coverage.message.startswith("Reports from 1 reporter on 16 days")
    assert next(c for c in everything.checks if c.code == "coverage").ok


def test_the_readiness_page_says_what_share_comes_from_verified_reporters(mixed_reports, settings):
    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=[D]).get()  # the worker's summary, which the readiness page reads
    body = mixed_reports.get(f"/rollout/{D}/").content.decode()
    assert re.search(r'data-verified-share="0(\.0)?"', body)
    assert f"of the window's {DAYS * 350:,} reported messages come from verified reporters" in body
    assert "set <code>DMARC_REQUIRE_VERIFIED_REPORTS=true</code> to count only verified ones" in body

    settings.DMARC_REQUIRE_VERIFIED_REPORTS = True
    refresh_summary.apply(args=[D]).get()
    body = mixed_reports.get(f"/rollout/{D}/").content.decode()
    assert "Only verified reports and uploads count here" in body
