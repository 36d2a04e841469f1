"""Keep one parsed TLS report: once per (organization, report id), with its original bytes."""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from reports.tlsrpt.models import TlsFailure, TlsPolicyResult, TlsReport
from reports.tlsrpt.parser import TlsReport as Parsed


@dataclass
class StoredTls:
    created: bool
    report_pk: int | None


def store(
    parsed: Parsed,
    *,
    original: bytes,
    gzipped: bool,
    name: str,
    origin: str,
    verified: bool | None,
    signing_domain: str,
    trusted: bool,
) -> StoredTls:
    day = parsed.day
    report = TlsReport(
        org_name=parsed.org_name,
        report_id=parsed.report_id,
        contact=parsed.contact,
        start=parsed.start,
        end=parsed.end,
        day=day,
        domains=parsed.domains,
        successful_sessions=parsed.successful_sessions,
        failed_sessions=parsed.failed_sessions,
        warnings=parsed.warnings,
        original=original if gzipped else gzip.compress(original, 6, mtime=0),
        original_name=name[:512],
        origin=origin[:512],
        reporter_verified=verified,
        signing_domain=signing_domain[:253],
        trusted=trusted,
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        existing = TlsReport.objects.filter(org_name=parsed.org_name, report_id=parsed.report_id).first()
        if existing is not None and verified and not existing.reporter_verified:
            # A signed copy of a report first seen unsigned (a file, a hand-forwarded mail) vouches for it.
            TlsReport.objects.filter(pk=existing.pk).update(
                reporter_verified=True, signing_domain=signing_domain[:253], trusted=True
            )
        return StoredTls(False, existing.pk if existing else None)
    reporter = parsed.org_name
    TlsPolicyResult.objects.bulk_create(
        TlsPolicyResult(
            report=report,
            domain=p.policy_domain,
            day=day,
            reporter=reporter,
            policy_type=p.policy_type,
            policy_string=p.policy_string,
            mx_hosts=p.mx_hosts,
            successful_sessions=p.successful_sessions,
            failed_sessions=p.failed_sessions,
        )
        for p in parsed.policies
    )
    TlsFailure.objects.bulk_create(
        (
            TlsFailure(
                report=report,
                domain=p.policy_domain,
                day=day,
                reporter=reporter,
                result_type=f.result_type,
                failed_sessions=f.failed_sessions,
                sending_mta_ip=f.sending_mta_ip,
                receiving_mx_hostname=f.receiving_mx_hostname,
                receiving_mx_helo=f.receiving_mx_helo,
                receiving_ip=f.receiving_ip,
                failure_reason_code=f.failure_reason_code,
                additional_information=f.additional_information,
            )
            for p in parsed.policies
            for f in p.failures
        ),
        batch_size=1000,
    )
    return StoredTls(True, report.pk)


def purge_older_than(cutoff, batch: int = 1000) -> int:
    """Delete the TLS reports whose period ended before `cutoff` (their rows go with them), in
    batches, each its own transaction; how many."""
    done = 0
    while ids := list(
        TlsReport.objects.filter(end__lt=cutoff).order_by("id").values_list("id", flat=True)[:batch]
    ):
        with transaction.atomic():
            TlsReport.objects.filter(id__in=ids).delete()
        done += len(ids)
    return done
