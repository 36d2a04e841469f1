"""DKIM selectors: keys read on plain data, then real reports and keys served by the test DNS server
(dnsmasq), through `manage.py selectors --refresh --json` and the selectors page."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dkim_signing import SigningKey
from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import Flow, build
from reports.sources.selector_rules import KeyInfo, Selector, flag, parse_key

D = "keys.example"
HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_key_record_gives_its_type_and_size():
    strong = SigningKey.generate("s1", D, bits=2048)
    assert parse_key([strong.dns_text]) == KeyInfo("rsa", 2048)
    weak = SigningKey.generate("s2", D, bits=1024)
    assert parse_key(["v=spf1 -all", weak.dns_text.replace("; ", ";  ")]) == KeyInfo("rsa", 1024)
    assert parse_key([]).error == "no key published"
    assert parse_key(["v=DKIM1; k=rsa; p="]).error == "revoked (empty p=)"
    assert parse_key(["v=DKIM1; p=@@@"]).error == "the key is not valid base64"
    assert parse_key(["v=DKIM1; k=ed25519; p=" + "A" * 43 + "="]) == KeyInfo("ed25519", 256)


def test_flags_weak_keys_stopped_selectors_and_a_missing_microsoft_365_selector():
    day = date(2026, 6, 30)
    weak = Selector(D, "old", date(2026, 1, 1), date(2026, 6, 1), key=KeyInfo("rsa", 1024))
    m365 = Selector(D, "selector1", date(2026, 1, 1), day, key=KeyInfo("rsa", 2048))
    fine = Selector(D, "google", date(2026, 1, 1), day, key=KeyInfo("rsa", 2048))
    flag([weak, m365, fine], day, {(D, "selector2"): KeyInfo(error="no key published")})
    assert (
        weak.flags[0].startswith("1024-bit key") and "Stopped signing: last seen 2026-06-01" in weak.flags[1]
    )
    assert len(m365.flags) == 1 and f"publish selector2._domainkey.{D}" in m365.flags[0]
    assert fine.flags == []
    # With selector2 published, nothing to say.
    again = Selector(D, "selector1", date(2026, 1, 1), day, key=KeyInfo("rsa", 2048))
    flag([again], day, {(D, "selector2"): KeyInfo("rsa", 2048)})
    assert again.flags == []


@pytest.fixture
def keys():
    return {
        "google": SigningKey.generate("google", D, 2048),
        "selector1": SigningKey.generate("selector1", D, 2048),
        "legacy": SigningKey.generate("legacy", D, 1024),
    }


@pytest.fixture
def reported(settings, keys):
    with DnsServer() as server:
        server.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
        for key in keys.values():
            server.txt(key.dns_name, key.dns_text)
        server.serve(settings)
        flows = [
            Flow(["209.85.220.41"], 100, dkim_results=((D, "google", "pass"),)),
            Flow(["40.107.22.51"], 50, dkim_results=((D, "selector1", "pass"),)),
            # An old system that stopped signing three weeks ago, with a 1024-bit key.
            Flow(["198.51.100.9"], 10, dkim_results=((D, "legacy", "pass"),), until_days=21),
            # Report data is anyone's: a selector that is markup is dropped at ingest, nothing to list.
            Flow(["198.51.100.10"], 1, dkim="fail", dkim_results=((D, HOSTILE, "fail"),)),
        ]
        build(D, flows, days=40)
        out = StringIO()
        call_command("selectors", D, "--refresh", "--json", stdout=out)
        yield json.loads(out.getvalue())


@pytest.mark.django_db
def test_the_selectors_of_a_domain_with_their_keys_from_the_dns(reported):
    assert reported["refreshed"]["selectors"] == 3
    rows = {r["selector"]: r for r in reported["selectors"]}
    assert set(rows) == {"google", "selector1", "legacy"}
    assert (rows["google"]["key_type"], rows["google"]["bits"], rows["google"]["flags"]) == ("rsa", 2048, [])
    assert (
        rows["google"]["messages"] == 100 * 40 * 2 and rows["google"]["passed"] == rows["google"]["messages"]
    )
    assert rows["google"]["service"] == "Google Workspace"
    legacy = rows["legacy"]
    assert legacy["bits"] == 1024
    assert any(f.startswith("1024-bit key") for f in legacy["flags"])
    assert any(f.startswith("Stopped signing") for f in legacy["flags"])
    m365 = rows["selector1"]
    assert m365["service"] == "Microsoft 365 (Exchange Online)"
    assert any("publish selector2._domainkey.keys.example" in f for f in m365["flags"])
    assert m365["first_seen"] < m365["last_seen"]


@pytest.mark.django_db
def test_the_selectors_page_reads_what_the_worker_stored(reported, superuser_client):
    response = superuser_client.get(reverse("selectors"), {"domain": D})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-selector="legacy"' in body and "RSA 1024 bits" in body and "RSA 2048 bits" in body
    assert "publish selector2._domainkey.keys.example" in body
    assert [s.selector for s in response.context["selectors"]] == ["google", "selector1", "legacy"]
    assert "onerror" not in body
