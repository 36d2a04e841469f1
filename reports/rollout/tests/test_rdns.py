"""Reverse DNS of the sources through a real DNS server (dnsmasq): forward confirmation, the
ReverseDns table, the Celery task, and reading names without asking the DNS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.dns_server import DnsServer
from reports.models import ReverseDns
from reports.rollout import rdns
from reports.rollout import tasks as rollout_tasks


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        yield server


@pytest.mark.django_db
def test_reverse_dns_is_stored_and_forward_confirmed(dns, settings):
    dns.host("mail-a.example.net", "192.0.2.10")
    dns.host("v6.example.net", "2001:db8::10")
    dns.ptr("198.51.100.7", "a1-2.smtp-out.amazonses.com")  # claims a name that does not point back
    dns.serve(settings)
    rdns.refresh_reverse_dns(["192.0.2.10", "2001:db8::10", "198.51.100.7", "203.0.113.99"])
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


@pytest.mark.django_db
def test_rdns_names_reads_the_cache_only():
    from django.utils import timezone

    now = timezone.now()
    ReverseDns.objects.create(
        ip="192.0.2.1", hostname="a.example.net", confirmed=True, fetched=now, expires=now
    )
    ReverseDns.objects.create(
        ip="192.0.2.2", hostname="b.example.net", confirmed=False, fetched=now, expires=now
    )
    ReverseDns.objects.create(ip="192.0.2.3", hostname="", error="nxdomain", fetched=now, expires=now)
    ips = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    assert rdns.rdns_names(ips) == {"192.0.2.1": "a.example.net", "192.0.2.2": "b.example.net"}
    assert rdns.rdns_names(ips, confirmed_only=True) == {"192.0.2.1": "a.example.net"}
