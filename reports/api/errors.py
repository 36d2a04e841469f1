"""Every error of the API is JSON, {"error": "...", "status": N}, never an HTML page: DRF's own errors,
the guard's 404 and 403, bad parameters (400, with the fields), and anything unforeseen (500)."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler

from reports.shared.names import domain_name

log = logging.getLogger(__name__)


def _message(detail) -> str:
    if isinstance(detail, dict):
        if "detail" in detail:
            return _message(detail["detail"])
        return "; ".join(f"{key}: {_message(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(d) for d in detail)
    return str(detail)


def handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        log.exception("API request failed", exc_info=exc)
        return Response({"error": "The server failed to answer this request.", "status": 500}, status=500)
    body = {"error": _message(response.data), "status": response.status_code}
    if isinstance(response.data, dict) and "detail" not in response.data:
        body["fields"] = response.data
    response.data = body
    return response


def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no endpoint."""
    return JsonResponse({"error": "No such endpoint.", "status": 404}, status=404)


def bad_domain(request, part: str = ""):
    """/api/v1/domains/X/...: a 400 when X is no domain name (the URL converter refused it), else no
    such endpoint."""
    if domain_name(part) is not None:
        return not_found(request)
    return JsonResponse({"error": "This path does not name a domain name.", "status": 400}, status=400)
