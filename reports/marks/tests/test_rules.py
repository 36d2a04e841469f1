"""Marks over plain data: what a SOURCE names, and which mark applies to a source."""

import pytest

from reports.marks import rules

SERVICES = {"amazon ses": "Amazon SES", "ses": "Amazon SES", "amazon-ses": "Amazon SES"}


def test_a_source_is_an_address_a_network_or_a_known_service():
    assert rules.parse_source(" 192.0.2.7 ", SERVICES) == ("ip", "192.0.2.7")
    assert rules.parse_source("2001:DB8::1", SERVICES) == ("ip", "2001:db8::1")
    assert rules.parse_source("192.0.2.77/24", SERVICES) == ("network", "192.0.2.0/24")
    assert rules.parse_source("192.0.2.7/32", SERVICES) == ("ip", "192.0.2.7")
    assert rules.parse_source("amazon SES", SERVICES) == ("service", "Amazon SES")


def test_a_network_is_at_most_a_16_in_ipv4_and_a_32_in_ipv6():
    assert rules.parse_source("10.1.0.0/16", SERVICES) == ("network", "10.1.0.0/16")
    assert rules.parse_source("2001:db8::/32", SERVICES) == ("network", "2001:db8::/32")
    for wide in ("0.0.0.0/0", "10.0.0.0/15", "::/0", "2001:db8::/31"):
        with pytest.raises(rules.MarkError, match="wider than a /"):
            rules.parse_source(wide, SERVICES)


@pytest.mark.parametrize("bad", ["", "192.0.2.0/33", "no such service", "<b>x</b>", "0.0.0.0/0", "::/8"])
def test_anything_else_is_refused_with_a_clear_error(bad):
    with pytest.raises(rules.MarkError):
        rules.parse_source(bad, SERVICES)


def test_the_most_precise_mark_applies():
    marks = [
        rules.Mark("service", "Amazon SES", rules.OURS),
        rules.Mark("network", "54.240.0.0/16", rules.NOT_OURS),
        rules.Mark("network", "54.240.8.0/24", rules.OURS),
        rules.Mark("ip", "54.240.8.99", rules.NOT_OURS),
    ]
    assert rules.mark_for(marks, "54.240.8.99", "Amazon SES").verdict == rules.NOT_OURS  # the address
    assert (
        rules.mark_for(marks, "54.240.8.21", "Amazon SES").value == "54.240.8.0/24"
    )  # the narrowest network
    assert rules.mark_for(marks, "54.240.9.1", "Amazon SES").value == "54.240.0.0/16"
    assert rules.mark_for(marks, "23.249.208.1", "amazon ses").value == "Amazon SES"  # the service
    assert rules.mark_for(marks, "23.249.208.1", "Postmark") is None
    assert rules.mark_for(marks, "2001:db8::1", "") is None  # a v6 address is in no v4 network
