"""The API's endpoints: each reads its parameters (reports.api.params), checks access as the pages do
(reports.access.guard), asks the pages' queries, and answers JSON (reports.api.reads)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.access import guard
from reports.api import params, reads, rules
from reports.dashboard import domain_table
from reports.ingest.models import Report
from reports.rollout import queries as rollout_queries
from reports.rollout import tasks as rollout_tasks
from reports.rollups import queries as rollups

ANY = OpenApiResponse(description="JSON")
ERRORS = {
    400: OpenApiResponse(description='A bad parameter: {"error", "status", "fields"}'),
    401: OpenApiResponse(description="No token, or a revoked, expired or unknown one"),
    403: OpenApiResponse(description="The token lacks the scope, or the user's role the action"),
    404: OpenApiResponse(description="No such domain or object, or not one the user may see"),
    429: OpenApiResponse(description="Too many requests for this token (Retry-After)"),
}
DAYS = OpenApiParameter("days", int, description="Window in days: 14, 30 (default), 60 or 90.")


class ApiView(APIView):
    """The scope each method needs of a token (a session has them all)."""

    scopes = {"GET": rules.READ}

    def needed_scope(self, request) -> str:
        return self.scopes.get(request.method, rules.READ)


def with_reports_or_404(domain: str) -> str:
    if not Report.objects.filter(domain=domain).exists():
        raise Http404("No reports for this domain.")
    return domain


class Domains(ApiView):
    @extend_schema(
        summary="The monitored domains the user may see",
        description="Stage and readiness as last computed by a worker, DMARC pass rate over 30 days, "
        "last report.",
        responses={200: ANY, **ERRORS},
    )
    def get(self, request):
        rows = domain_table.domain_rows(guard.domains(request, rollups.monitored()))
        for row in rows:
            if row.verdict is None and row.current.messages:
                rollout_tasks.queue_summary(row.name)  # computed by a worker, as for the page
        return Response({"count": len(rows), "results": [reads.domain(r) for r in rows]})


class Readiness(ApiView):
    @extend_schema(
        summary="Is the domain ready for its next DMARC policy?",
        description=(
            "Exactly what `manage.py rollout DOMAIN --json` prints, as last computed by a worker "
            "(reasons, publish, sources, impact...). 202 while the first computation runs."
        ),
        parameters=[DAYS],
        responses={200: ANY, 202: OpenApiResponse(description="Being computed: ask again"), **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, with_reports_or_404(domain))
        days = params.days(request)
        found = rollout_queries.stored_verdict(domain, days)
        if found is None:
            queued = rollout_tasks.queue_summary(domain, days)
            message = "The readiness is being computed: ask again in a moment."
            if not queued:
                message = "The readiness is not computed yet, and the task queue is not reachable."
            return Response(
                {"status": "pending", "detail": message}, status=202, headers={"Retry-After": "10"}
            )
        verdict, computed = found
        return Response(verdict, headers={"Last-Modified": computed.strftime("%a, %d %b %Y %H:%M:%S GMT")})
