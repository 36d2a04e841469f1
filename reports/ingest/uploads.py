"""Uploads: the web request saves the file, a Celery task ingests it.

1. save_upload() stores the bytes of a file within DMARC_MAX_INPUT_BYTES and the
   uploader's DMARC_UPLOAD_BYTES_PER_DAY (beyond, it is recorded as failed,
   unread), a piece at a time, and returns the row; the view queues
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
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from reports.access import audit, rules
from reports.access.models import AuditEntry
from reports.access.queries import access_for
from reports.ingest.models import Upload, UploadChunk
from reports.ingest.pipeline import ingest_bytes

CHUNK = 1024 * 1024  # bytes per UploadChunk: what the request holds at a time


def save_upload(upload, user) -> Upload:
    """Save an uploaded file (a Django UploadedFile, which Django spools to disk past a few MiB) for the
    ingest task, a piece at a time. A file over DMARC_MAX_INPUT_BYTES, or past the uploader's
    DMARC_UPLOAD_BYTES_PER_DAY, is recorded as failed, unread."""
    limit = settings.DMARC_MAX_INPUT_BYTES
    name = (upload.name or "upload")[:512]
    row = Upload(name=name, size=upload.size, uploaded_by=user if user.is_authenticated else None)
    used = uploaded_today(user)
    error = ""
    if upload.size > limit:
        error = f"The file is {upload.size} bytes, more than the {limit}-byte input limit."
    elif used is not None and used + upload.size > settings.DMARC_UPLOAD_BYTES_PER_DAY:
        error = (
            f"The file is {upload.size} bytes, and you uploaded {used} in the last 24 hours: more than the "
            f"{settings.DMARC_UPLOAD_BYTES_PER_DAY} bytes one user may upload in a day "
            "(DMARC_UPLOAD_BYTES_PER_DAY). Try again later."
        )
    if error:
        row.state = Upload.FAILED
        row.error = error
        row.outcomes = [{"status": "rejected", "error": row.error, "member": None}]
        row.finished = timezone.now()
        row.save()
        return row
    with transaction.atomic():
        row.save()
        for seq, piece in enumerate(upload.chunks(CHUNK)):
            UploadChunk.objects.create(upload=row, seq=seq, data=piece)
    return row


def uploaded_today(user) -> int | None:
    """Bytes `user` uploaded in the last 24 hours (files refused unread not counted); None for a
    superuser, who has no limit."""
    if user.is_superuser:
        return None
    since = timezone.now() - timedelta(days=1)
    rows = Upload.objects.filter(uploaded_by=user, created__gte=since).exclude(
        state=Upload.FAILED, started__isnull=True
    )
    return rows.aggregate(n=Sum("size"))["n"] or 0


def stored_bytes(pk: int) -> bytes:
    """The upload's bytes, from its pieces (or its one field, for an upload saved before them)."""
    pieces = UploadChunk.objects.filter(upload_id=pk).order_by("seq").values_list("data", flat=True)
    data = b"".join(bytes(p) for p in pieces)
    if not data:
        data = bytes(Upload.objects.filter(pk=pk).values_list("data", flat=True).first() or b"")
    return data


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
    row = Upload.objects.defer("data").select_related("uploaded_by").get(pk=pk)
    outcomes = []

    def progress(outcome):
        outcomes.append({**outcome.as_json(), "report_pk": outcome.report_pk})
        Upload.objects.filter(pk=pk).update(outcomes=outcomes)

    # A signed-in user vouches for what they upload (DMARC_REQUIRE_VERIFIED_REPORTS counts it), for the
    # domains where they may: the reports of any other domain are refused one by one.
    ingest_bytes(
        stored_bytes(pk),
        origin=f"upload:{row.name}",
        trusted=True,
        progress=progress,
        refusal=uploader_refusal(row.uploaded_by),
    )
    with transaction.atomic():
        Upload.objects.filter(pk=pk).update(state=Upload.DONE, data=b"", finished=timezone.now())
        UploadChunk.objects.filter(upload_id=pk).delete()
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
