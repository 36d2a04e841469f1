"""Naming the service behind a source from its reverse DNS, DKIM and MAIL FROM domains."""

import pytest

from reports.sources.services import OWN, Signals, identify, table

REQUIRED = [
    "Amazon SES",
    "Google Workspace",
    "Gmail",
    "Microsoft 365 (Exchange Online)",
    "Outlook.com / Hotmail",
    "Twilio SendGrid",
    "Mailchimp",
    "Mailchimp Transactional (Mandrill)",
    "Mailgun",
    "Postmark",
    "SparkPost (Bird)",
    "Salesforce",
    "Zendesk",
    "HubSpot",
    "Brevo (Sendinblue)",
    "Mailjet",
    "Zoho Mail",
    "Fastmail",
    "Yahoo Mail",
    "Google Groups",
    "Groups.io",
    "iCloud Mail",
    "GMX",
]


def test_the_table_covers_the_common_senders_with_their_setup():
    senders = table()
    assert len(senders) >= 60
    names = {s.name for s in senders}
    assert set(REQUIRED) <= names
    for s in senders:
        assert s.rdns or s.dkim or s.spf, s.id
        assert s.authenticates, s.id
        if not s.forwarding:
            assert s.spf_fix and s.dkim_fix and s.alignment, s.id
    assert len({s.id for s in senders}) == len(senders)
    assert {"forwarder", "mailing-list", "mailbox", "esp"} <= {s.kind for s in senders}


@pytest.mark.parametrize(
    "signals, expected",
    [
        (
            Signals("a8-30.smtp-out.amazonses.com", ["amazonses.com"], ["us-east-1.amazonses.com"]),
            "amazon-ses",
        ),
        (Signals("", ["amazonses.com"], []), "amazon-ses"),
        (Signals("mail-sor-f41.google.com", ["example.com"], ["example.com"]), "google-workspace"),
        (Signals("mail-sor-f41.google.com", ["googlegroups.com"], ["googlegroups.com"]), "google-groups"),
        (
            Signals("mail-am6eur05on2041.outbound.protection.outlook.com", [], ["example.com"]),
            "microsoft-365",
        ),
        (Signals("mail-am6eur05on2041.outbound.protection.outlook.com", [], ["outlook.com"]), "outlook-com"),
        (Signals("o1.ptr1234.sendgrid.net", ["sendgrid.info"], ["sendgrid.net"]), "sendgrid"),
        (Signals("mail128-1.atl41.mcsv.net", ["mcsv.net"], ["mail128-1.atl41.mcsv.net"]), "mailchimp"),
        (Signals("", ["pm.mtasv.net"], ["pm-bounces.example.com"]), "postmark"),
        (Signals("out.groups.io", ["groups.io"], ["groups.io"]), "groups-io"),
    ],
)
def test_it_names_the_service_from_its_signals(signals, expected):
    assert identify(signals, "example.com").sender.id == expected


def test_a_reverse_dns_name_in_your_own_domain_means_your_own_servers():
    found = identify(Signals("mx1.mail.example.com", [], ["example.com"]), "example.com")
    assert found.sender is OWN
    assert found.evidence == ["reverse DNS mx1.mail.example.com"]


def test_your_own_domain_in_dkim_or_mail_from_names_no_service():
    assert identify(Signals("", ["example.com"], ["bounce.example.com"]), "example.com").sender is None
    assert identify(Signals("dsl-1-2-3.isp.example.net", [], []), "example.com").sender is None


def test_a_network_is_the_weakest_signal_and_says_so():
    google = identify(Signals(asn=15169), "example.com")
    assert google.name == "Google Workspace" and google.by_network and google.evidence == ["network AS15169"]
    # Any other signal wins over the network, and a named source is no longer "by network".
    ses = identify(Signals("", ["amazonses.com"], [], asn=15169), "example.com")
    assert ses.name == "Amazon SES" and not ses.by_network
    both = identify(Signals("mail-qk1-f41.google.com", [], [], asn=15169), "example.com")
    assert both.name == "Google Workspace" and not both.by_network
    assert identify(Signals(asn=64496), "example.com").sender is None


def test_the_table_maps_the_networks_of_services_that_send_from_their_own():
    by_asn = {n: s.name for s in table() for n in s.asn}
    assert by_asn[15169] == "Google Workspace"
    assert by_asn[8075] == "Microsoft 365 (Exchange Online)"
    assert by_asn[11377] == "Twilio SendGrid"
    assert by_asn[14618] == "Amazon SES"
    assert len(by_asn) == sum(len(s.asn) for s in table())  # one service per network
