"""Checking the DKIM signatures of an email with dkimpy, keys looked up through
the resolver DMARC_DNS_NAMESERVERS sets (reports.shared.dns.resolver).

A missing key (NXDOMAIN, no TXT record) fails the signature, as RFC 6376
§6.1.2 says; a DNS server that does not answer raises VerificationDeferred,
so that the message is tried again later instead of being called a forgery.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32

import dkim
import dns.exception
import dns.resolver

from reports.ingest.errors import VerificationDeferred
from reports.ingest.reporter import Signature, SignedMessage, address_domain
from reports.shared.dns import resolver
from reports.shared.names import domain_name

MAX_SIGNATURES = 5  # a hostile message must not make us look up keys by the hundred


class _Notes:
    """A logger for dkimpy that keeps its last complaint ("missing public key: ...", "body hash
    mismatch"): the reason a signature failed, for the report's warning, not for the log."""

    last = ""

    def isEnabledFor(self, level) -> bool:  # noqa: N802 - the logging.Logger API
        return False

    def debug(self, *args, **kwargs) -> None:
        pass

    info = debug

    def warning(self, message, *args, **kwargs) -> None:
        self.last = (str(message) % args if args else str(message))[:200]

    error = warning


def check(raw: bytes) -> SignedMessage:
    res = resolver()

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            answer = res.resolve(name.decode("ascii", "replace"), "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException as e:
            raise VerificationDeferred(f"DNS lookup of {name.decode('ascii', 'replace')} failed: {e}") from e
        return b"".join(b"".join(rr.strings) for rr in answer)

    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    from_domain = address_domain(str(headers.get("From", "")))
    count = len(headers.get_all("DKIM-Signature", []))
    signatures = []
    for idx in range(min(count, MAX_SIGNATURES)):
        notes = _Notes()
        d = dkim.DKIM(raw, logger=notes, minkey=1024)
        try:
            valid = bool(d.verify(idx=idx, dnsfunc=txt))
            problem = "" if valid else notes.last or "the signature does not match the message"
        except dkim.DKIMException as e:
            valid, problem = False, str(e)[:200]
        signer = domain_name((d.domain or b"").decode("ascii", "replace")) or ""
        signatures.append(Signature(signer, valid, problem))
    return SignedMessage(from_domain, signatures)
