"""The TXT records around inbound mail: _mta-sts (RFC 8461), _smtp._tls (RFC 8460), BIMI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


@dataclass
class Record:
    text: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return bool(self.text) and not self.problems


def _tags(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def pick(texts: list[str], version: str) -> tuple[str, list[str]]:
    """The one TXT string that starts with the version tag, and the problems in finding it."""
    found = [t for t in texts if t.replace(" ", "").lower().startswith(f"v={version.lower()}")]
    if not found:
        return "", [f"no TXT record starting with v={version}"]
    if len(found) > 1:
        return found[0], [f"{len(found)} TXT records start with v={version}: senders ignore them all"]
    return found[0], []


def mta_sts(texts: list[str]) -> Record:
    text, problems = pick(texts, "STSv1")
    record = Record(text, _tags(text), problems)
    if text and not _ID.match(record.tags.get("id", "")):
        record.problems.append("id= must be 1 to 32 letters and digits, changed whenever the policy changes")
    return record


def tls_rpt(texts: list[str]) -> Record:
    text, problems = pick(texts, "TLSRPTv1")
    record = Record(text, _tags(text), problems)
    if text:
        rua = [u.strip() for u in record.tags.get("rua", "").split(",") if u.strip()]
        if not rua:
            record.problems.append("rua= is missing: reporters have nowhere to send reports")
        for uri in rua:
            if not uri.lower().startswith(("mailto:", "https://")):
                record.problems.append(f"rua {uri!r} is neither mailto: nor https://")
    return record


def bimi(texts: list[str], dmarc_policy: str, dmarc_pct: int | None, testing: bool) -> Record:
    """BIMI is honoured only once DMARC enforces on all mail: quarantine or reject, pct=100, no t=y."""
    text, problems = pick(texts, "BIMI1")
    record = Record(text, _tags(text), problems)
    if text:
        logo = record.tags.get("l", "")
        if logo and not logo.lower().startswith("https://"):
            record.problems.append("l= must be an https:// address of an SVG logo")
        if not logo and not record.tags.get("a"):
            record.problems.append("neither l= (logo) nor a= (certificate) is given")
    if dmarc_policy not in ("quarantine", "reject"):
        record.problems.append(
            f"DMARC is at p={dmarc_policy or 'none'}: mailbox providers show BIMI logos only at"
            " quarantine or reject"
        )
    elif (dmarc_pct is not None and dmarc_pct < 100) or testing:
        record.problems.append(
            "DMARC enforcement is partial (pct below 100 or t=y): BIMI needs full enforcement"
        )
    return record


def new_id(now_epoch: int) -> str:
    """A fresh id= for the _mta-sts TXT: the time, which only grows."""
    return str(now_epoch)
