"""Demo data: the rollout scenarios' reports, packaged the way reporters mail them.

reports.demo.scenarios builds a few weeks of reports for two example domains
(several reporters, well-known senders, forwarders and spoofers). Here some
of them are put in a zip or an email, so that the demo goes through every
container the unpacker handles, by the same ingestion path as real reports.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from email.message import EmailMessage


def package(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Every third plain XML report goes in a zip, every third in an email."""
    out = []
    for i, (name, data) in enumerate(files):
        if not name.endswith(".xml"):
            out.append((name, data))
        elif i % 3 == 1:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(name, data)
            out.append((name + ".zip", buf.getvalue()))
        elif i % 3 == 2:
            reporter, domain = name.split("!")[:2]
            msg = EmailMessage()
            msg["From"] = f"DMARC reports <noreply@{reporter}>"
            msg["To"] = f"dmarc@{domain}"
            msg["Subject"] = f"Report Domain: {domain} Submitter: {reporter}"
            msg.set_content(f"This is a DMARC aggregate report from {reporter}.")
            msg.add_attachment(gzip.compress(data, mtime=0), "application", "gzip", filename=name + ".gz")
            out.append((name + ".eml", bytes(msg)))
        else:
            out.append((name, data))
    return out
