"""Demo data for the rollout assistant: one domain ready for quarantine, one that is not.

- northwind.example has been at p=none for six weeks. Google Workspace, SendGrid
  (authenticated domain) and a weekly Mailchimp newsletter (authenticated
  domain) all align; a Google Group and an ARC-sealing list forward its mail;
  a few spoofers try their luck. Ready for p=quarantine.
- fabrikam.example sends through Microsoft 365 (aligned), but Amazon SES runs
  without a custom MAIL FROM or Easy DKIM, Zendesk signs with its own domain
  and is missing from SPF, and Postmark started sending five days ago. Outlook.com users forward its
  mail. Not ready, for three reasons.

build_demo_reports() only builds report files; `manage.py demo` imports them
through ingest_bytes like any other report. reports.rollout.demo.install_demo_dns() puts the two
domains' DNS records and their senders' reverse DNS names into the caches, so
that the demo works without network access.
"""

from __future__ import annotations

import base64
import gzip
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from xml.sax.saxutils import escape

from reports.demo.report_xml import record_xml, report_xml

READY = "northwind.example"
NOT_READY = "fabrikam.example"
DAYS = 42

REPORTERS = [
    ("google.com", "noreply-dmarc-support@google.com"),
    ("Outlook.com", "dmarcreport@microsoft.com"),
    ("Yahoo", "dmarchelp@yahooinc.com"),
    ("Mail.Ru", "dmarc_support@corp.mail.ru"),
]


@dataclass
class Flow:
    ips: list[str]
    per_day: int  # messages a day seen by one reporter, before noise
    dkim: tuple[tuple[str, str, str], ...]  # (d=, selector, result)
    spf: tuple[str, str]  # (MAIL FROM domain, result)
    dkim_verdict: str = "pass"
    spf_verdict: str = "pass"
    reasons: tuple[tuple[str, str], ...] = ()
    since_days: int = 0  # only in the last N days (0: the whole period)
    weekday: int | None = None  # only on this weekday (0 = Monday): a newsletter
    spoofer: bool = False  # random addresses every day


def _flows(domain: str) -> list[Flow]:
    if domain == READY:
        return [
            Flow(
                ["209.85.220.41", "209.85.220.69", "2607:f8b0:4864:20::c2f"],
                700,
                ((domain, "google", "pass"),),
                (domain, "pass"),
            ),
            Flow(
                ["167.89.14.2", "167.89.118.33"],
                300,
                ((domain, "s1", "pass"), ("sendgrid.info", "smtpapi", "pass")),
                (f"em4821.{domain}", "pass"),
            ),
            Flow(
                ["198.2.180.17", "198.2.180.40"],
                2500,
                ((domain, "k2", "pass"), ("mcsv.net", "k1", "pass")),
                ("mail180-17.suw21.mcsv.net", "pass"),
                spf_verdict="fail",
                weekday=1,
            ),
            Flow(
                ["209.85.220.73"],
                12,
                (("googlegroups.com", "20230601", "pass"), (domain, "google", "fail")),
                ("googlegroups.com", "pass"),
                "fail",
                "fail",
            ),
            Flow(
                ["23.83.209.10"],
                8,
                (("lists.example.net", "list", "pass"), (domain, "google", "fail")),
                ("lists.example.net", "pass"),
                "fail",
                "fail",
                reasons=(("local_policy", "arc=pass"),),
            ),
            Flow([], 6, (), (domain, "fail"), "fail", "fail", spoofer=True),
        ]
    return [
        Flow(
            ["40.107.22.41", "40.107.22.88", "2a01:111:f403:2613::700"],
            500,
            ((domain, "selector1", "pass"), ("fabrikam.onmicrosoft.com", "selector1", "pass")),
            (domain, "pass"),
        ),
        Flow(
            ["54.240.8.97", "54.240.8.33"],
            200,
            (("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw", "pass"),),
            ("us-east-1.amazonses.com", "pass"),
            "fail",
            "fail",
        ),
        Flow(
            ["192.161.144.70"],
            40,
            (("zendesk.com", "zendesk1", "pass"),),
            (domain, "softfail"),  # sends with your MAIL FROM, which has no include:mail.zendesk.com yet
            "fail",
            "fail",
        ),
        Flow(
            ["50.31.156.6"],
            60,
            ((domain, "20240210pm", "pass"), ("pm.mtasv.net", "pm", "pass")),
            (f"pm-bounces.{domain}", "pass"),
            since_days=5,
        ),
        Flow(["40.92.18.104"], 6, ((domain, "selector1", "fail"),), ("outlook.com", "pass"), "fail", "fail"),
        Flow([], 9, (), (domain, "softfail"), "fail", "fail", spoofer=True),
    ]


