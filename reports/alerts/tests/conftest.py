"""The alerts' real components: an SMTP server (aiosmtpd) and an HTTP receiver for Apprise's JSON
webhook, started once per session; a DNS server (dnsmasq) per test."""

from __future__ import annotations

import pytest

from reports.rollout.tests.test_dnscheck import rsa_key_b64
from reports.tests.dns_server import DnsServer
from reports.tests.http_receiver import HttpReceiver
from reports.tests.smtp_server import SmtpServer


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http_receiver():
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    smtp_server.clear()
    smtp_server.use(settings)
    settings.DMARC_BASE_URL = "http://dash.test"
    settings.DMARC_ALERT_EMAILS = []
    settings.DMARC_ALERT_URLS = []
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def webhook(http_receiver):
    http_receiver.clear()
    yield http_receiver
    http_receiver.clear()


DKIM_KEY = f"v=DKIM1; k=rsa; p={rsa_key_b64(2048)}"


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.host("a8-21.smtp-out.amazonses.com", "54.240.8.21")
        server.txt("_spf.google.com", "v=spf1 ip4:209.85.128.0/17 ~all")
        yield server


def publish(dns, settings, domain, record, spf="v=spf1 include:_spf.google.com include:amazonses.com -all"):
    dns.txt(f"_dmarc.{domain}", record)
    dns.txt(domain, spf)
    dns.txt("amazonses.com", "v=spf1 ip4:54.240.0.0/18 -all")
    for selector in ("google", "ses"):
        dns.txt(f"{selector}._domainkey.{domain}", DKIM_KEY)
    dns.serve(settings)
