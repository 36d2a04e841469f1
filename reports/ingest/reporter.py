"""Whether a report comes from the reporter it names: the rules, over plain data.

Anyone can mail a rua address a report. A report is verified when the email
that carried it has a valid DKIM signature whose d= aligns (relaxed, Public
Suffix List) with both the message's From domain and the domain of the
report's own <email>: Google signs its report mail as google.com, from
noreply-dmarc-support@google.com, and its reports name that address.
reports.ingest.signatures checks the signatures; this module decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import getaddresses

from reports.shared.names import domain_name, domains_align


@dataclass(frozen=True)
class Signature:
    domain: str  # d=, in DNS form
    valid: bool
    problem: str = ""  # why it did not verify


@dataclass(frozen=True)
class SignedMessage:
    """What one email's DKIM signatures say, before any report in it is read."""

    from_domain: str
    signatures: list[Signature] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    verified: bool | None  # None: the report did not come in an email
    signing_domain: str = ""  # the d= that verified it, or the first one seen
    reason: str = ""  # why it is not verified


UNSIGNED_FILE = Verdict(None)


def address_domain(text: str) -> str:
    """The domain of the one address in a From header or a report's <email>, or ""."""
    addresses = [a for _, a in getaddresses([text or ""]) if "@" in a]
    if len(addresses) != 1:
        return ""
    return domain_name(addresses[0].rpartition("@")[2]) or ""


def decide(message: SignedMessage | None, report_email: str) -> Verdict:
    if message is None:
        return UNSIGNED_FILE
    if not message.signatures:
        return Verdict(False, "", "the email carries no DKIM signature")
    email_domain = address_domain(report_email)
    valid = [s for s in message.signatures if s.valid]
    for s in valid:
        if domains_align(s.domain, message.from_domain, "r") and domains_align(s.domain, email_domain, "r"):
            return Verdict(True, s.domain)
    if not valid:
        first = message.signatures[0]
        return Verdict(
            False, first.domain, f"the DKIM signature of {first.domain} does not verify ({first.problem})"
        )
    signer = valid[0].domain
    return Verdict(
        False,
        signer,
        f"the email is signed by {signer}, which does not align with its From domain "
        f"({message.from_domain or 'none'}) and the report's email domain ({email_domain or 'none'})",
    )