# Forward-confirmed reverse DNS names of the demo senders, as a worker would resolve them.
REVERSE_DNS = {
    "209.85.220.41": "mail-sor-f41.google.com",
    "209.85.220.69": "mail-sor-f69.google.com",
    "209.85.220.73": "mail-sor-f73.google.com",
    "2607:f8b0:4864:20::c2f": "mail-yw1-xc2f.google.com",
    "167.89.14.2": "o1.ptr4821.sendgrid.net",
    "167.89.118.33": "o2.ptr4821.sendgrid.net",
    "198.2.180.17": "mail180-17.suw21.mcsv.net",
    "198.2.180.40": "mail180-40.suw21.mcsv.net",
    "23.83.209.10": "relay.lists.example.net",
    "40.107.22.41": "mail-he1eur04on2041.outbound.protection.outlook.com",
    "40.107.22.88": "mail-he1eur04on2088.outbound.protection.outlook.com",
    "2a01:111:f403:2613::700": "mail-db3eur04on0700.outbound.protection.outlook.com",
    "54.240.8.97": "a8-97.smtp-out.amazonses.com",
    "54.240.8.33": "a8-33.smtp-out.amazonses.com",
    "192.161.144.70": "out70.mail.zendesk.com",
    "50.31.156.6": "smtp-a.mtasv.net",
    "40.92.18.104": "mail-oln040092018104.outbound.protection.outlook.com",
}


# Networks of the demo senders (Team Cymru's answers): (AS, AS name, country) by address prefix.
NETWORKS = {
    "209.85.": (15169, "GOOGLE - Google LLC, US", "US"),
    "2607:f8b0:": (15169, "GOOGLE - Google LLC, US", "US"),
    "167.89.": (11377, "SENDGRID - SendGrid, Inc., US", "US"),
    "40.107.": (8075, "MICROSOFT-CORP-MSN-AS-BLOCK - Microsoft Corporation, US", "US"),
    "40.92.": (8075, "MICROSOFT-CORP-MSN-AS-BLOCK - Microsoft Corporation, US", "US"),
    "2a01:111:": (8075, "MICROSOFT-CORP-MSN-AS-BLOCK - Microsoft Corporation, US", "US"),
    "54.240.": (14618, "AMAZON-AES - Amazon.com, Inc., US", "US"),
}


