"""The endpoints that push reports and read a push's status (scope ingest)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from reports.access import audit, guard
from reports.access import rules as access_rules
from reports.access.models import AuditEntry
from reports.api import push, rules
from reports.api.auth import audit_write
from reports.api.views import ANY, ERRORS, ApiView
from reports.ingest.models import Upload
from reports.ingest.tasks import queue_upload
from reports.ingest.uploads import save_upload

log = logging.getLogger(__name__)


class Push(ApiView):
    scopes = {"POST": rules.INGEST}
    parser_classes = []  # the body is read raw, a piece at a time (push.body_file)

    @extend_schema(
        summary="Push a report: XML, gzip, zip, a report email, an mbox or a TLS report (JSON), as the body",
        description="Answered 202 with the upload's id and status URL; a worker ingests it. "
        "Name it with an X-Filename header. Reports of domains where the user is no operator are "
        "refused one by one (`not-allowed`).",
        parameters=[
            OpenApiParameter("X-Filename", str, OpenApiParameter.HEADER, description="A name for it.")
        ],
        request={"application/octet-stream": {"type": "string", "format": "binary"}},
        responses={
            202: ANY,
            413: OpenApiResponse(description="Over DMARC_MAX_INPUT_BYTES"),
            **ERRORS,
        },
    )
    def post(self, request):
        guard.require(request, access_rules.UPLOAD)
        name = push.name_of(request)
        body = push.body_file(request._request, name)
        if body.size == 0:
            raise ValidationError({"body": ["The request has no body: send the report file as the body."]})
        audit.record(request.user, AuditEntry.UPLOAD, name, bytes=body.size)
        audit_write(request, "push", name, bytes=body.size)
        row = save_upload(body, request.user)
        if row.state == Upload.FAILED:
            too_big = row.size > settings.DMARC_MAX_INPUT_BYTES
            return Response({"error": row.error, "status": 413 if too_big else 429, "id": row.pk},
                            status=413 if too_big else 429)  # fmt: skip
        try:
            queue_upload(row.pk)
        except BrokerError as e:
            # Saved: the beat's "queue waiting uploads" sends it once the broker is back.
            log.warning("cannot queue pushed upload %s: %s", row.pk, e)
        url = reverse("api_upload", args=[row.pk])
        return Response(
            {"id": row.pk, "state": row.state, "status_url": url}, status=202, headers={"Location": url}
        )


class UploadStatus(ApiView):
    scopes = {"GET": rules.INGEST}

    @extend_schema(
        summary="A push's state and each report's outcome (the keys of import_reports --json)",
        description="state: queued, working, done or failed; each report's status: imported, duplicate, "
        "rejected, foreign, not-allowed...",
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, pk):
        row = Upload.objects.defer("data").filter(pk=pk).first()
        # One's own pushes (a superuser's: all); any other does not exist.
        if row is None or not (request.user.is_superuser or row.uploaded_by_id == request.user.pk):
            raise Http404("No such upload.")
        return Response(push.status(row))
