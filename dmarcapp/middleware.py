"""Web request plumbing: a time limit on every SQL statement, with a clear page when it trips; and the
admin's list filters kept to values the database can take.

Pages read what the workers computed and answer in a fraction of a second; a query that runs for
minutes (stale statistics, a plan gone wrong) would hold a gunicorn worker until gunicorn kills it,
with a bare error. DMARC_WEB_STATEMENT_TIMEOUT (seconds, 0: none) sets PostgreSQL's
statement_timeout for the request's connection and takes it off at the end: Celery workers, which
run no middleware, keep no limit.
"""

from __future__ import annotations

import logging

import psycopg.errors
from django.conf import settings
from django.db import DatabaseError, connection
from django.shortcuts import render

log = logging.getLogger(__name__)


class StatementTimeout:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.DMARC_WEB_STATEMENT_TIMEOUT
        if not seconds:
            return self.get_response(request)
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds * 1000}"])
        try:
            return self.get_response(request)
        finally:
            try:
                with connection.cursor() as cur:
                    cur.execute("RESET statement_timeout")
            except DatabaseError:
                pass  # an aborted transaction undoes the SET itself; a broken connection is closed

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError) and isinstance(
            exception.__cause__, psycopg.errors.QueryCanceled
        ):
            log.warning("%s %s: stopped by DMARC_WEB_STATEMENT_TIMEOUT", request.method, request.path)
            ctx = {"seconds": settings.DMARC_WEB_STATEMENT_TIMEOUT}
            return render(request, "timeout.html", ctx, status=503)
        return None


class AdminQuery:
    """The admin's list filters go straight into queries: a NUL byte (which PostgreSQL text cannot hold)
    or a date past what a year holds (?begin__year=2147483648) made its lists answer 500. Such a
    parameter is dropped, as the dashboard drops a parameter that makes no sense."""

    DATE_PARTS = {"__year": (1, 9999), "__month": (1, 12), "__day": (1, 31)}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.urls import reverse

        if request.path.startswith(reverse("admin:index")) and request.GET:
            cleaned = request.GET.copy()
            for key in list(cleaned):
                if not all(self._fits(key, value) for value in cleaned.getlist(key)):
                    del cleaned[key]
            if len(cleaned) != len(request.GET):
                request.GET = cleaned
        return self.get_response(request)

    def _fits(self, key: str, value: str) -> bool:
        if "\x00" in key or "\x00" in value:
            return False
        for suffix, (low, high) in self.DATE_PARTS.items():
            if key.endswith(suffix):
                return value.isdigit() and low <= int(value) <= high
        return True
