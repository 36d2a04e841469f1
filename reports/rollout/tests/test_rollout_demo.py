"""The demo data shows one domain ready for quarantine and one that is not, with the reasons."""

import pytest
from django.utils import timezone

from reports.demo.scenarios import NOT_READY, READY, build_demo_reports, install_demo_dns
from reports.ingest.pipeline import ingest_bytes
from reports.rollout import readiness as rollout

pytestmark = pytest.mark.django_db


def test_the_demo_reports_are_the_same_every_time():
    today = timezone.now().date()
    assert build_demo_reports(today) == build_demo_reports(today)


def test_the_demo_shows_a_ready_domain_and_one_that_is_not(settings):
    settings.DMARC_DNS_NAMESERVERS = [
        "127.0.0.1:9"
    ]  # nothing there: every answer must come from the demo cache
    settings.DMARC_DNS_TIMEOUT = 1
    for name, data in build_demo_reports(timezone.now().date()):
        assert all(o.status == "imported" for o in ingest_bytes(data, f"demo/{name}"))
    install_demo_dns()

    ready = rollout.assess(READY)
    assert (ready.stage, ready.next_stage, ready.ready) == ("none", "quarantine", True), ready.reasons
    cats = {s.service: s.category for s in ready.sources if s.service}
    assert cats["Google Workspace"] == "aligned"
    assert cats["Twilio SendGrid"] == "aligned"
    assert cats["Mailchimp"] == "aligned"
    assert cats["Google Groups"] == "forwarded"
    assert ready.next_record == f"v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@{READY}"

    not_ready = rollout.assess(NOT_READY)
    assert (not_ready.stage, not_ready.next_stage, not_ready.ready) == ("none", "quarantine", False)
    failed = {c.code: c.message for c in not_ready.checks if not c.ok}
    assert set(failed) == {"unaligned", "share", "new-source"}
    assert "Amazon SES" in failed["unaligned"] and "Zendesk" in failed["unaligned"]
    assert "Postmark" in failed["new-source"]
    cats = {s.service: s.category for s in not_ready.sources if s.service}
    assert cats["Microsoft 365 (Exchange Online)"] == "aligned"
    assert cats["Outlook.com / Hotmail"] == "forwarded"
    assert not_ready.impact["quarantine"].by_category["misconfigured"] > 0
