"""Which texts are domain names and IP addresses (plain data, no database)."""

import pytest

from reports.shared.names import domain_name, ip_text, is_domain_name, is_within


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Example.COM.", "example.com"),
        (" mail.example.com ", "mail.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a-b.c0", "a-b.c0"),
        ("localhost", "localhost"),
        ("a" * 63 + ".example", "a" * 63 + ".example"),
    ],
)
def test_it_gives_the_dns_form_of_a_name(text, name):
    assert domain_name(text) == name
    assert is_domain_name(name)


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "evil/x.example",
        "a b.example",
        "-a.example",
        "a-.example",
        "a..example",
        ".",
        "a" * 64 + ".example",
        ".".join(["a" * 50] * 6),  # 305 characters
        "x\x00.example",
        "under_score.example",
        "user@example.com",
        "<script>.example",
    ],
)
def test_it_refuses_what_is_no_domain_name(text):
    assert domain_name(text) is None


def test_ip_texts_are_canonical_and_never_carry_a_zone():
    assert ip_text("2001:DB8::0:1") == "2001:db8::1"
    assert ip_text("192.0.2.1") == "192.0.2.1"
    assert ip_text("fe80::1%eth0") is None
    assert ip_text("999.1.1.1") is None
    assert ip_text("") is None


def test_a_subdomain_is_within_its_parent_and_a_lookalike_is_not():
    assert is_within("example.com", "example.com")
    assert is_within("mail.example.com", "example.com")
    assert not is_within("badexample.com", "example.com")
    assert not is_within("example.com", "mail.example.com")
