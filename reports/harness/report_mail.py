"""Real report emails, built with the stdlib email package, the way reporters send them."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from reports.demo.report_xml import record_xml, report_xml


def small_report(n: int, *, org="reporter.example", domain="example.com", records=1) -> bytes:
    """A small valid report, distinct for each n."""
    rows = [record_xml(ip=f"192.0.2.{(n + i) % 250 + 1}", count=1 + (n + i) % 7) for i in range(records)]
    begin = 1700000000 + n * 86400
    return report_xml(rows, org_name=org, report_id=f"rid-{n}", domain=domain, begin=begin, end=begin + 86399)


def report_email(
    xml: bytes,
    kind: str = "gzip",
    *,
    report_id: str = "r",
    domain: str = "example.com",
    org: str = "reporter.example",
    message_id: str | None = None,
    forwarded: bool = False,
) -> bytes:
    """An aggregate report email: the XML attached as gzip, zip or plain xml.
    forwarded=True wraps it, as an operator forwarding it by hand would."""
    name = f"{org}!{domain}!1700000000!1700086399"
    subject = f"Report Domain: {domain} Submitter: {org} Report-ID: <{report_id}>"
    msg = _envelope(subject, f"noreply@{org}", message_id)
    msg.set_content(f"This is an aggregate report from {org}.")
    if kind == "gzip":
        msg.add_attachment(
            gzip.compress(xml), maintype="application", subtype="gzip", filename=f"{name}.xml.gz"
        )
    elif kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{name}.xml", xml)
        msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=f"{name}.zip")
    elif kind == "xml":
        msg.add_attachment(xml, maintype="text", subtype="xml", filename=f"{name}.xml")
    else:
        raise ValueError(kind)
    if not forwarded:
        return msg.as_bytes()
    fwd = _envelope(f"Fwd: {msg['Subject']}", "postmaster@example.com", None)
    fwd.set_content("Forwarding this report by hand.")
    fwd.add_attachment(msg)
    return fwd.as_bytes()


def plain_email(text: str = "Hello, is this the right address?", *, message_id: str | None = None) -> bytes:
    """Mail that lands in a reports mailbox but holds no report."""
    msg = _envelope("A question", "someone@example.org", message_id)
    msg.set_content(text)
    return msg.as_bytes()


def broken_gzip_email(*, message_id: str | None = None) -> bytes:
    """A report attachment cut short in transfer."""
    msg = _envelope(
        "Report Domain: example.com Submitter: broken.example", "noreply@broken.example", message_id
    )
    msg.set_content("Report attached.")
    data = gzip.compress(small_report(999_999))[:40]
    msg.add_attachment(data, maintype="application", subtype="gzip", filename="broken.xml.gz")
    return msg.as_bytes()


def invalid_report_email(*, message_id: str | None = None) -> bytes:
    """A well-formed attachment whose report lacks its report_id: rejected."""
    xml = report_xml(report_id="").replace(b"<report_id></report_id>", b"")
    return report_email(xml, "xml", report_id="none", org="noid.example", message_id=message_id)


def _envelope(subject: str, sender: str, message_id: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2023, 11, 15, 12, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    return msg
