"""The DNS inspector: DMARC lint (RFC 7489, RFC 9989), SPF lookup count, DKIM keys, reverse DNS.

Record parsing is tested on plain strings; everything that looks names up
talks to a real dnsmasq serving a test zone on 127.0.0.1.
"""

import base64
import socket
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from reports.demo.report_xml import record_xml
from reports.models import DnsCache, ReverseDns
from reports.rollout import dnscheck
from reports.rollout import tasks as rollout_tasks
from reports.tests.dashboard import daily_report, import_ok
from reports.tests.dns_server import DnsServer


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        yield server


def codes(problems):
    return {p.code for p in problems}


def rsa_key_b64(bits: int) -> str:
    """A SubjectPublicKeyInfo for an RSA key of `bits` bits (DER built by hand; the modulus is arbitrary)."""

    def tlv(tag, body):
        n = len(body)
        length = (
            bytes([n])
            if n < 128
            else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
        )
        return bytes([tag]) + length + body

    modulus = b"\x00" + b"\xc3" + b"\x5a" * (bits // 8 - 1)
    rsa = tlv(0x30, tlv(0x02, modulus) + tlv(0x02, b"\x01\x00\x01"))
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return base64.b64encode(tlv(0x30, alg + tlv(0x03, b"\x00" + rsa))).decode()


# --- the DMARC record, as text


def test_it_reads_a_valid_record_without_problems():
    rec = dnscheck.parse_dmarc(
        "v=DMARC1; p=quarantine; sp=reject; adkim=r; aspf=s; fo=1:d; rua=mailto:d@example.com!10m"
    )
    assert rec.problems == []
    assert rec.p == "quarantine"
    assert rec.aspf == "s"
    assert [a.address for a in rec.rua] == ["d@example.com"]


def test_it_requires_v_first():
    rec = dnscheck.parse_dmarc("p=none; v=DMARC1; rua=mailto:d@example.com")
    assert "v-first" in codes(rec.problems)


def test_it_flags_duplicate_tags():
    rec = dnscheck.parse_dmarc("v=DMARC1; p=none; p=reject; rua=mailto:d@example.com")
    assert "duplicate-tag" in codes(rec.problems)
    assert rec.tags["p"] == "none"  # the first one is what was read


@pytest.mark.parametrize(
    "tag, code",
    [
        ("p=block", "invalid-p"),
        ("sp=yes", "invalid-sp"),
        ("np=maybe", "invalid-np"),
        ("pct=150", "invalid-pct"),
        ("t=maybe", "invalid-t"),
        ("adkim=x", "invalid-adkim"),
        ("aspf=relaxed", "invalid-aspf"),
        ("fo=2", "invalid-fo"),
    ],
)
def test_it_flags_invalid_values(tag, code):
    rec = dnscheck.parse_dmarc(f"v=DMARC1; {tag}; rua=mailto:d@example.com")
    assert code in codes(rec.errors)


def test_it_requires_mailto_and_a_valid_size():
    rec = dnscheck.parse_dmarc(
        "v=DMARC1; p=none; rua=d@example.com,mailto:e@example.com!10x; ruf=https://x.example"
    )
    assert "not-mailto" in codes(rec.errors)
    assert "bad-size" in codes(rec.errors)


def test_it_flags_obsolete_tags_but_keeps_the_record_usable():
    rec = dnscheck.parse_dmarc("v=DMARC1; p=quarantine; pct=50; rf=afrf; ri=86400; rua=mailto:d@example.com")
    assert {"obsolete-pct", "obsolete-rf", "obsolete-ri"} <= codes(rec.problems)
    assert rec.errors == []
    assert rec.pct == 50


def test_it_warns_about_more_than_two_report_addresses_and_no_rua():
    three = dnscheck.parse_dmarc(
        "v=DMARC1; p=none; rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example"
    )
    assert "too-many-addresses" in codes(three.problems)
    none = dnscheck.parse_dmarc("v=DMARC1; p=none")
    assert "no-rua" in codes(none.errors)


def test_it_flags_p_none_held_for_months_and_strict_alignment_that_breaks_senders():
    rec = dnscheck.parse_dmarc("v=DMARC1; p=none; aspf=s; rua=mailto:d@example.com")
    problems = dnscheck.context_problems(rec, days_on_none=200, relaxed_spf=["Amazon SES"])
    assert {"none-forever", "strict-spf"} <= codes(problems)
    assert dnscheck.context_problems(rec, days_on_none=20) == []


def test_nameservers_accept_host_port_and_ipv6_forms():
    assert dnscheck.nameservers("127.0.0.1:5353, ::1, [::1]:5300, 192.0.2.1") == [
        ("127.0.0.1", 5353),
        ("::1", 53),
        ("::1", 5300),
        ("192.0.2.1", 53),
    ]
    with pytest.raises(ImproperlyConfigured, match="DMARC_DNS_NAMESERVERS"):
        dnscheck.nameservers("127.0.0.1:99999")


# --- looked up in a real DNS server


@pytest.mark.django_db
def test_it_joins_multi_string_records_and_ignores_other_txt(dns, settings):
    long_rua = "mailto:" + "a" * 250 + "@example.com"
    dns.txt("_dmarc.example.com", f"v=DMARC1; p=reject; rua={long_rua}", "google-site-verification=xyz")
    dns.serve(settings)
    check = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
    assert check.record is not None
    assert check.record.p == "reject"
    assert check.record.rua[0].uri == long_rua  # split into two strings on the wire, joined again


@pytest.mark.django_db
def test_several_records_mean_that_none_applies(dns, settings):
    dns.txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com", "v=DMARC1; p=reject")
    dns.serve(settings)
    check = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
    assert check.record is None
    assert "several-records" in codes(check.errors)


@pytest.mark.django_db
def test_it_finds_a_record_published_on_the_bare_domain(dns, settings):
    dns.txt("example.com", "v=DMARC1; p=none; rua=mailto:d@example.com", "v=spf1 -all")
    dns.serve(settings)
    check = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
    assert {"no-record", "bare-domain"} <= codes(check.errors)


@pytest.mark.django_db
def test_a_record_that_does_not_start_with_v_is_ignored(dns, settings):
    dns.txt("_dmarc.example.com", "p=none; v=DMARC1; rua=mailto:d@example.com")
    dns.serve(settings)
    check = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
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
    check = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
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
    check = dnscheck.check_spf("example.com", dnscheck.cached_resolver())
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
    resolve = dnscheck.cached_resolver()
    assert "several-spf" in codes(dnscheck.check_spf("example.com", resolve).errors)
    assert "broken-include" in codes(dnscheck.check_spf("example.org", resolve).errors)


@pytest.mark.django_db
def test_it_looks_up_dkim_keys_of_the_selectors_seen(dns, settings):
    dns.txt("s2048._domainkey.example.com", f"v=DKIM1; k=rsa; p={rsa_key_b64(2048)}")
    dns.txt("s1024._domainkey.example.com", f"v=DKIM1; k=rsa; p={rsa_key_b64(1024)}")
    dns.txt("old._domainkey.example.com", "v=DKIM1; p=")
    dns.serve(settings)
    keys = dnscheck.check_dkim(
        [("s2048", "example.com"), ("s1024", "example.com"), ("old", "example.com"), ("gone", "example.com")],
        dnscheck.cached_resolver(),
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
    first = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver())
    assert first.record.p == "none"
    assert DnsCache.objects.filter(name="_dmarc.example.com", rdtype="TXT").exists()

    dns.lines.clear()
    dns.txt("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com")
    dns.serve(settings)
    assert dnscheck.check_dmarc("example.com", dnscheck.cached_resolver()).record.p == "none"
    refreshed = dnscheck.check_dmarc("example.com", dnscheck.cached_resolver(refresh=True))
    assert refreshed.record.p == "quarantine"


@pytest.mark.django_db
def test_a_silent_server_costs_one_short_timeout_not_one_per_name(settings):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{silent.getsockname()[1]}"]
        settings.DMARC_DNS_TIMEOUT = 1
        started = time.monotonic()
        inspection = dnscheck.inspect("example.com", dnscheck.cached_resolver(), [("s1", "example.com")])
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert "lookup-failed" in codes(inspection.dmarc.errors)
    assert inspection.dkim[0].problems[0].code == "lookup-failed"


@pytest.mark.django_db
def test_reverse_dns_is_stored_and_forward_confirmed(dns, settings):
    dns.host("mail-a.example.net", "192.0.2.10")
    dns.host("v6.example.net", "2001:db8::10")
    dns.ptr("198.51.100.7", "a1-2.smtp-out.amazonses.com")  # claims a name that does not point back
    dns.serve(settings)
    dnscheck.refresh_reverse_dns(["192.0.2.10", "2001:db8::10", "198.51.100.7", "203.0.113.99"])
    rows = {r.ip: r for r in ReverseDns.objects.all()}
    assert (rows["192.0.2.10"].hostname, rows["192.0.2.10"].confirmed) == ("mail-a.example.net", True)
    assert rows["2001:db8::10"].confirmed
    assert rows["198.51.100.7"].hostname == "a1-2.smtp-out.amazonses.com"
    assert not rows["198.51.100.7"].confirmed
    assert rows["203.0.113.99"].hostname == "" and rows["203.0.113.99"].error == "nxdomain"
    assert all(r.expires > r.fetched for r in rows.values())


@pytest.mark.django_db
def test_the_reverse_dns_task_resolves_recent_sources_that_have_no_fresh_name(dns, settings):
    dns.host("recent.example.net", "192.0.2.21")
    dns.host("old.example.net", "192.0.2.22")
    dns.host("known.example.net", "192.0.2.23")
    dns.serve(settings)
    import_ok(daily_report(2, [record_xml(ip="192.0.2.21"), record_xml(ip="192.0.2.23")]))
    import_ok(daily_report(45, [record_xml(ip="192.0.2.22")]))
    now = timezone.now()
    ReverseDns.objects.create(
        ip="192.0.2.23",
        hostname="cached.example.net",
        confirmed=True,
        fetched=now,
        expires=now + timedelta(days=1),
    )

    assert rollout_tasks.resolve_reverse_dns.apply().get() == 1

    # Only the recent source without a fresh entry was looked up.
    names = dict(ReverseDns.objects.values_list("ip", "hostname"))
    assert names == {"192.0.2.21": "recent.example.net", "192.0.2.23": "cached.example.net"}
