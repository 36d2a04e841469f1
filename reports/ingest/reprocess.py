"""Parsing stored inputs again, after a parser fix."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from reports.ingest.models import Rejection, Report
from reports.ingest.pipeline import ingest_bytes
from reports.ingest.reporter import Verdict
from reports.ingest.store import remove_report


class _KeepOld(Exception):
    pass


def reprocess_reports(ids=None, domain=None) -> list[dict]:
    reports = Report.objects.order_by("id")
    if ids:
        reports = reports.filter(id__in=ids)
    if domain:
        reports = reports.filter(domain=domain.lower())
    results = []
    fields = ("id", "origin", "reporter_verified", "signing_domain", "trusted")
    for pk, origin, verified, signer, trusted in reports.values_list(*fields).iterator():
        what = f"report {pk}"
        try:
            # The old rows stay unless the new reading stores cleanly.
            with transaction.atomic():
                original = bytes(Report.objects.values_list("original", flat=True).get(id=pk))
                remove_report(pk)
                # The stored XML has lost its email: the report keeps the verdict it had.
                outcomes = ingest_bytes(
                    original,
                    origin or f"report {pk}",
                    keep_rejected=False,
                    trusted=trusted,
                    vouched=Verdict(verified, signer),
                )
                bad = [o for o in outcomes if o.status not in ("imported", "duplicate")]
                if bad or not outcomes:
                    raise _KeepOld(bad[0].error if bad else "no report found in the stored bytes")
        except _KeepOld as e:
            results.append({"what": what, "status": "kept", "error": str(e)})
            continue
        results.append({"what": what, "status": "reprocessed", "report": outcomes[0].report_pk})
    return results


def reprocess_rejections() -> list[dict]:
    results = []
    pending = Rejection.objects.filter(resolved=None, original__isnull=False).order_by("id")
    for rejection in pending.iterator():
        what = f"rejection {rejection.id} ({rejection.origin})"
        outcomes = ingest_bytes(bytes(rejection.original), rejection.origin, keep_rejected=False)
        good = [o for o in outcomes if o.status in ("imported", "duplicate")]
        if good and len(good) == len(outcomes):
            rejection.resolved = timezone.now()
            rejection.save(update_fields=["resolved"])
            results.append({"what": what, "status": "imported", "reports": [o.report_pk for o in good]})
        else:
            errors = "; ".join(o.error for o in outcomes if o.error)
            results.append({"what": what, "status": "still rejected", "error": errors})
    return results
