"""Naming every source, end to end: real reports imported, a real DNS server (dnsmasq) answering PTR
records, the forward records that confirm them, and Team Cymru-format TXT records (IPv6 included);
`manage.py resolve_sources` then the pages, the CSV and `rollout --json` show the names."""

import csv
import io
import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import (
    build,
    google_workspace_unnamed,
    ses_custom_mail_from,
    ses_default,
    unknown_network,
)
from reports.ingest import consistency as rollup
from reports.models import DnsCache, SourceNetwork

pytestmark = pytest.mark.django_db

D = "names.example"
GOOGLE = "GOOGLE - Google LLC, US"
AMAZON = "AMAZON-02 - Amazon.com, Inc., US"
HOSTING = "EXAMPLE-HOSTING Example Hosting GmbH, DE"
GOOGLE_V4, GOOGLE_V6 = "209.85.221.50", "2607:f8b0:4864:20::42a"
SES, SES_CUSTOM = "54.240.8.21", "54.240.8.97"
UNKNOWN = ("198.51.100.77", "198.51.100.78")
# ip -> (reverse DNS, AS, AS name, country)
EXPECTED = {
    GOOGLE_V4: ("", 15169, GOOGLE, "US"),
    GOOGLE_V6: ("", 15169, GOOGLE, "US"),
    SES: ("a8-21.smtp-out.amazonses.com", 14618, AMAZON, "US"),
    SES_CUSTOM: ("a8-97.smtp-out.amazonses.com", 14618, AMAZON, "US"),
    UNKNOWN[0]: ("", 64496, HOSTING, "DE"),
    UNKNOWN[1]: ("", 64496, HOSTING, "DE"),
}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; aspf=s; rua=mailto:dmarc@{D}")
        server.txt(D, "v=spf1 include:_spf.google.com include:amazonses.com -all")
        # Google's addresses answer no PTR here: only the network can name them.
        server.network(GOOGLE_V4, 15169, "209.85.128.0/17", "US", GOOGLE)
        server.network(GOOGLE_V6, 15169, "2607:f8b0::/32", "US", GOOGLE)
        server.host("a8-21.smtp-out.amazonses.com", SES)
        server.host("a8-97.smtp-out.amazonses.com", SES_CUSTOM)
        server.network(SES, 14618, "54.240.0.0/18", "US", AMAZON)
        server.network(SES_CUSTOM, 14618, "54.240.0.0/18", "US", AMAZON)
        for ip in UNKNOWN:
            server.network(ip, 64496, "198.51.100.0/24", "DE", HOSTING)
        server.serve(settings)
        yield server


