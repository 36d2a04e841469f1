"""Uploads: the web request saves the file, a Celery task ingests it.

1. save_upload() stores the bytes of a file within DMARC_MAX_INPUT_BYTES (a larger
   one is recorded as failed, unread) and returns the row; the view queues
   ingest_upload with its id after the commit.
2. ingest_upload() claims the row with a conditional UPDATE (queued -> working),
   so a task delivered twice ingests it once, and stores each report's outcome
   as soon as it is known: the upload page shows a big zip's reports one by one.
3. When done, the bytes go: each report and rejection keeps its own copy. A run
   stopped by the time limit keeps them, and the reports stored until then.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from reports.access import access_for, audit, rules
from reports.ingest.pipeline import ingest_bytes
from reports.models import AuditEntry, Upload


def save_upload(upload, user) -> Upload:
    """Save an uploaded file (a Django UploadedFile) for the ingest task."""
    limit = settings.DMARC_MAX_INPUT_BYTES
    name = (upload.name or "upload")[:512]
    row = Upload(name=name, size=upload.size, uploaded_by=user if user.is_authenticated else None)
    if upload.size > limit:
        row.state = Upload.FAILED
        row.error = f"The file is {upload.size} bytes, more than the {limit}-byte input limit."
        row.outcomes = [{"status": "rejected", "error": row.error, "member": None}]
        row.finished = timezone.now()
    else:
        row.data = upload.read()
    row.save()
    return row


def claim(pk: int) -> bool:
    """Take the upload for ingestion; False when it is done or another task has it.

    A task killed half-way (worker lost, hard time limit) leaves the row `working`:
    once the hard limit has passed it can only be dead, and the upload is taken again.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DMARC_INGEST_TIME_LIMIT)
    taken = Upload.objects.filter(
        Q(state=Upload.QUEUED) | Q(state=Upload.WORKING, started__lt=stale), pk=pk
    ).update(state=Upload.WORKING, started=now, outcomes=[], error="")
    return taken == 1


def ingest_upload(pk: int) -> Upload | None:
    if not claim(pk):
        return None
    row = Upload.objects.get(pk=pk)
    outcomes = []

    def progress(outcome):
        outcomes.append({**outcome.as_json(), "report_pk": outcome.report_pk})
        Upload.objects.filter(pk=pk).update(outcomes=outcomes)

    # A signed-in user vouches for what they upload (DMARC_REQUIRE_VERIFIED_REPORTS counts it), for the
    # domains where they may: the reports of any other domain are refused one by one.
    ingest_bytes(
        bytes(row.data),
        source=f"upload:{row.name}",
        trusted=True,
        progress=progress,
        refusal=uploader_refusal(row.uploaded_by),
    )
    Upload.objects.filter(pk=pk).update(state=Upload.DONE, data=b"", finished=timezone.now())
    done = Upload.objects.defer("data").get(pk=pk)
    audit.record(
        row.uploaded_by,
        AuditEntry.UPLOAD,
        f"{row.name} (ingested)",
        upload=pk,
        imported=sorted({o["domain"] for o in outcomes if o["status"] == "imported"}),
        refused=sorted({o["domain"] for o in outcomes if o["status"] == "not-allowed"}),
    )
    return done


def uploader_refusal(user):
    """Why `user` may not store a report of a policy domain (reports.access.rules.UPLOAD), or None."""
    access = access_for(user) if user is not None else None

    def refusal(domain: str) -> str | None:
        if access is None:
            return "the account that uploaded the file is gone: the report was not stored"
        if not access.may(rules.UPLOAD, domain):
            return (
                f"{domain} is not a domain on which you may upload reports (operator role): "
                "the report was not stored"
            )
        return None

    return refusal


def stopped(pk: int, error: str) -> None:
    """The task was stopped (time limit): say so, and keep the bytes for another try."""
    Upload.objects.filter(pk=pk).update(state=Upload.FAILED, error=error, finished=timezone.now())


def requeue(pk: int) -> None:
    """The database went away mid-way: the retry takes the upload again."""
    Upload.objects.filter(pk=pk, state=Upload.WORKING).update(state=Upload.QUEUED)


# The uploads with a report of one of the granted domains (or a subdomain of one).
_OF_DOMAINS = """
    SELECT u.id FROM reports_upload u
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE jsonb_typeof(u.outcomes) WHEN 'array' THEN u.outcomes ELSE '[]'::jsonb END) o
    WHERE EXISTS (SELECT 1 FROM unnest(%s::text[]) n
                  WHERE lower(o->>'domain') = n OR right(lower(o->>'domain'), length(n) + 1) = '.' || n)
"""


def recent(user, limit: int = 30) -> list[Upload]:
    """The latest uploads that `user` may see: their own, and those with a report of their domains
    (superusers: all)."""
    rows = Upload.objects.defer("data").select_related("uploaded_by").order_by("-created", "-id")
    access = access_for(user)
    if not access.everything:
        names = [n.lower() for n in access.granted_names(rules.VIEW)]
        rows = rows.filter(Q(uploaded_by=user) | Q(pk__in=RawSQL(_OF_DOMAINS, [names])))
    return list(rows[:limit])


def waiting(older_than_seconds: int = 120) -> list[int]:
    """Uploads still queued a while after they were saved: their task was never sent (broker
    down) or was lost. Sending it again is harmless: claim() lets one task take the upload."""
    since = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Upload.objects.filter(state=Upload.QUEUED, created__lt=since)
        .order_by("id")
        .values_list("id", flat=True)
    )
