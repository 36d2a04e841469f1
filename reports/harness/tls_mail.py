"""SMTP TLS report mail as reporters send it (RFC 8460 section 5.3): multipart/report; report-type=tlsrpt."""

from __future__ import annotations

import gzip
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def tls_report_email(
    report_json: bytes,
    *,
    domain: str = "example.com",
    submitter: str = "reporter.example",
    report_id: str = "r",
    sender: str | None = None,
    compressed: bool = True,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or f"tlsrpt-noreply@{submitter}"
    msg["To"] = f"tlsrpt@{domain}"
    msg["Subject"] = f"Report Domain: {domain} Submitter: {submitter} Report-ID: <{report_id}>"
    msg["Date"] = formatdate(1700000000)
    msg["Message-ID"] = message_id or make_msgid(domain=submitter)
    msg["TLS-Report-Domain"] = domain
    msg["TLS-Report-Submitter"] = submitter
    msg.set_content(f"This is an aggregate TLS report from {submitter}.")
    if compressed:
        msg.add_attachment(
            gzip.compress(report_json),
            maintype="application",
            subtype="tlsrpt+gzip",
            filename=f"{submitter}!{domain}!1700000000!1700086399!{report_id}.json.gz",
        )
    else:
        msg.add_attachment(
            report_json,
            maintype="application",
            subtype="tlsrpt+json",
            filename=f"{submitter}!{domain}!1700000000!1700086399!{report_id}.json",
        )
    # RFC 8460: the top part is multipart/report with report-type=tlsrpt.
    msg.replace_header("Content-Type", msg["Content-Type"].replace("multipart/mixed", "multipart/report"))
    msg.set_param("report-type", "tlsrpt")
    return msg.as_bytes()
