"""The TLS alert rules through `manage.py alerts`, on real DMARC and TLS reports and a real DNS
server: failures appearing at an MX, an MX the MTA-STS policy leaves out, and ready for enforce."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.alerts.tests.conftest import publish
from reports.demo import tls_json
from reports.harness.alert_scenarios import alerts, people, workspace
from reports.harness.builders import import_ok
from reports.harness.rollout_scenarios import build
from reports.mtasts import checks
from reports.mtasts.fetch import Fetched, policy_url
from reports.mtasts.policy import render

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def tls_weeks(domain: str, *, failing_mx: str = "", days: int = 21) -> None:
    today = timezone.now().date()
    for n in range(0, days):
        day = today - timedelta(days=n)
        failures = [tls_json.failure("certificate-expired", failing_mx, 40)] if failing_mx and n < 2 else None
        import_ok(tls_json.dumps(tls_json.google(domain, day, ok=400)))
        import_ok(tls_json.dumps(tls_json.microsoft(domain, day, ok=300, failures=failures)))


def checked(domain: str, mx: list[str], patterns: list[str]) -> None:
    """The stored check of the domain's MTA-STS records (the checks themselves are tested on a real
    HTTPS server in reports/mtasts/tests)."""
    found = checks.Lookups(
        mta_sts=["v=STSv1; id=1"],
        tls_rpt=[f"v=TLSRPTv1; rua=mailto:tls@{domain}"],
        mx=mx,
        fetched=Fetched(policy_url(domain), render("testing", patterns, 86400)),
    )
    checks.run(domain, found)


def test_failures_appearing_at_an_mx_and_an_uncovered_mx_alert(dns, settings):
    d = "tls-broken.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d)], p="none")
    checked(d, [f"mx1.{d}", f"backup.{d}"], [f"mx1.{d}"])
    tls_weeks(d, failing_mx=f"backup.{d}")

    lines = {(x["rule"], x["key"].split("|")[2]): x for x in alerts() if x["rule"].startswith(("tls", "mta"))}
    assert set(lines) == {("tls-failures", f"backup.{d}"), ("mta-sts", f"mx:backup.{d}")}
    fired = lines[("tls-failures", f"backup.{d}")]
    assert fired["state"] == "firing" and "certificate-expired" in fired["title"]
    assert (
        fired["severity"] == "warning"
        and fired["title"] == f"{d}: TLS failures at MX backup.{d} (certificate-expired)"
    )
    # Evaluated again with nothing changed: the same alerts stay open, nothing is announced twice.
    assert [x for x in alerts() if x["rule"].startswith(("tls", "mta"))] == []


def test_a_clean_testing_domain_is_ready_for_enforce(dns, settings):
    d = "tls-ready.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d)], p="none")
    checked(d, [f"mx1.{d}", f"mx2.{d}"], [f"*.{d}"])
    tls_weeks(d)

    tls = [x for x in alerts() if x["rule"].startswith(("tls", "mta"))]
    assert [(x["rule"], x["severity"]) for x in tls] == [("mta-sts-ready", "info")]
    assert tls[0]["title"] == f"{d} is ready for MTA-STS enforce"
