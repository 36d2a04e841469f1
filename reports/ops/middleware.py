"""First in MIDDLEWARE: gives every request an id (for the logs and the X-Request-ID header),
measures how long each view takes, and answers the probes itself.

The probes come before the rest of the stack on purpose: an orchestrator asks by the container's
address, which ALLOWED_HOSTS does not list; over plain HTTP, which DMARC_BEHIND_TLS_PROXY would
redirect; and /healthz must answer while PostgreSQL is down, which the statement timeout's
middleware would not let it."""

from __future__ import annotations

import re
import time
import uuid

from reports.ops import logs, views
from reports.ops.metrics import REQUEST_SECONDS

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}
# An id a proxy or a client sent is kept if it is a plain token: it is written to every log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class ServiceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = sent if _SANE_ID.fullmatch(sent) else uuid.uuid4().hex
        request.request_id = rid
        token = logs.request_id.set(rid)
        started = time.monotonic()
        try:
            probe = PROBES.get(request.path_info.rstrip("/") or "/")
            if probe is not None:
                response = probe(request)
                view = probe.__name__
                # An orchestrator asks every few seconds: a 503 is its answer, not an error for the log
                # at each probe (Django's request logger skips a response marked so).
                response._has_been_logged = True
            else:
                response = self.get_response(request)
                match = getattr(request, "resolver_match", None)
                view = (match.view_name or match._func_path) if match else "unresolved"
            REQUEST_SECONDS.labels(view, request.method).observe(time.monotonic() - started)
            response["X-Request-ID"] = rid
            return response
        finally:
            logs.request_id.reset(token)
