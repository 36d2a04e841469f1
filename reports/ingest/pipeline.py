"""From raw bytes (a file, an upload, an email) to stored reports.

Every entry point — import_reports, the upload form, the IMAP workers,
reprocess — comes through ingest_bytes(), so they all unpack, parse and store
the same way. One outcome per report found, or per part that yielded none;
one bad part never stops the others.

Report problems become outcomes with status "rejected" or "not-dmarc" and a
Rejection row that keeps the bytes. Database errors are not report problems:
they propagate, so that a caller can retry later instead of losing the input.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass, field

import psycopg.errors
from django.db import DataError, OperationalError, transaction

from reports.ingest.errors import NotDmarc, ReportError
from reports.ingest.parser import BrokenXml, parse
from reports.ingest.store import store_report
from reports.ingest.unpack import Document, Failure, Limits, unpack
from reports.models import Rejection

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    source: str
    member: str | None
    status: str  # imported | duplicate | rejected | not-dmarc
    org_name: str = ""
    report_id: str = ""
    domain: str = ""
    records: int = 0
    messages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    report_pk: int | None = None

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "member": self.member,
            "status": self.status,
            "org_name": self.org_name,
            "report_id": self.report_id,
            "domain": self.domain,
            "records": self.records,
            "messages": self.messages,
            "warnings": self.warnings,
            "error": self.error,
        }


def ingest_bytes(
    data: bytes, source: str, *, keep_rejected: bool = True, limits: Limits | None = None, progress=None
):
    """progress, if given, is called with each outcome as soon as it is known."""
    limits = limits or Limits.from_settings()
    outcomes = []
    for part in unpack(data, limits):
        if isinstance(part, Failure):
            outcome = Outcome(source, part.member, part.status, error=part.error)
            if keep_rejected:
                _keep_rejection(outcome, part.data)
        else:
            outcome = ingest_document(part, source, keep_rejected=keep_rejected)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def ingest_document(doc: Document, source: str, *, keep_rejected: bool = True) -> Outcome:
    name = f"{source}/{doc.member}" if doc.member else source
    try:
        try:
            with transaction.atomic():
                stored, header = _parse_and_store(doc, name, source, recover=False)
        except BrokenXml as e:
            # Real reporters send invalid bytes and unescaped '<'. lxml's recover
            # mode saves most of them; the report then says so in its warnings.
            with transaction.atomic():
                stored, header = _parse_and_store(doc, name, source, recover=True, broken=str(e))
    except (ReportError, DataError, OperationalError) as e:
        if isinstance(e, OperationalError) and not isinstance(
            e.__cause__, psycopg.errors.ProgramLimitExceeded
        ):
            raise  # the database is unreachable, not refusing this report: the caller retries
        status = "not-dmarc" if isinstance(e, NotDmarc) else "rejected"
        error = str(e) if isinstance(e, ReportError) else _refused(e)
        outcome = Outcome(source, doc.member, status, error=error)
        if keep_rejected:
            _keep_rejection(outcome, doc.data if doc.gzipped else gzip.compress(doc.data, 1, mtime=0))
        log.info("%s: %s: %s", name, status, e)
        return outcome
    return Outcome(
        source,
        doc.member,
        "imported" if stored.created else "duplicate",
        org_name=header.org_name,
        report_id=header.report_id,
        domain=header.policy.domain,
        records=stored.records,
        messages=stored.messages,
        warnings=stored.warnings,
        report_pk=stored.report_pk,
    )


def _parse_and_store(doc: Document, name: str, source: str, *, recover: bool, broken: str = ""):
    with doc.open() as stream:
        parsed = parse(stream, recover=recover)
        if broken and not any("recovered" in w for w in parsed.warnings):
            parsed.warnings.insert(0, f"The XML was damaged and was recovered: {broken}")
        stored = store_report(
            parsed, original=doc.data, gzipped=doc.gzipped, name=name, source=source, recovered=recover
        )
    return stored, parsed.header


def _refused(e: Exception) -> str:
    # A value the parser let through but a column or index cannot hold. The
    # savepoint around the store is rolled back, so the import goes on.
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"The database refused the report: {detail}"


def _keep_rejection(outcome: Outcome, data: bytes | None) -> None:
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    if data is not None and not _looks_gzipped(data):
        data = gzip.compress(data, 1, mtime=0)
    Rejection.objects.create(
        source=outcome.source[:512],
        member=(outcome.member or "")[:512],
        status=outcome.status,
        error=outcome.error,
        original=data,
        sha256=sha,
    )


def _looks_gzipped(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"