@pytest.fixture
def named(dns):
    """The domain under aspf=s, its sources resolved by the command, and assessed (as beat would)."""
    build(
        D,
        [google_workspace_unnamed(D), ses_default(D), ses_custom_mail_from(D), unknown_network(D)],
        aspf="s",
    )
    rollup.rebuild(D)
    out = StringIO()
    call_command("resolve_sources", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"reverse_dns": 6, "networks": 6}
    out = StringIO()
    call_command("rollout", D, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_rollout_json_names_every_source_and_the_google_source_by_its_network(named):
    sources = {s["ip"]: s for s in named["sources"]}
    assert set(sources) == set(EXPECTED)
    for ip, (rdns, asn, as_name, country) in EXPECTED.items():
        assert (sources[ip]["rdns"], sources[ip]["asn"], sources[ip]["as_name"], sources[ip]["country"]) == (
            rdns,
            asn,
            as_name,
            country,
        ), ip
    for ip in (GOOGLE_V4, GOOGLE_V6):
        g = sources[ip]
        assert (g["service"], g["by_network"], g["category"]) == ("Google Workspace", True, "aligned")
    assert (sources[SES]["service"], sources[SES]["by_network"]) == ("Amazon SES", False)
    for ip in UNKNOWN:
        assert (sources[ip]["service"], sources[ip]["category"]) == ("", "unknown")
    out = StringIO()
    call_command("rollout", D, stdout=out)
    text = out.getvalue()
    assert "Google Workspace (by network)" in text and f"AS15169 {GOOGLE}, US" in text
    assert f"a8-21.smtp-out.amazonses.com · AS14618 {AMAZON}, US" in text


def test_strict_spf_alignment_is_named_as_what_blocks_ses_and_the_next_record_drops_it(named):
    sources = {s["ip"]: s for s in named["sources"]}
    # Without a custom MAIL FROM: the usual fix (a custom MAIL FROM, a subdomain) cannot align under aspf=s.
    ses = sources[SES]
    assert ses["category"] == "misconfigured"
    assert "aspf=s blocks SPF alignment" in ses["diagnosis"]
    assert (
        "remove aspf=s, or rely on aligned DKIM" in ses["diagnosis"]
        and "Enable Easy DKIM." in ses["diagnosis"]
    )
    assert "Set up a custom MAIL FROM domain in SES so that SPF aligns." not in ses["diagnosis"]
    # With a custom MAIL FROM: SPF passes for the subdomain, which aspf=s refuses.
    custom = sources[SES_CUSTOM]
    assert custom["category"] == "misconfigured"
    assert (
        f"SPF passes for mail.{D}, a subdomain, but your record asks for strict SPF alignment"
        in (custom["diagnosis"])
    )
    assert "remove aspf=s, or rely on aligned DKIM" in custom["diagnosis"]
    strict = [p for p in named["record"]["problems"] if p["code"] == "strict-spf"]
    assert len(strict) == 1 and strict[0]["severity"] == "error"
    assert strict[0]["message"].startswith("aspf=s blocks SPF alignment for Amazon SES")
    assert "aspf" not in named["next_record"]
    assert named["next_record"] == f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{D}"
    # Advice, neither passed nor failed (`rollout --json` reasons are {code, ok, text}).
    assert any(
        r["ok"] is None and r["text"].startswith("The next record drops aspf=s: aspf=s blocks SPF alignment")
        for r in named["reasons"]
    )
    # Two SES addresses are one service to fix, named once among the blockers.
    unaligned = next(r["text"] for r in named["reasons"] if "still not aligned" in r["text"])
    assert unaligned.count("Amazon SES") == 1 and "and 1 more" in unaligned
    # Counted as named: one sender on two addresses.
    assert unaligned.startswith("1 legitimate sender (2 addresses) still not aligned: Amazon SES")


def test_the_sources_page_shows_names_and_filters_by_network_service_category_and_country(
    superuser_client, named
):
    url = reverse("sources")
    body = superuser_client.get(url, {"domain": D, "range": "30"}).content.decode()
    for rdns, asn, as_name, country in EXPECTED.values():
        assert (rdns in body) and f"AS{asn} {as_name} · {country}" in body
    assert 'Google Workspace <span class="muted small">(by network)</span>' in body

    def listed(**params):
        page = superuser_client.get(url, {"domain": D, "range": "30", **params})
        return {r.ip for r in page.context["rows"]}

    assert listed(asn="AS15169") == {GOOGLE_V4, GOOGLE_V6}
    assert listed(service="google-workspace") == {GOOGLE_V4, GOOGLE_V6}
    assert listed(service="-") == set(UNKNOWN)
    assert listed(category="misconfigured") == {SES, SES_CUSTOM}
    assert listed(country="de") == set(UNKNOWN)
    assert listed(q="smtp-out.amazonses") == {SES, SES_CUSTOM}  # reverse DNS name
    assert listed(q="example hosting") == set(UNKNOWN)  # AS name
    assert listed(q="AS14618") == {SES, SES_CUSTOM}
    assert listed(q="google workspace") == {GOOGLE_V4, GOOGLE_V6}  # service


def test_the_csv_has_the_names_of_every_source(superuser_client, named):
    response = superuser_client.get(reverse("sources_csv"), {"domain": D, "range": "30"})
    rows = {r["source_ip"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == set(EXPECTED)
    for ip, (rdns, asn, as_name, country) in EXPECTED.items():
        assert (rows[ip]["reverse_dns"], rows[ip]["asn"], rows[ip]["as_name"], rows[ip]["country"]) == (
            rdns,
            str(asn),
            as_name,
            country,
        )
    assert (rows[GOOGLE_V6]["service"], rows[GOOGLE_V6]["service_by_network"]) == ("Google Workspace", "yes")
    assert (rows[SES]["service"], rows[SES]["category"]) == ("Amazon SES", "misconfigured")


def test_the_senders_page_has_one_row_per_service_and_links_their_sources(superuser_client, named):
    response = superuser_client.get(reverse("senders"), {"domain": D, "range": "30"})
    rows = {r.service: r for r in response.context["rows"]}
    assert set(rows) == {"google-workspace", "amazon-ses", ""}
    assert (rows["google-workspace"].sources, rows["google-workspace"].by_network) == (2, True)
    assert rows["google-workspace"].dmarc_pct == 100.0 and rows["google-workspace"].category == "aligned"
    ses = rows["amazon-ses"]
    assert (ses.sources, ses.category, ses.dmarc_pass) == (2, "misconfigured", 0)
    assert any("aspf=s" in f for f in ses.fixes)
    assert (rows[""].name, rows[""].sources, rows[""].category) == ("Unidentified sources", 2, "unknown")
    body = response.content.decode()
    for ip in EXPECTED:
        assert reverse("source", args=[ip]) in body
    overview = superuser_client.get(reverse("overview"), {"domain": D, "range": "30"})
    assert f'href="{reverse("senders")}?' in overview.content.decode()
    # The overview's top sources name their service beside the address.
    labels = overview.context["chart"]["top"]["labels"]
    assert f"{GOOGLE_V4} · Google Workspace (by network)" in labels and f"{SES} · Amazon SES" in labels


def test_the_drill_down_the_report_and_the_readiness_pages_show_the_names(superuser_client, named):
    body = superuser_client.get(
        reverse("source", args=[GOOGLE_V6]), {"domain": D, "range": "30"}
    ).content.decode()
    assert (
        '<strong data-service>Google Workspace</strong> <span class="muted small">(by network)</span>' in body
    )
    assert f"AS15169 {GOOGLE}" in body and "<span data-country>US</span>" in body
    body = superuser_client.get(reverse("source", args=[SES]), {"domain": D, "range": "30"}).content.decode()
    assert "a8-21.smtp-out.amazonses.com" in body and f"AS14618 {AMAZON}" in body

    from reports.models import Record

    report = Record.objects.filter(domain=D, source_ip=SES).first().report
    body = superuser_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "a8-21.smtp-out.amazonses.com" in body and "Amazon SES" in body and f"AS15169 {GOOGLE}" in body

    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=[D]).get()  # the worker's summary, which the readiness page reads
    body = superuser_client.get(reverse("rollout", args=[D])).content.decode()
    assert "a8-97.smtp-out.amazonses.com" in body
    # The unknown sources fold into one row for their network.
    assert body.count('<tr class="service" data-key="network:64496" data-category="unknown"') == 1
    assert body.count('class="service" data-key="network:') == 1
    assert f"AS64496 {HOSTING}" in body


def test_the_resolving_task_runs_in_celery_and_asn_lookups_can_be_turned_off(dns, settings):
    from reports.rollout.tasks import resolve_sources

    build(D, [ses_default(D)], days=3)
    settings.DMARC_ASN_LOOKUP = False
    assert resolve_sources.apply().get() == {"reverse_dns": 1, "networks": 0}
    assert not SourceNetwork.objects.exists()
    assert not DnsCache.objects.filter(name__endswith="asn.cymru.com").exists()
    settings.DMARC_ASN_LOOKUP = True
    assert resolve_sources.apply().get() == {"reverse_dns": 0, "networks": 1}  # the PTR is still fresh
    network = SourceNetwork.objects.get(ip=SES)
    assert (network.asn, network.prefix, network.country, network.as_name) == (
        14618,
        "54.240.0.0/18",
        "US",
        AMAZON,
    )
    assert network.expires > network.fetched
    assert resolve_sources.apply().get() == {"reverse_dns": 0, "networks": 0}  # fresh: nothing asked again


def test_a_hostile_network_name_is_escaped_on_the_pages_and_neutralised_in_the_csv(superuser_client, dns):
    from django.utils import timezone

    build(D, [unknown_network(D)], days=3)
    rollup.rebuild(D)
    now = timezone.now()
    hostile = '=HYPERLINK("http://x")<script>alert(1)</script>'
    SourceNetwork.objects.create(
        ip=UNKNOWN[0], asn=64496, country="<b>", as_name=hostile, fetched=now, expires=now
    )
    body = superuser_client.get(reverse("sources"), {"domain": D, "range": "7"}).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "· &lt;b&gt;" in body and "· <b>" not in body
    response = superuser_client.get(reverse("sources_csv"), {"domain": D, "range": "7"})
    rows = {r["source_ip"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows[UNKNOWN[0]]["as_name"] == "'" + hostile
