"""Where a user's URL may make the product connect: the rules over plain data, no network."""

import pytest

from reports.access import outbound
from reports.access.outbound import Allowed, address_refusal, host_refusal, loose_ipv4, resolved_refusal


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1",
        "255.255.255.255", "192.0.2.1", "198.18.0.1", "::", "::1", "fe80::1", "fd00:ec2::254",
        "fc00::1", "ff02::1", "fec0::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1",
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::",
        "fe80::1%eth0",
    ],
)  # fmt: skip
def test_internal_addresses_are_refused(ip):
    assert address_refusal(ip)
    assert host_refusal(f"[{ip}]" if ":" in ip else ip)


PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
PUBLIC += ["2002:808:808::"]


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_are_allowed(ip):
    assert address_refusal(ip) is None


def test_the_reason_names_what_the_address_is():
    assert "loopback" in address_refusal("127.0.0.1")
    assert "metadata" in address_refusal("169.254.169.254")
    assert "100.64.0.0/10" in address_refusal("100.100.100.200")
    assert "stands for 127.0.0.1" in address_refusal("::ffff:127.0.0.1")


@pytest.mark.parametrize(
    ("host", "means"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("2852039166", "169.254.169.254"),
        ("134744072", "8.8.8.8"),
    ],
)
def test_every_form_of_an_ipv4_address_is_read_as_inet_aton_reads_it_and_refused(host, means):
    assert str(loose_ipv4(host)) == means
    assert "in another form" in host_refusal(host)


@pytest.mark.parametrize("host", ["example.com", "hooks.slack.com", "1x.example", "256.1.1.1.example", "0xg"])
def test_names_are_no_numeric_address(host):
    assert loose_ipv4(host) is None


@pytest.mark.parametrize(
    "host", ["localhost", "db", "foo.localhost", "printer.local", "metadata.google.internal", "nas.home.arpa"]
)
def test_local_names_are_refused_before_any_lookup(host):
    assert host_refusal(host)


def test_public_names_pass_until_resolved():
    assert host_refusal("hooks.example.com") is None
    assert resolved_refusal("hooks.example.com", ["93.184.215.14"]) is None
    # Any refused address refuses the name: a client may pick any of them.
    assert "loopback" in resolved_refusal("hooks.example.com", ["93.184.215.14", "127.0.0.1"])
    assert "does not resolve" in resolved_refusal("hooks.example.com", [])


def test_only_the_listed_services_are_allowed_and_webhooks_over_https_only():
    for scheme in ("slack", "msteams", "discord", "gchat", "tgram", "pover", "jsons", "xmls", "forms"):
        assert outbound.scheme_refusal(scheme, "") is None
    assert outbound.scheme_refusal("jsons", "hooks.example.com") is None
    for scheme in ("irc", "rsyslog", "syslog", "mailto", "mailtos", "tcp", "mqtt", "apprise", "xmpp"):
        assert "not one of the allowed services" in outbound.scheme_refusal(scheme, "example.com")
    assert "plain HTTP" in outbound.scheme_refusal("json", "hooks.example.com")
    # ntfy://topic goes to ntfy.sh over HTTPS; ntfy://host/topic is plain HTTP to that host.
    assert outbound.scheme_refusal("ntfy", "") is None
    assert "use ntfys://" in outbound.scheme_refusal("ntfy", "ntfy.example.com")


def test_a_chosen_method_header_parameter_or_field_is_refused():
    for key in ("method", "METHOD", "+X-Api-Key", "-token", ":field", " +X"):
        assert outbound.query_refusal([key]), key
    assert outbound.query_refusal(["format", "overflow", "priority"]) is None


def test_the_operators_allowed_hosts_let_internal_servers_through():
    allowed = Allowed.parse(["chat.corp.example", "10.1.2.0/24", "127.0.0.1", ""])
    assert host_refusal("chat.corp.example", allowed) is None
    assert resolved_refusal("chat.corp.example", ["10.9.9.9"], allowed) is None
    assert host_refusal("10.1.2.7", allowed) is None and host_refusal("10.1.3.7", allowed)
    assert resolved_refusal("hooks.example.com", ["10.1.2.7"], allowed) is None
    assert host_refusal("127.0.0.1", allowed) is None and host_refusal("127.0.0.2", allowed)
    # Plain HTTP only to those hosts.
    assert outbound.scheme_refusal("json", "127.0.0.1", allowed) is None
    assert outbound.scheme_refusal("json", "hooks.example.com", allowed)
