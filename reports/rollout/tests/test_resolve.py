"""Resolving through a real DNS server (dnsmasq on 127.0.0.1): the checks of reports.rollout.lint
over live and cached answers, the DnsCache, timeouts, and the DMARC_DNS_NAMESERVERS setting.
"""

import socket
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from reports.harness.dns_server import DnsServer
from reports.models import DnsCache
from reports.rollout import lint, resolve
from reports.rollout.tests.test_lint import codes, rsa_key_b64
from reports.shared import dns as shared_dns


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        yield server


def test_nameservers_accept_host_port_and_ipv6_forms():
    assert shared_dns.nameservers("127.0.0.1:5353, ::1, [::1]:5300, 192.0.2.1") == [
        ("127.0.0.1", 5353),
        ("::1", 53),
        ("::1", 5300),
        ("192.0.2.1", 53),
    ]
    with pytest.raises(ImproperlyConfigured, match="DMARC_DNS_NAMESERVERS"):
        shared_dns.nameservers("127.0.0.1:99999")


# --- looked up in a real DNS server


@pytest.mark.django_db
def test_it_joins_multi_string_records_and_ignores_other_txt(dns, settings):
    long_rua = "mailto:" + "a" * 250 + "@example.com"
    dns.txt("_dmarc.example.com", f"v=DMARC1; p=reject; rua={long_rua}", "google-site-verification=xyz")
    dns.serve(settings)
    check = lint.check_dmarc("example.com", resolve.cached_resolver())
    assert check.record is not None
    assert check.record.p == "reject"
    assert check.record.rua[0].uri == long_rua  # split into two strings on the wire, joined again


@pytest.mark.django_db
def test_several_records_mean_that_none_applies(dns, settings):
    dns.txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com", "v=DMARC1; p=reject")
    dns.serve(settings)
    check = lint.check_dmarc("example.com", resolve.cached_resolver())
    assert check.record is None
    assert "several-records" in codes(check.errors)


@pytest.mark.django_db
def test_it_finds_a_record_published_on_the_bare_domain(dns, settings):
    dns.txt("example.com", "v=DMARC1; p=none; rua=mailto:d@example.com", "v=spf1 -all")
    dns.serve(settings)
    check = lint.check_dmarc("example.com", resolve.cached_resolver())
    assert {"no-record", "bare-domain"} <= codes(check.errors)


@pytest.mark.django_db
def test_a_record_that_does_not_start_with_v_is_ignored(dns, settings):
    dns.txt("_dmarc.example.com", "p=none; v=DMARC1; rua=mailto:d@example.com")
    dns.serve(settings)
    check = lint.check_dmarc("example.com", resolve.cached_resolver())
    assert check.record is None
    assert {"v-first", "no-record"} <= codes(check.errors)


@pytest.mark.django_db
def test_an_external_report_address_needs_authorization(dns, settings):
    dns.txt(
        "_dmarc.example.com",
        "v=DMARC1; p=none; rua=mailto:d@example.com,mailto:x@reports.example.net,mailto:y@dmarc.example.org",
    )
    dns.txt("example.com._report._dmarc.reports.example.net", "v=DMARC1")
    dns.serve(settings)
    check = lint.check_dmarc("example.com", resolve.cached_resolver())
    unauthorized = [p.message for p in check.errors if p.code == "unauthorized-address"]
    assert len(unauthorized) == 1
    assert "dmarc.example.org" in unauthorized[0]
    assert "too-many-addresses" in codes(check.problems)


@pytest.mark.django_db
def test_it_counts_spf_lookups_through_includes_and_flags_ptr(dns, settings):
    dns.txt("example.com", "v=spf1 a mx ptr include:_spf.one.example include:_spf.two.example ~all")
    dns.txt("_spf.one.example", "v=spf1 include:_a.one.example include:_b.one.example a mx -all")
    dns.txt("_a.one.example", "v=spf1 ip4:192.0.2.0/24 exists:%{i}.x.one.example -all")
    dns.txt("_b.one.example", "v=spf1 a:mail.one.example mx:one.example -all")
    dns.txt("_spf.two.example", "v=spf1 redirect=_spf.three.example")
    dns.txt("_spf.three.example", "v=spf1 ip4:198.51.100.0/24 -all")
    dns.serve(settings)
    check = lint.check_spf("example.com", resolve.cached_resolver())
    # example.com: a mx ptr include include = 5; _spf.one: include include a mx = 4; _a: exists = 1;
    # _b: a mx = 2; _spf.two: redirect = 1  -> 13
    assert check.lookups == 13
    assert {"too-many-lookups", "ptr"} <= codes(check.problems)
    assert "_spf.three.example" in check.includes


@pytest.mark.django_db
def test_it_flags_two_spf_records_and_an_include_without_one(dns, settings):
    dns.txt("example.com", "v=spf1 -all", "v=spf1 include:_spf.google.com -all")
    dns.txt("example.org", "v=spf1 include:gone.example -all")
    dns.serve(settings)
    dns_ = resolve.cached_resolver()
    assert "several-spf" in codes(lint.check_spf("example.com", dns_).errors)
    assert "broken-include" in codes(lint.check_spf("example.org", dns_).errors)


@pytest.mark.django_db
def test_it_looks_up_dkim_keys_of_the_selectors_seen(dns, settings):
    dns.txt("s2048._domainkey.example.com", f"v=DKIM1; k=rsa; p={rsa_key_b64(2048)}")
    dns.txt("s1024._domainkey.example.com", f"v=DKIM1; k=rsa; p={rsa_key_b64(1024)}")
    dns.txt("old._domainkey.example.com", "v=DKIM1; p=")
    dns.serve(settings)
    keys = lint.check_dkim(
        [("s2048", "example.com"), ("s1024", "example.com"), ("old", "example.com"), ("gone", "example.com")],
        resolve.cached_resolver(),
    )
    by_selector = {k.selector: k for k in keys}
    assert by_selector["s2048"].bits == 2048 and by_selector["s2048"].problems == []
    assert by_selector["s1024"].bits == 1024 and codes(by_selector["s1024"].problems) == {"short-key"}
    assert codes(by_selector["old"].problems) == {"revoked"}
    assert codes(by_selector["gone"].problems) == {"no-key"}


@pytest.mark.django_db
def test_answers_are_cached_until_refreshed(dns, settings):
    dns.txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
    dns.serve(settings)
    first = lint.check_dmarc("example.com", resolve.cached_resolver())
    assert first.record.p == "none"
    assert DnsCache.objects.filter(name="_dmarc.example.com", rdtype="TXT").exists()

    dns.lines.clear()
    dns.txt("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com")
    dns.serve(settings)
    assert lint.check_dmarc("example.com", resolve.cached_resolver()).record.p == "none"
    refreshed = lint.check_dmarc("example.com", resolve.cached_resolver(refresh=True))
    assert refreshed.record.p == "quarantine"


@pytest.mark.django_db
def test_a_silent_server_costs_one_short_timeout_not_one_per_name(settings):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{silent.getsockname()[1]}"]
        settings.DMARC_DNS_TIMEOUT = 1
        started = time.monotonic()
        inspection = lint.inspect("example.com", resolve.cached_resolver(), [("s1", "example.com")])
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert "lookup-failed" in codes(inspection.dmarc.errors)
    assert inspection.dkim[0].problems[0].code == "lookup-failed"
