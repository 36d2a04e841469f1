"""A source signing d=mcsv.net with no reverse DNS and no known network is Mailchimp on every page and
in `rollout --json`: real reports imported, a real DNS server answering (no PTR for it)."""

import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import Flow, build, google_workspace
from reports.ingest import consistency as rollup
from reports.sources.models import OperatorService

pytestmark = pytest.mark.django_db

D = "chimp.example"
MAILCHIMP_IP = "205.201.131.98"
IN_HOUSE_IP = "198.51.100.40"


def mailchimp(domain):
    """Mailchimp before domain authentication: DKIM d=mcsv.net only, the address answering no PTR."""
    return Flow(
        [MAILCHIMP_IP],
        90,
        dkim="fail",
        spf="fail",
        dkim_results=(("mcsv.net", "k1", "pass"),),
        spf_results=((domain, "mfrom", "softfail"),),
    )


def in_house(domain):
    return Flow(
        [IN_HOUSE_IP],
        15,
        dkim="fail",
        spf="fail",
        dkim_results=(("crm.internal-mailer.net", "s1", "pass"),),
        spf_results=((domain, "mfrom", "fail"),),
    )


@pytest.fixture
def assessed(settings):
    cache.clear()
    with DnsServer() as server:
        server.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
        server.txt(D, "v=spf1 include:_spf.google.com -all")
        server.serve(settings)
        OperatorService.objects.create(
            slug="crm", name="Our CRM mailer", kind="crm", dkim="crm.internal-mailer.net"
        )
        build(D, [google_workspace(D), mailchimp(D), in_house(D)])
        rollup.rebuild(D)
        call_command("resolve_sources", "--json", stdout=StringIO())
        out = StringIO()
        call_command("rollout", D, "--json", stdout=out)
        yield json.loads(out.getvalue())
    cache.clear()


def test_rollout_json_names_mailchimp_and_the_service_of_your_own(assessed):
    sources = {s["ip"]: s for s in assessed["sources"]}
    chimp = sources[MAILCHIMP_IP]
    assert (chimp["service"], chimp["rdns"], chimp["by_network"]) == ("Mailchimp", "", False)
    assert chimp["category"] == "misconfigured"
    assert "Authenticate your domain in Mailchimp" in chimp["diagnosis"]
    assert sources[IN_HOUSE_IP]["service"] == "Our CRM mailer"


def test_every_page_names_mailchimp(superuser_client, assessed):
    q = {"domain": D, "range": "30"}
    pages = {
        "overview": superuser_client.get(reverse("overview"), q),
        "sources": superuser_client.get(reverse("sources"), q),
        "senders": superuser_client.get(reverse("senders"), q),
        "source": superuser_client.get(reverse("source", args=[MAILCHIMP_IP]), q),
        "sources_csv": superuser_client.get(reverse("sources_csv"), q),
        "rollout": superuser_client.get(reverse("rollout", args=[D])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "Mailchimp" in body, name
    senders = {r.service: r for r in pages["senders"].context["rows"]}
    assert senders["mailchimp"].name == "Mailchimp" and senders["mailchimp"].sources == 1
    assert senders["user-crm"].name == "Our CRM mailer"
