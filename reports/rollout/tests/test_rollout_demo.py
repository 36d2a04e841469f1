"""The demo data shows one domain ready for quarantine and one that is not, with the reasons."""

import pytest
from django.utils import timezone

from reports.demo.scenarios import NOT_READY, READY, build_demo_reports
from reports.ingest.pipeline import ingest_bytes
from reports.rollout import readiness as rollout
from reports.rollout.demo import install_demo_dns

pytestmark = pytest.mark.django_db


def test_the_demo_reports_are_the_same_every_time():
    today = timezone.now().date()
    assert build_demo_reports(today) == build_demo_reports(today)


@pytest.mark.slow
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


@pytest.mark.slow
def test_refreshing_a_demo_domains_dns_keeps_its_demo_answers_and_verdict(client, settings):
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.urls import reverse

    from reports.harness.dns_server import DnsServer
    from reports.models import DnsCache

    call_command("demo", stdout=StringIO())
    client.force_login(User.objects.create_user("operator", password="pw-operator-1"))
    call_command("grant", "operator", READY, role="operator")
    with DnsServer() as dns:
        dns.txt("unrelated.example", "v=spf1 -all")  # a live DNS that knows nothing of the demo's names
        dns.serve(settings)
        before = rollout.assess(READY)
        response = client.post(reverse("rollout_refresh", args=[READY]), follow=True)
        assert "demo domain with no live DNS" in response.content.decode()
        after = rollout.assess(READY)
        assert (
            (after.ready, after.next_record)
            == (before.ready, before.next_record)
            == (
                True,
                f"v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@{READY}",
            )
        )
        assert DnsCache.objects.get(name=f"_dmarc.{READY}", rdtype="TXT").answer == [
            f"v=DMARC1; p=none; fo=1; rua=mailto:dmarc@{READY}"
        ]
        out, err = StringIO(), StringIO()
        call_command("rollout", NOT_READY, "--refresh-dns", stdout=out, stderr=err)
        assert "demo domain with no live DNS" in err.getvalue()
        assert f"rua=mailto:dmarc-reports@{NOT_READY}" in out.getvalue()
