"""Reports pushed over HTTPS: the request body, whatever the importer takes (XML, gzip, zip, a report
email, an mbox, a TLS report), saved as an upload (reports.ingest.uploads) and ingested by a Celery
worker as an upload from the page is. The status of a push is the upload's, each report's outcome in
the keys that `manage.py import_reports --json` prints."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile

from reports.ingest.models import Upload
from reports.ingest.uploads import CHUNK

DEFAULT_NAME = "push"


def name_of(request) -> str:
    """The file name a push gives itself (X-Filename, or the Content-Disposition's), else "push"."""
    name = request.headers.get("X-Filename", "")
    if not name:
        for part in request.headers.get("Content-Disposition", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "filename":
                name = value.strip().strip('"')
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or DEFAULT_NAME


class TooLarge:
    """A body past DMARC_MAX_INPUT_BYTES, never read whole: save_upload records it as failed, unread."""

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size


def body_file(request, name: str):
    """The request body on disk (a piece at a time, as Django spools a form's file), or TooLarge."""
    limit = settings.DMARC_MAX_INPUT_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return TooLarge(name, declared)
    out = TemporaryUploadedFile(name, request.content_type or "application/octet-stream", 0, None)
    total = 0
    while piece := request.read(CHUNK):
        total += len(piece)
        if total > limit:
            out.close()
            return TooLarge(name, max(total, declared))
        out.write(piece)
    out.size = total
    out.seek(0)
    return out


def outcome(stored: dict) -> dict:
    """An outcome as import_reports --json prints it (the upload keeps the report's row id besides)."""
    return {k: v for k, v in stored.items() if k != "report_pk"}


def status(row: Upload) -> dict:
    outcomes = (
        [outcome(o) for o in row.outcomes if isinstance(o, dict)] if isinstance(row.outcomes, list) else []
    )
    return {
        "id": row.pk,
        "name": row.name,
        "size": row.size,
        "state": row.state,
        "error": row.error,
        "created": row.created.isoformat(),
        "started": row.started.isoformat() if row.started else None,
        "finished": row.finished.isoformat() if row.finished else None,
        "counts": dict(Counter(o.get("status") for o in outcomes)),
        "reports": outcomes,
    }
