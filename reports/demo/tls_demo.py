"""Demo SMTP TLS reports: the two demo domains on their way to MTA-STS enforce.

- northwind.example has served an MTA-STS policy in testing mode for three weeks; Google and
  Microsoft report clean TLS to both its MX hosts. Ready for enforce.
- fabrikam.example is in testing too, but its backup MX presents an expired certificate (and
  Microsoft says so most days), and that MX is missing from its policy. Not ready.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from reports.demo import tls_json
from reports.demo.scenarios import NOT_READY, READY

TLS_DAYS = 21
MX = {READY: [f"mx1.{READY}", f"mx2.{READY}"], NOT_READY: [f"mx1.{NOT_READY}", f"backup.{NOT_READY}"]}
POLICY_MX = {READY: [f"*.{READY}"], NOT_READY: [f"mx1.{NOT_READY}"]}


def build_tls_reports(today: date) -> list[tuple[str, bytes]]:
    rng = random.Random(8460)
    files = []
    for domain in (READY, NOT_READY):
        for n in range(1, TLS_DAYS + 1):
            day = today - timedelta(days=n)
            google = tls_json.google(domain, day, mx=POLICY_MX[domain], ok=rng.randint(800, 1200))
            failures = []
            if domain == NOT_READY and n % 3:
                failures = [tls_json.failure("certificate-expired", f"backup.{domain}", rng.randint(3, 30))]
            ms = tls_json.microsoft(
                domain, day, mx=POLICY_MX[domain], ok=rng.randint(300, 600), failures=failures
            )
            files += [(f"google!{domain}!{day}.json", tls_json.dumps(google))]
            files += [(f"microsoft!{domain}!{day}.json", tls_json.dumps(ms))]
    return files


def demo_lookups() -> dict:
    """What the checks would find in the demo domains' DNS and policy hosts (they exist nowhere)."""
    from reports.mtasts.checks import Lookups
    from reports.mtasts.fetch import Fetched, policy_url
    from reports.mtasts.policy import render

    found = {}
    for domain in (READY, NOT_READY):
        found[domain] = Lookups(
            mta_sts=["v=STSv1; id=20261101"],
            tls_rpt=[f"v=TLSRPTv1; rua=mailto:tls-reports@{domain}"],
            dmarc=["v=DMARC1; p=none; rua=mailto:dmarc@" + domain],
            mx=MX[domain],
            fetched=Fetched(policy_url(domain), render("testing", POLICY_MX[domain], 86400)),
        )
    return found
