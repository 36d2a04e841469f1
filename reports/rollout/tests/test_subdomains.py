"""The mail of the sending subdomains: volume and pass rate per header_from, on plain data and through
`rollout --json` and the readiness page, and what it adds to the sp= advice."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import Flow, build, google_workspace
from reports.rollout.rules.subdomains import SubdomainRow, advice, breakdown

D = "subs.example"


class G:
    def __init__(self, ip, header_from, messages, passes):
        self.ip, self.header_from, self.messages, self.passes = ip, header_from, messages, passes


def test_the_breakdown_puts_the_domain_first_then_its_subdomains_by_volume():
    groups = [
        G("192.0.2.1", D, 100, True),
        G("192.0.2.2", f"news.{D}", 40, False),
        G("192.0.2.3", f"news.{D}", 10, True),
        G("192.0.2.4", f"mail.{D}", 60, True),
        G("192.0.2.5", "other.example", 500, False),  # not ours: left out
        G("192.0.2.6", f"evil{D}", 5, False),  # a look-alike, not a subdomain
    ]
    rows = breakdown(groups, D)
    assert [(r.name, r.messages, r.passed, r.sources) for r in rows] == [
        (D, 100, 100, 1),
        (f"mail.{D}", 60, 60, 1),
        (f"news.{D}", 50, 10, 2),
    ]
    lines = advice(rows, {}, "quarantine", 30)
    assert lines[0].startswith(
        f"Subdomains still failing under sp=quarantine: news.{D} (50 messages, 20.0% pass)"
    )
    assert lines[1] == f"Subdomains sending and aligned: mail.{D}."
    # sp=none keeps them out of the next stage: nothing failing to warn about.
    assert advice(rows, {"sp": "none"}, "quarantine", 30) == [f"Subdomains sending and aligned: mail.{D}."]
    assert "No subdomain of" in advice([SubdomainRow(D, 5, 5)], {}, "quarantine", 30)[0]
    assert advice(rows, {}, None, 30) == []


@pytest.mark.django_db
def test_rollout_json_and_the_readiness_page_show_the_sending_subdomains(settings, superuser_client):
    with DnsServer() as server:
        server.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
        server.serve(settings)
        news = Flow(["198.51.100.60"], 30, dkim="fail", spf="fail", header_from=f"news.{D}",
                    spf_results=((f"news.{D}", "mfrom", "fail"),))  # fmt: skip
        build(D, [google_workspace(D), news], days=20)
        out = StringIO()
        call_command("rollout", D, "--json", stdout=out)
        found = json.loads(out.getvalue())
        rows = {r["name"]: r for r in found["subdomain_breakdown"]}
        assert rows[f"news.{D}"]["messages"] == 30 * 20 * 2 and rows[f"news.{D}"]["pass_pct"] == 0.0
        assert rows[D]["pass_pct"] == 100.0
        assert any(
            a.startswith("Subdomains still failing under sp=quarantine: news.") for a in found["subdomains"]
        )
        body = superuser_client.get(reverse("rollout", args=[D])).content.decode()
        assert f'data-subdomain="news.{D}"' in body and "(the domain itself)" in body
