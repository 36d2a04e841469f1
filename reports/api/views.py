"""The API's endpoints: each reads its parameters (reports.api.params), checks access as the pages do
(reports.access.guard), asks the pages' queries, and answers JSON (reports.api.reads)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.access import guard, quota
from reports.alerts.models import Alert
from reports.api import params, reads, rules
from reports.dashboard import domain_table, queries, ranking
from reports.dashboard import tasks as dashboard_tasks
from reports.ingest.forms import ReportFilterForm
from reports.ingest.models import Record, Report
from reports.rollout import queries as rollout_queries
from reports.rollout import readiness
from reports.rollout import tasks as rollout_tasks
from reports.rollups import queries as rollups
from reports.rollups.models import DailyRollup
from reports.shared.dates import WINDOW_DAYS

ANY = OpenApiResponse(description="JSON")
ERRORS = {
    400: OpenApiResponse(description='A bad parameter: {"error", "status", "fields"}'),
    401: OpenApiResponse(description="No token, or a revoked, expired or unknown one"),
    403: OpenApiResponse(description="The token lacks the scope, or the user's role the action"),
    404: OpenApiResponse(description="No such domain or object, or not one the user may see"),
    429: OpenApiResponse(description="Too many requests for this token (Retry-After)"),
}
DAYS = OpenApiParameter("days", int, description="Window in days: 14, 30 (default), 60 or 90.")
RANGE = [
    OpenApiParameter("start", str, description="First day, YYYY-MM-DD (default: 29 days before the end)."),
    OpenApiParameter("end", str, description="Last day, YYYY-MM-DD (default: today, UTC)."),
]
PAGING = [
    OpenApiParameter("page", int, description="From 1."),
    OpenApiParameter(
        "page_size", int, description=f"Up to {params.MAX_PAGE_SIZE} (default {params.PAGE_SIZE})."
    ),
]
FILTERS = [
    OpenApiParameter("q", str, description="Search: address, part of one, or a name (reverse DNS, network)."),
    OpenApiParameter("failing", bool, description="Only sources with DMARC-failing messages."),
    OpenApiParameter("new", bool, description="Only sources first seen within the range."),
    OpenApiParameter("sort", str, description="ip, messages (default), failing, dmarc, dkim, spf, "
                     "quarantined, first_seen, last_seen."),
    OpenApiParameter("dir", str, description="asc or desc."),
    OpenApiParameter("service", str, description="A service id (services.json), or 'unidentified'."),
    OpenApiParameter("category", str, description="aligned, forwarded, misconfigured or unknown."),
    OpenApiParameter("asn", str, description="An AS number (AS64500 or 64500)."),
    OpenApiParameter("country", str, description="A two-letter country code."),
]  # fmt: skip
PENDING = OpenApiResponse(description='Being computed by a worker: {"status": "pending"}; ask again')


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


def pending(message: str, queued: bool | None) -> Response:
    if queued is None:
        message += " You have queued too many computations this hour: ask again later."
    elif not queued:
        message += " The task queue is not reachable."
    return Response({"status": "pending", "detail": message}, status=202, headers={"Retry-After": "10"})


def ranking_pending(request, domain, rng, flt) -> Response:
    """A big domain's sums that no worker has stored yet: queued (a custom range within the user's
    hourly share, as on the pages)."""
    queued = dashboard_tasks.queue_ranking(domain, rng, flt, partial(quota.take, request.user))
    return pending("A worker is summing this big domain's sources.", queued)


class Overview(ApiView):
    @extend_schema(
        summary="A domain's totals and daily series over a range",
        parameters=RANGE,
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        rng = params.date_range(request)
        return Response({"domain": domain, **reads.overview(queries.overview(domain, rng), rng)})


class Sources(ApiView):
    @extend_schema(
        summary="The sources table: each source's counts over the range, filtered, ordered and paginated",
        parameters=[*RANGE, *FILTERS, *PAGING],
        responses={200: ANY, 202: PENDING, **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        rng, flt = params.date_range(request), params.source_filter(request)
        number, size = params.paging(request)
        try:
            rows, total = queries.sources(domain, rng, flt, offset=(number - 1) * size, limit=size)
        except ranking.NotRankedYet:
            return ranking_pending(request, domain, rng, flt)
        body = reads.page([reads.source_row(s) for s in rows], total, number, size)
        return Response(
            {"domain": domain, "start": rng.start.isoformat(), "end": rng.end.isoformat(), **body}
        )


class Source(ApiView):
    @extend_schema(
        operation_id="domains_source_retrieve",
        summary="One source of a domain: totals, daily series, names, authentication results, verdict, "
        "and its records one page at a time (newest first)",
        parameters=[*RANGE, *PAGING],
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, domain, ip):
        domain = guard.domain_or_404(request, domain)
        if not DailyRollup.objects.filter(domain=domain, source_ip=ip).exists():
            raise Http404("This domain has no data from this source.")
        rng = params.date_range(request)
        number, size = params.paging(request)
        detail = queries.source_detail(domain, ip, rng)
        records = queries.source_records(domain, ip, rng, offset=(number - 1) * size, limit=size)
        # As on the page: the verdict reads the last rollout window of the range.
        verdict_start = max(rng.start, rng.end - timedelta(days=WINDOW_DAYS - 1))
        verdict = readiness.source_verdict(domain, ip, verdict_start, rng.end)
        body = reads.source_detail(detail, verdict, records[:size], rng)
        return Response(
            {"domain": domain, **body, "page": number, "page_size": size, "has_next": len(records) > size}
        )


class Senders(ApiView):
    @extend_schema(
        summary="The domain's sources by sending service, and one row for unidentified sources",
        parameters=RANGE,
        responses={200: ANY, 202: PENDING, **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        rng = params.date_range(request)
        try:
            rows = queries.service_summaries(domain, rng)
        except ranking.NotRankedYet:
            return ranking_pending(request, domain, rng, None)
        return Response(
            {"domain": domain, "start": rng.start.isoformat(), "end": rng.end.isoformat(),
             "results": [reads.sender(s) for s in rows]}
        )  # fmt: skip


class Reports(ApiView):
    @extend_schema(
        summary="The domain's aggregate reports that begin within the range, newest first",
        parameters=[
            *RANGE,
            OpenApiParameter("q", str, description="Reporter or report ID contains."),
            *PAGING,
        ],
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        rng = params.date_range(request)
        number, size = params.paging(request)
        form = ReportFilterForm(request.query_params)
        if not form.is_valid():
            raise params.ValidationError(form.errors)
        start, end = rng.moments()
        rows = Report.objects.defer("original").filter(domain=domain, begin__gte=start, begin__lt=end)
        if q := form.search():
            rows = rows.filter(org_name__icontains=q) | rows.filter(report_id__icontains=q)
        rows = rows.order_by("-begin", "-id")
        total = rows.count()
        found = rows[(number - 1) * size : number * size]
        return Response(
            {"domain": domain, **reads.page([reads.report(r) for r in found], total, number, size)}
        )


class ReportDetail(ApiView):
    @extend_schema(
        summary="One report and its records (busiest first), one page at a time",
        parameters=PAGING,
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, pk):
        report = get_object_or_404(Report.objects.defer("original"), pk=pk)
        guard.domain_or_404(request, report.domain)
        number, size = params.paging(request)
        records = Record.objects.filter(report=report).order_by("-count", "id")
        found = records[(number - 1) * size : number * size]
        body = reads.page([reads.record(r) for r in found], report.record_count, number, size)
        return Response({**reads.report(report), "records_page": body})


class Alerts(ApiView):
    @extend_schema(
        summary="The domain's alerts: open ones, and the last resolved ones",
        parameters=[OpenApiParameter("state", str, description="open (default), resolved or all.")],
        responses={200: ANY, **ERRORS},
    )
    def get(self, request, domain):
        domain = guard.domain_or_404(request, domain)
        state = params.alert_state(request)
        rows = Alert.objects.filter(domain=domain)
        if state != "all":
            rows = rows.filter(resolved__isnull=state == "open")
        found = rows.order_by("-opened", "-id")[: params.MAX_PAGE_SIZE]
        return Response({"domain": domain, "state": state, "results": [reads.alert(a) for a in found]})
