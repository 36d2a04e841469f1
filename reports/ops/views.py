"""/healthz, /readyz and /metrics, answered by reports.ops.middleware before the rest of the stack.

Anyone may ask /healthz and /readyz (an orchestrator has no account): they say a word per check.
What is wrong in detail (which mailbox, which error) goes to callers of /metrics' kind only: the
bearer token DMARC_METRICS_TOKEN or an address in DMARC_METRICS_ALLOW."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from reports.access.throttle import client_address


def healthz(request):
    """The process answers: nothing else is asked."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    from reports.ops.health import readiness

    result = readiness()
    body = result.full() if operator(request) else result.public()
    return JsonResponse(body, status=200 if result.ok else 503, headers={"Cache-Control": "no-store"})


def metrics(request):
    if not operator(request):
        return HttpResponse(
            "Metrics are served to the bearer of DMARC_METRICS_TOKEN or to an address in"
            " DMARC_METRICS_ALLOW.\n",
            status=403,
            content_type="text/plain",
        )
    from prometheus_client import CONTENT_TYPE_LATEST

    from reports.ops.metrics import exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def operator(request) -> bool:
    """The monitoring system: the bearer of the metrics token, or an allowed address."""
    token = settings.DMARC_METRICS_TOKEN
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if (
        token
        and sent.startswith("Bearer ")
        and hmac.compare_digest(sent[7:].strip().encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.DMARC_METRICS_ALLOW)
