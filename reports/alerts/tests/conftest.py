"""The alerts' real components: an SMTP server (aiosmtpd) and an HTTP receiver for Apprise's JSON
webhook, started once per session; a DNS server (dnsmasq) per test."""

from __future__ import annotations

import pytest

from reports.harness.dns_server import DnsServer
from reports.harness.http_receiver import HttpReceiver
from reports.harness.smtp_server import SmtpServer


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
def webhook(http_receiver, settings):
    # The receiver listens on 127.0.0.1: an internal server, which users may reach only once the
    # server's operator allows it (reports/access/outbound.py).
    settings.DMARC_ALERT_ALLOWED_HOSTS = ["127.0.0.1"]
    http_receiver.clear()
    yield http_receiver
    http_receiver.clear()


# A real 2048-bit RSA public key (its private half was thrown away).
DKIM_KEY = (
    "v=DKIM1; k=rsa; p="
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAw6QoDZzK3YClBms+EhU3Tzb1JTHA66Nh8Luw7MI7Jg7LV6n2+hnF7nGGzbjLATmJT3Bw9ZqVY/qIMGNmxTkDsKh9rs86J/xydPeXb5BrvbHTN4rCc81ljZxW7hkAsylCi9KDOpqbgpm6dxESysdjQEXCo97vNhgo"
    "5BAtsgiJrLnB0uuL4NQzCTdGjHuI6nZtQGDxAnkW2CQ2BPL3xA6KptGnK+z26mU/VNsJcN+lE5SQL90XI84zQNfgnrqMYrvmbOJJijZQ5cVWy4aU"
    "9Mv4DcWG4Ix4yEVxyweG4K/lVpkxv1FkFhGkMiLHHEMAmWSkJHmCYRsfQAKllxoTM/qQtQIDAQAB"
)


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
