"""The advice suite through the real stack: each scenario's reports imported, its records served by
dnsmasq, the assessment run by the worker's task, then `rollout --json`, the readiness page, the
Senders page and the sources table must all say what the scenario expects."""

import json
import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import build
from reports.rollout.tests.advice_scenarios import SCENARIOS, Scenario

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.txt("_spf.google.com", "v=spf1 ip4:209.85.128.0/17 ~all")
        server.txt("amazonses.com", "v=spf1 ip4:54.240.0.0/18 -all")
        yield server


def rollout_json(domain) -> dict:
    out = StringIO()
    call_command("rollout", domain, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rollout_json_and_the_pages_give_the_expected_advice(s: Scenario, dns, settings, superuser_client):
    d = s.domain
    dns.txt(f"_dmarc.{d}", s.record)
    dns.txt(d, "v=spf1 include:_spf.google.com -all")
    dns.serve(settings)
    build(d, s.make_flows(d), aspf=s.aspf)
    from reports.ingest import consistency
    from reports.rollout.tasks import refresh_summary

    consistency.rebuild(d)
    data = rollout_json(d)
    refresh_summary.apply(args=[d, 30, False]).get()

    by_ip = {src["ip"]: src for src in data["sources"]}
    expected = {ip: c for ip, c in s.categories.items() if ip != "*"}
    assert {ip: by_ip[ip]["category"] for ip in expected} == expected
    others = {src["category"] for ip, src in by_ip.items() if ip not in expected}
    assert others == ({s.categories["*"]} if "*" in s.categories else set())
    assert data["ready"] is s.ready
    assert {r["code"] for r in data["reasons"] if r["ok"] is False} == s.failing
    assert {p["code"] for p in data["record"]["problems"] if p["severity"] == "error"} == s.errors
    for ip, piece in s.fixes.items():
        assert piece in by_ip[ip]["diagnosis"]
    assert data["plan"][0]["record"] == s.first_step
    # Safe today: the trial step when ready, nothing enforcing when not.
    assert [p["record"] for p in data["publish"]] == ([s.first_step] if s.ready else [])

    page = superuser_client.get(reverse("rollout", args=[d])).content.decode()
    assert f'data-ready="{"true" if s.ready else "false"}"' in page
    assert page.count('class="btn secondary copy"') == (1 if s.ready else 0)
    assert s.first_step in page
    shown = dict(re.findall(r'<span class="source" data-ip="([^"]+)" data-category="([^"]+)"', page))
    assert {ip: shown[ip] for ip in expected} == expected

    # The Senders page and the sources table: the same category per source, and no row that says
    # forwarded (or "nothing to fix") holds an address the assessment calls unknown.
    senders = superuser_client.get(reverse("senders") + f"?domain={d}").content.decode()
    unknown = {ip for ip, src in by_ip.items() if src["category"] == "unknown"}
    rows = re.findall(r"<tr data-service=.*?</tr>", senders, re.S)
    assert rows
    for row in rows:
        ips = set(re.findall(r'class="mono" href="[^"]*">([^<]+)</a>', row))
        if 'data-category="forwarded"' in row or "Nothing to fix" in row:
            assert not ips & unknown, row
        if ips & unknown:
            assert 'data-category="unknown"' in row
    forwarded = {ip for ip, src in by_ip.items() if src["category"] == "forwarded"}
    if forwarded:
        assert any('data-category="forwarded"' in row and forwarded & set(re.findall(r'">([\d.]+)</a>', row))
                   for row in rows)  # fmt: skip
    table = superuser_client.get(reverse("sources") + f"?domain={d}").content.decode()
    for ip in expected:
        assert ip in table
