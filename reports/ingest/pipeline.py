"""From raw bytes (a file, an upload, an email) to stored reports.

Every entry point — import_reports, the upload form, the IMAP workers,
reprocess — comes through ingest_bytes(), so they all unpack, parse and store
the same way. One outcome per report found, or per part that yielded none;
one bad part never stops the others.

Report problems become outcomes with status "rejected" or "not-dmarc" and a
Rejection row that keeps the bytes (once per SHA-256). A report for a domain
that is not monitored becomes a "foreign" outcome, counted per domain and not
stored; one for a domain the uploader may not store reports for (no operator
role) becomes "not-allowed", not stored either. Database errors are not report
problems: they propagate, so that a caller can retry later instead of losing
the input; so does a DNS failure while a reporter's signature is checked, when
the caller asks for it (IMAP).
"""

from __future__ import annotations

import gzip
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg.errors
from django.conf import settings
from django.db import DataError, OperationalError, transaction

from reports.domains import actions as domains
from reports.ingest.errors import Foreign, NotAllowed, NotDmarc, ReportError, VerificationDeferred
from reports.ingest.keep import count_foreign, drop_old_rejected_bytes, keep_rejection
from reports.ingest.outcome import Outcome
from reports.ingest.parser import BrokenXml, parse
from reports.ingest.reporter import UNSIGNED_FILE, SignedMessage, Verdict, decide
from reports.ingest.store import store_report
from reports.ingest.tls import ingest_tls
from reports.ingest.unpack import Document, Failure, Limits, unpack
from reports.shared import events
from reports.shared.names import is_within
from reports.shared.text import first_line

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What every document of one input shares."""

    origin: str
    keep_rejected: bool = True
    monitored: list[str] = field(default_factory=list)  # empty: every domain is accepted
    trusted: bool = False  # uploaded by a signed-in user
    defer_on_dns_failure: bool = False
    vouched: Verdict | None = None  # reprocess: the verdict the stored report already has
    verify: bool = True  # False for uploads: no DNS inside a page request, and the user vouches
    signed: dict[bytes, SignedMessage] = field(default_factory=dict)
    # An upload's: why the uploader may not store a report of this policy domain, or None.
    refusal: Callable[[str], str | None] | None = None

    def verdict(self, doc: Document, report_email: str) -> Verdict:
        if self.vouched is not None:
            return self.vouched
        if not doc.envelope or not self.verify:
            return UNSIGNED_FILE
        message = self.signed.get(doc.envelope)
        if message is None:
            # Only mail carries signatures: files never load dkimpy.
            from reports.ingest import signatures

            try:
                message = signatures.check(doc.envelope)
            except VerificationDeferred as e:
                if self.defer_on_dns_failure:
                    raise
                # A file has no later: it stays unverified, and says why, rather than forged.
                return Verdict(None, "", f"its DKIM signature could not be checked ({e})")
            self.signed[doc.envelope] = message
        return decide(message, report_email)


def ingest_bytes(
    data: bytes,
    origin: str,
    *,
    keep_rejected: bool = True,
    limits: Limits | None = None,
    trusted: bool = False,
    defer_on_dns_failure: bool = False,
    vouched: Verdict | None = None,
    progress=None,
    refusal: Callable[[str], str | None] | None = None,
    announce: bool = True,
):
    """Every report in `data`, stored. `trusted`: uploaded by a signed-in user, who vouches for
    it (its emails' signatures are not checked: no DNS inside a page request);
    `defer_on_dns_failure`: raise VerificationDeferred when a DKIM key lookup fails; `progress`,
    if given, is called with each outcome as soon as it is known; `refusal(policy_domain)` says why
    a report may not be stored (the uploader lacks the role on its domain), or None; `announce`: send
    reports_changed once the reports are committed (import_reports sends it once for all its files
    instead)."""
    started = time.monotonic()
    limits = limits or Limits.from_settings()
    ctx = Context(
        origin, keep_rejected, domains.monitored(), trusted, defer_on_dns_failure, vouched, verify=not trusted
    )
    ctx.refusal = refusal
    cap = settings.DMARC_MAX_REPORTS_PER_INPUT
    outcomes = []
    parts = unpack(data, limits)
    for part in parts:
        if len(outcomes) == cap:
            parts.close()
            outcome = Outcome(
                origin,
                None,
                "rejected",
                error=f"the input holds more than {cap} reports and parts (DMARC_MAX_REPORTS_PER_INPUT):"
                f" the first {cap} were read, the rest was not",
            )
            if keep_rejected:
                keep_rejection(outcome, data)
            outcomes.append(outcome)
            break
        if isinstance(part, Failure):
            outcome = Outcome(origin, part.member, part.status, error=part.error)
            if keep_rejected:
                keep_rejection(outcome, part.data)
        else:
            outcome = ingest_document(part, ctx)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    if keep_rejected and any(o.status in ("rejected", "not-dmarc") for o in outcomes):
        drop_old_rejected_bytes()
    if announce:
        announce_imported(outcomes)
    statuses = Counter(o.status for o in outcomes)
    messages = sum(o.messages for o in outcomes if o.status == "imported")
    events.send_input_ingested(__name__, origin, statuses, messages, time.monotonic() - started)
    return outcomes


def announce_imported(outcomes) -> None:
    """Tell the packages that keep figures of reports (readiness, rankings, alerts) what was imported."""
    imported = [o for o in outcomes if o.status == "imported" and o.kind == "dmarc"]
    tls = [o for o in outcomes if o.status == "imported" and o.kind == "tlsrpt"]
    if tls:
        events.send_tls_reports_changed(__name__, {d for o in tls for d in o.domains})
    if imported:
        events.send_reports_changed(
            __name__, (o.domain for o in imported), (d for o in imported for d in o.days)
        )


def ingest_document(doc: Document, ctx: Context) -> Outcome:
    if doc.kind == "tlsrpt":
        return ingest_tls(doc, ctx)
    origin, keep_rejected = ctx.origin, ctx.keep_rejected
    name = f"{origin}/{doc.member}" if doc.member else origin
    try:
        try:
            with transaction.atomic():
                stored, header, verdict = _parse_and_store(doc, name, ctx, recover=False)
        except BrokenXml as e:
            # Real reporters send invalid bytes and unescaped '<'. lxml's recover
            # mode saves most of them; the report then says so in its warnings.
            with transaction.atomic():
                stored, header, verdict = _parse_and_store(doc, name, ctx, recover=True, broken=str(e))
    except Foreign as e:
        count_foreign(e.domain)
        log.info("%s: foreign: %s", name, e)
        return Outcome(origin, doc.member, "foreign", domain=e.domain, error=str(e))
    except NotAllowed as e:
        log.info("%s: not allowed: %s", name, e)
        return Outcome(origin, doc.member, "not-allowed", domain=e.domain, error=str(e))
    except (ReportError, DataError, OperationalError) as e:
        if isinstance(e, OperationalError) and not isinstance(
            e.__cause__, psycopg.errors.ProgramLimitExceeded
        ):
            raise  # the database is unreachable, not refusing this report: the caller retries
        status = "not-dmarc" if isinstance(e, NotDmarc) else "rejected"
        # Not a ReportError: a value the parser let through but a column or index cannot hold. The
        # savepoint around the store is rolled back, so the import goes on.
        error = str(e) if isinstance(e, ReportError) else f"The database refused the report: {first_line(e)}"
        outcome = Outcome(origin, doc.member, status, error=error)
        if keep_rejected:
            keep_rejection(outcome, doc.data if doc.gzipped else gzip.compress(doc.data, 1, mtime=0))
        log.info("%s: %s: %s", name, status, e)
        return outcome
    return Outcome(
        origin,
        doc.member,
        "imported" if stored.created else "duplicate",
        org_name=header.org_name,
        report_id=header.report_id,
        domain=header.policy.domain,
        records=stored.records,
        messages=stored.messages,
        warnings=stored.warnings,
        report_pk=stored.report_pk,
        reporter_verified=verdict.verified,
        days=stored.days,
    )


def _parse_and_store(doc: Document, name: str, ctx: Context, *, recover: bool, broken: str = ""):
    with doc.open() as stream:
        parsed = parse(stream, recover=recover)
        domain = parsed.header.policy.domain
        if ctx.monitored and not any(is_within(domain, m) for m in ctx.monitored):
            raise Foreign(
                f"{domain} is not a monitored domain (see Domains in /admin/ or DMARC_DOMAINS):"
                " the report was not stored",
                domain,
            )
        why = ctx.refusal(domain) if ctx.refusal is not None else None
        if why:
            raise NotAllowed(why, domain)
        verdict = ctx.verdict(doc, parsed.header.email)
        if verdict.reason:
            parsed.warnings.append(f"The reporter is not verified: {verdict.reason}")
        if broken and not any("recovered" in w for w in parsed.warnings):
            parsed.warnings.insert(0, f"The XML was damaged and was recovered: {broken}")
        stored = store_report(
            parsed,
            original=doc.data,
            gzipped=doc.gzipped,
            name=name,
            origin=ctx.origin,
            recovered=recover,
            verdict=verdict,
            trusted=ctx.trusted or verdict.verified is True,
        )
    return stored, parsed.header, verdict
