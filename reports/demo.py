"""Realistic demo reports, built in code so the product needs no sample files.

A few weeks of daily reports from several reporters for example domains, with
well-known senders (aligned and not), a mailing-list forwarder and a spoofer.
The reports travel in the containers real ones use (plain XML, gzip, zip and
email) and go through the same ingestion path as everything else.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from xml.sax.saxutils import escape

REPORTERS = [
    ("google.com", "noreply-dmarc-support@google.com", "gzip"),
    ("Outlook.com", "dmarcreport@microsoft.com", "zip"),
    ("Yahoo", "dmarchelp@yahooinc.com", "email"),
    ("Mail.Ru", "dmarc_support@corp.mail.ru", "xml"),
]


@dataclass
class Sender:
    ips: list[str]
    volume: int  # messages per day, before noise
    header_from: str
    dkim: list[tuple[str, str, str]]  # (domain, selector, result)
    spf: tuple[str, str]  # (MAIL FROM domain, result)
    dkim_verdict: str
    spf_verdict: str
    disposition: str = "none"
    reasons: tuple[tuple[str, str], ...] = ()
    since_days: int = 0  # only in the last N days (0 = always)


def senders_for(domain: str) -> list[Sender]:
    return [
        # Google Workspace: DKIM and SPF aligned.
        Sender(["209.85.220.41", "209.85.220.69", "2607:f8b0:4864:20::c2f"], 900, domain,
               [(domain, "google", "pass")], (domain, "pass"), "pass", "pass"),
        # SendGrid with a branded link: DKIM aligned, SPF on sendgrid.net.
        Sender(["167.89.14.2", "167.89.118.33"], 400, domain,
               [(domain, "s1", "pass"), ("sendgrid.info", "smtpapi", "pass")], ("sendgrid.net", "pass"),
               "pass", "fail"),
        # Amazon SES without a custom MAIL FROM or Easy DKIM: authenticates, does not align.
        Sender(["54.240.8.21", "54.240.8.97"], 150, domain,
               [("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", "pass")], ("amazonses.com", "pass"),
               "fail", "fail"),
        # A mailing list re-sending members' mail: breaks SPF, keeps ARC.
        Sender(["23.83.209.10"], 20, domain,
               [("lists.example.net", "list", "pass"), (domain, "google", "fail")],
               ("lists.example.net", "pass"), "fail", "fail", "none", (("local_policy", "arc=pass"),)),
        # A spoofer from scattered addresses.
        Sender(["185.220.101.4", "45.95.147.12", "103.151.125.9", "2a0e:97c0:3e0:4f2::1"], 12, domain,
               [], ("spoof.invalid", "fail"), "fail", "fail", "none"),
        # A new CRM sender that started last week, already aligned.
        Sender(["198.2.180.17"], 60, domain, [(domain, "k1", "pass")], (f"mail.{domain}", "pass"),
               "pass", "pass", since_days=7),
    ]  # fmt: skip


def report_xml(org, email, report_id, domain, begin, end, policy, rows) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feedback>\n  <version>1.0</version>\n',
        f"  <report_metadata>\n    <org_name>{escape(org)}</org_name>\n    <email>{escape(email)}</email>\n",
        f"    <report_id>{escape(report_id)}</report_id>\n",
        f"    <date_range><begin>{begin}</begin><end>{end}</end></date_range>\n  </report_metadata>\n",
        f"  <policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf>"
        f"<p>{policy}</p><sp>{policy}</sp><pct>100</pct></policy_published>\n",
    ]
    for ip, count, s in rows:
        reasons = "".join(
            f"<reason><type>{t}</type><comment>{escape(c)}</comment></reason>" for t, c in s.reasons
        )
        dkim = "".join(
            f"<dkim><domain>{d}</domain><selector>{sel}</selector><result>{r}</result></dkim>"
            for d, sel, r in s.dkim
        )
        out.append(
            f"  <record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
            f"<disposition>{s.disposition}</disposition><dkim>{s.dkim_verdict}</dkim><spf>{s.spf_verdict}</spf>"
            f"{reasons}</policy_evaluated></row><identifiers><envelope_from>{s.spf[0]}</envelope_from>"
            f"<header_from>{s.header_from}</header_from></identifiers><auth_results>{dkim}"
            f"<spf><domain>{s.spf[0]}</domain><scope>mfrom</scope><result>{s.spf[1]}</result></spf>"
            f"</auth_results></record>\n"
        )
    out.append("</feedback>\n")
    return "".join(out).encode()


def wrap(container: str, filename: str, xml: bytes, org: str, domain: str) -> tuple[str, bytes]:
    """Package a report the way its reporter mails it."""
    if container == "gzip":
        return filename + ".xml.gz", gzip.compress(xml, mtime=0)
    if container == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(filename + ".xml", xml)
        return filename + ".zip", buf.getvalue()
    if container == "email":
        msg = EmailMessage()
        msg["From"] = f"{org} DMARC <noreply@{org.lower().replace(' ', '')}.example>"
        msg["To"] = f"dmarc@{domain}"
        msg["Subject"] = f"Report Domain: {domain} Submitter: {org} Report-ID: {filename}"
        msg.set_content("This is an aggregate report from " + org)
        msg.add_attachment(
            gzip.compress(xml, mtime=0), maintype="application", subtype="gzip", filename=filename + ".xml.gz"
        )
        return filename + ".eml", bytes(msg)
    return filename + ".xml", xml


def build_reports(today: date, domains=("example.com", "shop.example"), days=42, seed=7):
    """(filename, bytes) pairs for `days` days up to yesterday, one report per reporter and day."""
    rng = random.Random(seed)
    files = []
    for domain in domains:
        policy = "none"
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            begin = int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())
            for r_index, (org, email, container) in enumerate(REPORTERS):
                rows = []
                for s in senders_for(domain):
                    if s.since_days and back > s.since_days:
                        continue
                    # Each reporter sees its share of the traffic, with day-to-day noise.
                    share = s.volume * (0.55, 0.25, 0.15, 0.05)[r_index]
                    for ip in s.ips:
                        count = int(rng.gauss(share / len(s.ips), share / len(s.ips) / 4))
                        if count > 0:
                            rows.append((ip, count, s))
                if not rows:
                    continue
                report_id = f"{domain}-{day.isoformat()}-{r_index}-{rng.randrange(10**9)}"
                xml = report_xml(org, email, report_id, domain, begin, begin + 86399, policy, rows)
                name = f"{org.lower()}!{domain}!{begin}!{begin + 86399}"
                files.append(wrap(container, name, xml, org, domain))
    return files
