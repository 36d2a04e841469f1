"""An SMTP TLS report found in an input: parsed, checked like a DMARC report, stored once.

The same rules as for DMARC reports (reports.ingest.pipeline): a report whose policy domains are
none of the monitored ones is "foreign" and not stored; policies for other domains in a report that
has some of ours are dropped with a warning; the uploader's role is checked per domain; report mail
is DKIM-checked, the report's contact-info (or, without an address there, the mail's
TLS-Report-Submitter) standing for a DMARC report's <email>.
"""

from __future__ import annotations

import logging
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings

from reports.ingest.errors import LimitExceeded
from reports.ingest.keep import count_foreign, keep_rejection
from reports.ingest.outcome import Outcome
from reports.ingest.unpack import Document
from reports.shared.names import domain_name, is_within
from reports.tlsrpt import parser as tls_parser
from reports.tlsrpt.store import store

log = logging.getLogger(__name__)


def ingest_tls(doc: Document, ctx) -> Outcome:
    name = f"{ctx.origin}/{doc.member}" if doc.member else ctx.origin
    limit = settings.DMARC_TLSRPT_MAX_BYTES

    def failed(status: str, error: str, domain: str = "") -> Outcome:
        log.info("%s: %s: %s", name, status, error)
        return Outcome(ctx.origin, doc.member, status, error=error, domain=domain, kind="tlsrpt")

    try:
        with doc.open() as stream:
            data = stream.read(limit + 1)
        report = tls_parser.parse(data, limit)
    except (LimitExceeded, tls_parser.TlsReportError) as e:
        status = "not-dmarc" if isinstance(e, tls_parser.NotTlsReport) else "rejected"
        outcome = failed(status, str(e))
        if ctx.keep_rejected:
            keep_rejection(outcome, doc.data)
        return outcome
    except Exception as e:  # noqa: BLE001 - a damaged gzip raises zlib errors: one bad part never stops the others
        return failed("rejected", f"the TLS report cannot be read ({type(e).__name__})")
    if ctx.monitored:
        ours = [p for p in report.policies if any(is_within(p.policy_domain, m) for m in ctx.monitored)]
        if not ours:
            domain = report.domains[0]
            count_foreign(domain)
            return failed(
                "foreign",
                f"{domain} is not a monitored domain (see Domains in /admin/ or DMARC_DOMAINS):"
                " the TLS report was not stored",
                domain,
            )
        for dropped in sorted({p.policy_domain for p in report.policies} - {p.policy_domain for p in ours}):
            report.warnings.append(f"the policy for {dropped}, not a monitored domain, was not stored")
        report.policies = ours
    if ctx.refusal is not None:
        for domain in report.domains:
            if why := ctx.refusal(domain):
                return failed("not-allowed", why, domain)
    verdict = ctx.verdict(doc, _reporter_address(report.contact, doc.envelope))
    if verdict.reason:
        report.warnings.append(f"The reporter is not verified: {verdict.reason}")
    stored = store(
        report,
        original=doc.data,
        gzipped=doc.gzipped,
        name=name,
        origin=ctx.origin,
        verified=verdict.verified,
        signing_domain=verdict.signing_domain,
        trusted=ctx.trusted or verdict.verified is True,
    )
    return Outcome(
        ctx.origin,
        doc.member,
        "imported" if stored.created else "duplicate",
        org_name=report.org_name,
        report_id=report.report_id,
        domain=report.domains[0],
        warnings=report.warnings,
        report_pk=stored.report_pk,
        reporter_verified=verdict.verified,
        days=(report.day,),
        kind="tlsrpt",
        domains=report.domains,
        successful_sessions=report.successful_sessions,
        failed_sessions=report.failed_sessions,
    )


def _reporter_address(contact: str, envelope: bytes | None) -> str:
    """The address whose domain the DKIM signer must align with."""
    if "@" in contact:
        return contact.removeprefix("mailto:")
    if envelope:
        headers = BytesHeaderParser(policy=compat32).parsebytes(envelope[:65536])
        submitter = domain_name(str(headers.get("TLS-Report-Submitter", "")).strip())
        if submitter:
            return f"tlsrpt@{submitter}"
    return ""
