"""Naming part: the share of messages the product attributes to a named service, from the report's data
alone (DNS unavailable: DKIM d= and MAIL FROM domains only) and with the DNS (the source's reverse DNS
name and network too), on a realistic mix of mail sent by 40 mainstream services.

Each profile is what a DMARC report shows of one service's mail: the DKIM d= and MAIL FROM domains it
uses by default (the customer has not set up DKIM or a custom return path for the service), those it
uses once the customer has (most then show only the customer's own domain; a few keep their own bounce
domain), and what the DNS says of its sending addresses (PTR name, AS number). Volumes follow a Pareto
spread across the services; `AUTHENTICATED` of each service's mail comes from customers who set it up.

Two mixes are measured:
- defaults: every service on its default domains (the issue's "36 mainstream services sending with
  their default DKIM and bounce domains and no reverse DNS"); target: 90% of messages named from the
  report alone;
- realistic: AUTHENTICATED of the mail from customers who set up DKIM for their domain, where only the
  DNS (or a bounce domain the service keeps) can name it. Reported, no target.

Naming goes through reports.sources.services.identify, as the readiness assessment calls it.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90
AUTHENTICATED = 0.5
SEED = 27
CUSTOMER = "customer.example"

# id, default DKIM d=, default MAIL FROM, MAIL FROM once authenticated ("" = the customer's), PTR, AS
PROFILES = [
    (
        "google-workspace",
        "customer-example.20230601.gappssmtp.com",
        CUSTOMER,
        "",
        "mail-sor-f41.google.com",
        15169,
    ),
    (
        "microsoft-365",
        "customerexample.onmicrosoft.com",
        CUSTOMER,
        "",
        "mail-db8eur05on2041.outbound.protection.outlook.com",
        8075,
    ),
    ("amazon-ses", "amazonses.com", "us-east-1.amazonses.com", "", "a8-21.smtp-out.amazonses.com", 16509),
    ("sendgrid", "sendgrid.info", "sendgrid.net", "", "o1.ptr4567.sendgrid.net", 11377),
    (
        "mailchimp",
        "mcsv.net",
        "mail155.atl61.mcdlv.net",
        "mail155.atl61.mcdlv.net",
        "mail155.atl61.mcdlv.net",
        0,
    ),
    ("mandrill", "mandrillapp.com", "mandrillapp.com", "", "mail132-5.atl131.mandrillapp.com", 0),
    ("mailgun", "mailgun.org", "mailgun.org", "", "m228-4.mailgun.net", 0),
    ("postmark", "pm.mtasv.net", "pm.mtasv.net", "", "mta201a-ord.mtasv.net", 0),
    ("sparkpost", "sparkpostmail.com", "sparkpostmail.com", "", "mta-248-ord.sparkpostmail.com", 0),
    ("brevo", "sendinblue.com", "brevosend.com", "", "smtp-relay.sendinblue.com", 0),
    ("mailjet", "mailjet.com", "bnc3.mailjet.com", "", "o184.p8.mailjet.com", 0),
    (
        "constant-contact",
        "auth.ccsend.com",
        "in.constantcontact.com",
        "in.constantcontact.com",
        "ccm27.constantcontact.com",
        0,
    ),
    ("campaign-monitor", "createsend.com", "cmail20.com", "", "mail20.cmail20.com", 0),
    ("klaviyo", "klaviyomail.com", "send.klaviyomail.com", "", "ip-a.klaviyomail.com", 0),
    ("hubspot", "hubspotemail.net", "bf.hubspotemail.net", "", "mail.bf.hubspotemail.net", 0),
    (
        "salesforce",
        "salesforce.com",
        "bnc.salesforce.com",
        "bnc.salesforce.com",
        "smtp13-ia4-sp3.mta.salesforce.com",
        14340,
    ),
    (
        "salesforce-marketing-cloud",
        "exacttarget.com",
        "bounce.exacttarget.com",
        "",
        "mta.e.exacttarget.com",
        22606,
    ),
    ("pardot", "pardot.com", "pd25.com", "", "mta.pd25.com", 0),
    ("marketo", "mktomail.com", "mktomail.com", "", "mail123.mktomail.com", 0),
    ("zendesk", "zendesk.com", "zendesk.com", "", "out.zdsys.com", 0),
    ("freshworks", "freshdesk.com", "freshemail.io", "", "mail.freshemail.io", 0),
    ("intercom", "intercom-mail.com", "intercom-mail.com", "", "a27-12.smtp-out.intercom-mail.com", 0),
    ("help-scout", "helpscout.net", "helpscout.net", "", "mail.helpscout.net", 0),
    ("activecampaign", "acems1.com", "emsend1.com", "emsend1.com", "s1.acems1.com", 0),
    ("customer-io", "customeriomail.com", "customeriomail.com", "", "out.customeriomail.com", 0),
    ("aweber", "aweber.com", "send.aweber.com", "send.aweber.com", "mail.send.aweber.com", 0),
    ("getresponse", "gr-mail.com", "gr-mail.com", "", "mx1.gr-mail.com", 0),
    ("kit", "ckespa.com", "ckespa.com", "", "o1.ckespa.com", 0),
    ("zoho-zeptomail", "zeptomail.com", "zeptomail.com", "", "sender4.zeptomail.com", 2639),
    ("mailerlite", "mlsend.com", "mlsend.com", "", "mx.mlsend.com", 0),
    ("mailersend", "mlsender.net", "mailersend.net", "", "mta.mailersend.net", 0),
    ("elastic-email", "elasticemail.com", "elasticemail.com", "", "mail.elasticemail.com", 0),
    ("smtp2go", "smtpservice.net", "smtpservice.net", "", "e2i123.smtp2go.com", 0),
    ("socketlabs", "email-od.com", "email-od.com", "", "m12-34.email-od.com", 0),
    ("shopify", "shopifyemail.com", "shopifyemail.com", "shopifyemail.com", "mail.shopifyemail.com", 0),
    ("docusign", "docusign.net", "docusign.net", "docusign.net", "mail.docusign.net", 0),
    ("zoho-mail", "zoho.com", CUSTOMER, "", "sender4-op-o12.zoho.com", 2639),
    ("fastmail", "messagingengine.com", CUSTOMER, "", "out2-smtp.messagingengine.com", 0),
    ("mailchannels", "mailchannels.net", "mailchannels.net", "", "relay.mailchannels.net", 0),
    ("yahoo", "yahoo.com", "yahoo.com", "", "sonic301-21.consmr.mail.gq1.yahoo.com", 36646),
]


def mixes() -> dict[str, list[tuple[str, object, int]]]:
    """{mix: [(expected id, Signals without DNS, Signals with DNS, messages)]}."""
    from reports.sources.services import Signals

    rng = random.Random(SEED)
    out = {"defaults": [], "realistic": []}
    for i, (sid, dkim, mail_from, kept, ptr, asn) in enumerate(PROFILES):
        volume = int(100_000 / (i + 1) ** 0.9) + rng.randrange(100)  # a Pareto-like spread
        default = (sid, Signals("", [dkim], [mail_from]), Signals(ptr, [dkim], [mail_from], asn or None))
        out["defaults"].append((*default, volume))
        authenticated = int(volume * AUTHENTICATED)
        out["realistic"].append((*default, volume - authenticated))
        own = [CUSTOMER]
        bounce = [kept or f"bounce.{CUSTOMER}"]
        out["realistic"].append(
            (sid, Signals("", own, bounce), Signals(ptr, own, bounce, asn or None), authenticated)
        )
    return out


def measure() -> dict:
    from reports.sources.services import identify

    figures, misses = {}, {}
    for mix, rows in mixes().items():
        total = sum(n for *_, n in rows)
        for label, index in (("report data alone", 1), ("with DNS", 2)):
            named = right = 0
            for row in rows:
                found = identify(row[index], CUSTOMER)
                if found.sender:
                    named += row[3]
                    right += row[3] if found.sender.id == row[0] else 0
                elif index == 1 and mix == "defaults":
                    misses[row[0]] = row[3]
            figures[f"{mix}: share named, {label}"] = round(named / total, 4)
            figures[f"{mix}: share named right, {label}"] = round(right / total, 4)
        figures[f"{mix}: messages"] = total
    figures["services"] = len(PROFILES)
    # Naming runs for every group of an assessment: its rate, with the catalogue's maps built once.
    signals = [row[2] for rows in mixes().values() for row in rows]
    calls = 0
    start = time.process_time()
    while calls < 100_000:
        for sig in signals:
            identify(sig, CUSTOMER)
        calls += len(signals)
    figures["identify() calls per CPU second"] = round(calls / (time.process_time() - start))
    figures["defaults: unnamed from report data alone"] = misses
    return figures


def run() -> dict:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmarcapp.settings_test")
    import django

    django.setup()
    figures = measure()
    value = figures["defaults: share named right, report data alone"]
    return {
        "targets": [
            {
                "name": "messages named right from report data alone",
                "value": round(100 * value, 1),
                "unit": "%",
                "target": f">= {TARGET:.0%}",
                "passed": value >= TARGET,
                "note": f"{len(PROFILES)} mainstream services on their default domains, no DNS",
            }
        ],
        "figures": figures,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