def build_demo_reports(today: date, days: int = DAYS, seed: int = 20261) -> list[tuple[str, bytes]]:
    """Daily reports for READY and NOT_READY over the `days` days before `today`: (filename, bytes)."""
    rng = random.Random(seed)
    files = []
    for domain in (READY, NOT_READY):
        flows = _flows(domain)
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            begin = int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())
            for index, (org, email) in enumerate(REPORTERS):
                # Not every reporter reports every day, and each sees a different share of the mail.
                if rng.random() < 0.08:
                    continue
                share = (1.0, 0.6, 0.3, 0.1)[index]
                records = []
                for flow in flows:
                    if flow.since_days and back > flow.since_days:
                        continue
                    if flow.weekday is not None and day.weekday() != flow.weekday:
                        continue
                    if flow.spoofer:
                        ips = [
                            f"{rng.choice((185, 45, 103, 91))}.{rng.randrange(1, 255)}.{rng.randrange(256)}."
                            f"{rng.randrange(1, 255)}"
                            for _ in range(rng.randrange(1, 4))
                        ]
                    else:
                        ips = flow.ips
                    for ip in ips:
                        count = round(flow.per_day * share / len(ips) * rng.uniform(0.8, 1.2))
                        if count > 0:
                            records.append(
                                record_xml(
                                    ip=ip,
                                    count=count,
                                    dkim=flow.dkim_verdict,
                                    spf=flow.spf_verdict,
                                    header_from=domain,
                                    envelope_from=flow.spf[0],
                                    dkim_results=flow.dkim,
                                    spf_results=((flow.spf[0], "mfrom", flow.spf[1]),),
                                    reasons=[(t, escape(c)) for t, c in flow.reasons],
                                )
                            )
                if not records:
                    continue
                report_id = f"{domain}-{day.isoformat()}-{index}-{rng.randrange(10**9)}"
                xml = report_xml(
                    records,
                    org_name=escape(org),
                    email=email,
                    report_id=report_id,
                    domain=domain,
                    begin=begin,
                    end=begin + 86399,
                    pct=None,
                )
                name = f"{org.lower()}!{domain}!{begin}!{begin + 86399}"
                if index % 2 == 0:
                    files.append((f"{name}.xml.gz", gzip.compress(xml, mtime=0)))
                else:
                    files.append((f"{name}.xml", xml))
    return files


def _demo_key(bits: int, seed: str) -> str:
    """A well-formed RSA public key record value (SubjectPublicKeyInfo), deterministic per selector."""

    def tlv(tag, body):
        n = len(body)
        size = (n.bit_length() + 7) // 8
        return (
            bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x80 | size]) + n.to_bytes(size, "big")) + body
        )

    rng = random.Random(seed)
    modulus = (
        b"\x00" + bytes([0xC0 | rng.randrange(64)]) + bytes(rng.randrange(256) for _ in range(bits // 8 - 1))
    )
    rsa = tlv(0x30, tlv(0x02, modulus) + tlv(0x02, b"\x01\x00\x01"))
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return base64.b64encode(tlv(0x30, alg + tlv(0x03, b"\x00" + rsa))).decode()


def demo_dns() -> dict[tuple[str, str], list[str]]:
    """The TXT records the two demo domains publish, and those their SPF records include."""
    txt = {
        f"_dmarc.{READY}": [f"v=DMARC1; p=none; fo=1; rua=mailto:dmarc@{READY}"],
        READY: ["v=spf1 include:_spf.google.com include:sendgrid.net ~all", "google-site-verification=demo"],
        "_spf.google.com": ["v=spf1 include:_netblocks.google.com include:_netblocks2.google.com ~all"],
        "_netblocks.google.com": ["v=spf1 ip4:209.85.128.0/17 ip4:74.125.0.0/16 ~all"],
        "_netblocks2.google.com": ["v=spf1 ip6:2607:f8b0:4000::/36 ~all"],
        "sendgrid.net": ["v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all"],
        f"google._domainkey.{READY}": [f"v=DKIM1; k=rsa; p={_demo_key(2048, 'google')}"],
        f"s1._domainkey.{READY}": [f"k=rsa; t=s; p={_demo_key(2048, 's1')}"],
        f"k2._domainkey.{READY}": [f"v=DKIM1; k=rsa; p={_demo_key(2048, 'k2')}"],
        f"_dmarc.{NOT_READY}": [f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{NOT_READY}"],
        NOT_READY: ["v=spf1 include:spf.protection.outlook.com include:amazonses.com -all"],
        "spf.protection.outlook.com": [
            "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip6:2a01:111:f400::/48 -all"
        ],
        "amazonses.com": ["v=spf1 ip4:54.240.0.0/18 ip4:23.249.208.0/20 -all"],
        f"selector1._domainkey.{NOT_READY}": [f"v=DKIM1; k=rsa; p={_demo_key(2048, 'selector1')}"],
        f"20240210pm._domainkey.{NOT_READY}": [f"k=rsa; p={_demo_key(1024, 'pm')}"],
    }
    return {(name, "TXT"): texts for name, texts in txt.items()}


DEMO_ORIGIN = "demo/"  # how `manage.py demo` names the reports it imports
