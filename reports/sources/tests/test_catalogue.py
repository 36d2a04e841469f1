"""The catalogue of sending services (services.json): its shape, and naming a source from each signal."""

import json
from collections import Counter

import pytest

from reports.shared.names import is_domain_name
from reports.sources.services import KIND_LABELS, TABLE, Signals, biggest, catalogue, identify

# The kinds the catalogue must cover: email service providers, marketing, transactional, CRM, help desk,
# HR and payroll, finance, e-commerce, security gateways, mailbox providers, forwarders and mailing
# lists, hosting.
REQUIRED_KINDS = {
    "esp",
    "marketing",
    "transactional",
    "crm",
    "helpdesk",
    "hr",
    "finance",
    "ecommerce",
    "gateway",
    "mailbox",
    "forwarder",
    "mailing-list",
    "hosting",
}


def rows():
    return json.loads(TABLE.read_text(encoding="utf-8"))["senders"]


def test_the_catalogue_holds_at_least_500_services_of_every_kind():
    services = catalogue()
    assert len(services) >= 500
    kinds = Counter(s.kind for s in services)
    assert set(kinds) >= REQUIRED_KINDS, REQUIRED_KINDS - set(kinds)
    assert set(kinds) <= set(KIND_LABELS), set(kinds) - set(KIND_LABELS)
    assert len({s.id for s in services}) == len(services)
    assert len({s.name for s in services}) == len(services)


def test_every_entry_says_where_it_comes_from_and_has_a_signal():
    for row in rows():
        assert row["source"].strip(), row["id"]
        assert row["dkim"] or row["spf"] or row["rdns"], row["id"]


def test_every_domain_is_a_valid_name_of_two_labels_or_more():
    for row in rows():
        for signal in ("dkim", "spf", "rdns"):
            for domain in row[signal]:
                assert is_domain_name(domain) and "." in domain, (row["id"], signal, domain)
        for asn in row["asn"]:
            assert isinstance(asn, int) and 0 < asn < 4_294_967_296, (row["id"], asn)


def test_no_signal_names_two_services():
    owners = {}
    for row in rows():
        for signal in ("dkim", "spf", "rdns", "asn"):
            for value in row[signal]:
                key = (signal, value)
                assert key not in owners, f"{signal} {value}: {owners.get(key)} and {row['id']}"
                owners[key] = row["id"]


@pytest.mark.parametrize(
    "signals, expected",
    [
        # Mailchimp's three domains are one service, by any signal, without reverse DNS.
        (Signals("", ["mcsv.net"], []), "Mailchimp"),
        (Signals("", ["rsgsv.net"], []), "Mailchimp"),
        (Signals("", [], ["mcdlv.net"]), "Mailchimp"),
        (Signals("mail180.sea91.rsgsv.net", [], []), "Mailchimp"),
        # DKIM alone, MAIL FROM alone, reverse DNS alone, for services past the first hundred.
        (Signals("", ["msgsndr.com"], []), "HighLevel (LeadConnector)"),
        (Signals("", [], ["bounce.greenhouse-mail.io"]), "Greenhouse"),
        (Signals("o12.email.gorgias.com", [], []), "Gorgias"),
        (Signals("", ["scw-tem.cloud"], []), "Scaleway Transactional Email"),
        (Signals("", [], ["em123.azurecomm.net"]), "Azure Communication Services Email"),
        (Signals("out.mail.mailbox.org", [], []), "mailbox.org"),
    ],
)
def test_a_source_is_named_from_any_one_signal(signals, expected):
    assert identify(signals, "example.com").name == expected


def test_the_strongest_signal_wins():
    # Authentication domains (DKIM, MAIL FROM) say whose mail it is; reverse DNS only whose network.
    found = identify(Signals("mail-sor-f41.google.com", ["mcsv.net"], ["mcsv.net"]), "example.com")
    assert found.name == "Mailchimp"
    assert found.evidence == ["DKIM d=mcsv.net", "MAIL FROM mcsv.net"]
    # A more specific suffix of the same signal wins: payroll.xero.com is not Xero's invoices.
    assert identify(Signals("", ["payroll.xero.com"], []), "example.com").name == "Xero Payroll notifications"
    assert identify(Signals("", ["xero.com"], []), "example.com").name == "Xero"


def test_an_entry_without_its_own_how_to_gets_the_generic_one_dkim_first():
    greenhouse = next(s for s in catalogue() if s.id == "greenhouse")
    assert greenhouse.alignment.startswith("DKIM")
    assert "Greenhouse" in greenhouse.dkim_fix and "return path" in greenhouse.spf_fix


def test_the_50_biggest_say_how_to_align_dkim_first_in_the_products_words():
    from reports.rollout.rules.classification import Group
    from reports.rollout.rules.sources import build_sources

    services = biggest()
    assert len(services) == 50 and len({s.id for s in services}) == 50
    for s in services:
        # DKIM: what to publish (a key or CNAMEs, a _domainkey selector) or where to set it up.
        assert "DKIM" in s.dkim_fix or "_domainkey" in s.dkim_fix, s.id
        # SPF: a return path of your own, an include for your own MAIL FROM, or why it cannot align.
        assert any(w in s.spf_fix for w in ("return path", "return-path", "MAIL FROM", "include", "bounce",
                                            "Return-Path", "its own domains")), s.id  # fmt: skip
        assert s.alignment and s.authenticates, s.id
    # The diagnosis of a misconfigured source gives its service's steps, DKIM first.
    for sid, dkim_d, mail_from in [
        ("sendgrid", "sendgrid.info", "sendgrid.net"),
        ("mailchimp", "mcsv.net", "mail1.atl11.rsgsv.net"),
        ("postmark", "pm.mtasv.net", "pm.mtasv.net"),
    ]:
        g = Group("192.0.2.9", "example.com", mail_from, "fail", "fail", (),
                  ((dkim_d, "s1", "pass"),), ((mail_from, "mfrom", "pass"),), 100)  # fmt: skip
        (src,) = build_sources([g], "example.com", "r", "r", {})
        service = next(s for s in services if s.id == sid)
        assert src.sender.id == sid and src.category == "misconfigured"
        assert src.fixes[0] == service.dkim_fix
        assert service.spf_fix in src.fixes or "SPF" in " ".join(src.fixes), sid
