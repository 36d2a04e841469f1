"""Dashboard pages. Each view reads its filters, asks reports.dashboard.queries, and renders."""

from __future__ import annotations

import csv
import ipaddress
import logging
import math
import re
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_http_methods
from kombu.exceptions import OperationalError as BrokerError

from reports.access import audit, guard, quota, rules
from reports.access.models import AuditEntry
from reports.access.queries import access_for
from reports.alerts import delivery as alert_delivery
from reports.alerts import queries as alert_queries
from reports.dashboard import domain_table, queries, ranking, trend_context
from reports.dashboard import source_table as table
from reports.dashboard import tasks as dashboard_tasks
from reports.dashboard.forms import SourceFilterForm
from reports.domains import queries as domains
from reports.freshness.queries import freshness
from reports.ingest.forms import UploadForm
from reports.ingest.models import ForeignReport, Rejection
from reports.ingest.tasks import queue_upload
from reports.ingest.uploads import save_upload
from reports.mail.retention import failed_without_bytes
from reports.mail.status import mailboxes_for_status_page
from reports.marks import queries as marks_queries
from reports.marks.rules import mark_for
from reports.mtasts import queries as mtasts
from reports.rollout import queries as rollout_queries
from reports.rollout import readiness
from reports.rollout import tasks as rollout_tasks
from reports.rollups import queries as rollups
from reports.rollups.selection import selection
from reports.shared.dates import WINDOW_DAYS
from reports.shared.vocabulary import CATEGORIES
from reports.sources import queries as source_names
from reports.tlsrpt import queries as tlsrpt

log = logging.getLogger(__name__)

PAGE_SIZE = 50
FOREIGN_SHOWN = 20


@login_required
def overview(request):
    if not request.GET and rollups.has_several(rollups.visible_domains(request.user)):
        return redirect("domains")
    ctx = selection(request)
    if ctx["domain"]:
        ov = queries.overview(ctx["domain"], ctx["rng"])
        ctx["ov"] = ov
        if not ov.ranked:
            ctx.update(_being_counted(request, ctx, table.SourceFilter()))
        ctx["fresh"] = freshness(ctx["domain"])
        ctx["stage"] = _stage(ctx["domain"])
        ctx["span"] = rollups.data_span(ctx["domain"])
        ctx["tls"] = tlsrpt.rates([ctx["domain"]], ctx["rng"].start, ctx["rng"].end).get(ctx["domain"])
        ctx["mta_sts"] = mtasts.stages([ctx["domain"]]).get(ctx["domain"])
        ctx["trend"], ctx["chart"] = trend_context.overview_chart(ctx["domain"], ctx["rng"], ov.daily)
        ctx["chart"]["top"] = {
            "labels": [_source_label(s) for s in ov.top_sources],
            "pass": [s.dmarc_pass for s in ov.top_sources],
            "fail": [s.dmarc_fail for s in ov.top_sources],
            "links": [_source_url(s.ip, ctx["qs"]) for s in ov.top_sources],
        }
    ctx["open_alerts"] = alert_queries.open_alerts(ctx["domain"])
    return render(request, "reports/dashboard/overview.html", ctx)


def _being_counted(request, ctx: dict, flt: table.SourceFilter | None) -> dict:
    """A big domain's page whose sums a worker has not stored yet (reports.dashboard.ranking): queued
    once, and the page says so (reports/dashboard/_ranking_pending.html). A custom range counts
    against the user's hourly share of such work (reports.access.quota)."""
    allowed = partial(quota.take, request.user) if ctx["preset"] == "custom" else None
    queued = dashboard_tasks.queue_ranking(ctx["domain"], ctx["rng"], flt, allowed)
    return {"ranking_pending": True, "ranking_queued": queued, "ranking_throttled": queued is None}


def _source_label(s: queries.SourceRow) -> str:
    """IP, then the service (or the reverse DNS name, or the network) behind it."""
    a = s.about
    named = a.service + (" (by network)" if a.by_network else "") if a.service else s.name or a.network
    return f"{s.ip} · {named}" if named else s.ip


def _stage(domain: str) -> dict:
    """The domain's rollout stage as last computed; a missing one is queued, never computed here."""
    found = rollout_queries.summary(domain)
    if found is None:
        return {"pending": True, "queued": rollout_tasks.queue_summary(domain)}
    return found


def _source_url(ip: str, qs: str) -> str:
    return reverse("source", args=[ip]) + "?" + qs


# Columns of the sources table: (sort key, heading).
SOURCE_COLUMNS = [
    ("ip", "Source"),
    ("messages", "Messages"),
    ("failing", "DMARC fail"),
    ("dmarc", "DMARC pass"),
    # The reporters' policy_evaluated results: aligned, not merely passing (SES's own signature passes).
    ("dkim", "DKIM aligned"),
    ("spf", "SPF aligned"),
    ("quarantined", "Dispositions"),
    ("first_seen", "First seen"),
    ("last_seen", "Last seen"),
]


@login_required
def sources(request):
    ctx = selection(request)
    form = SourceFilterForm(request.GET)
    flt, page = form.filter(), form.page_number()
    rows, total = [], 0
    if ctx["domain"]:
        try:
            rows, total = queries.sources(
                ctx["domain"], ctx["rng"], flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
            if not rows and total:
                # A page past the end (the filter narrowed the list): show the last one.
                page = math.ceil(total / PAGE_SIZE)
                rows, total = queries.sources(
                    ctx["domain"], ctx["rng"], flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
                )
        except ranking.NotRankedYet:
            ctx.update(_being_counted(request, ctx, flt))
    filters = {
        **ctx["keep"],
        "q": flt.search,
        "failing": "on" if flt.failing else "",
        "new": "on" if flt.new else "",
        "service": flt.service,
        "category": flt.category,
        "asn": "" if flt.asn is None else str(flt.asn),
        "country": flt.country,
    }
    filters = {k: v for k, v in filters.items() if v}
    sorted_by = {**filters, "sort": flt.sort, "dir": "desc" if flt.descending else "asc"}
    pages = max(1, math.ceil(total / PAGE_SIZE))
    ctx.update(
        filter_form=form,
        flt=flt,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        headers=[_header(key, label, flt, filters) for key, label in SOURCE_COLUMNS],
        prev_url=f"?{urlencode({**sorted_by, 'page': page - 1})}" if page > 1 else "",
        next_url=f"?{urlencode({**sorted_by, 'page': page + 1})}" if page < pages else "",
        csv_url=reverse("sources_csv") + "?" + urlencode(sorted_by),
        services=source_names.services(ctx["domain"]) if ctx["domain"] else [],
        categories=CATEGORIES,
        unidentified=table.UNIDENTIFIED,
        filtered=any(
            filters.get(k) for k in ("q", "failing", "new", "service", "category", "asn", "country")
        ),
    )
    return render(request, "reports/dashboard/sources.html", ctx)


def _header(key, label, flt, filters) -> dict:
    active = flt.sort == key
    # A click on the active column flips it; a new column starts at its natural order.
    if active:
        direction = "asc" if flt.descending else "desc"
    else:
        direction = "asc" if key in ("ip", "first_seen") else "desc"
    return {
        "label": label,
        "url": "?" + urlencode({**filters, "sort": key, "dir": direction}),
        "active": active,
        "arrow": ("▼" if flt.descending else "▲") if active else "",
    }


CSV_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value) -> str:
    # Reverse DNS names come from other people's DNS: keep spreadsheets from running them as formulas.
    text = "" if value is None else str(value)
    return "'" + text if CSV_FORMULA.match(text) else text


def _pct(value) -> str:
    return "" if value is None else f"{value:.1f}"


@login_required
def sources_csv(request):
    ctx = selection(request)
    flt = SourceFilterForm(request.GET).filter()
    rows = queries.sources(ctx["domain"], ctx["rng"], flt, limit=None)[0] if ctx["domain"] else []
    rng = ctx["rng"]
    name = f"dmarc-sources-{ctx['domain'] or 'none'}-{rng.start}-{rng.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    out = csv.writer(response)
    out.writerow(
        ["source_ip", "reverse_dns", "asn", "as_name", "country", "service", "service_by_network", "category",
         "messages", "dmarc_pass", "dmarc_fail", "dmarc_pass_pct", "dkim_aligned", "dkim_aligned_pct",
         "spf_aligned", "spf_aligned_pct", "none", "quarantined", "rejected", "first_seen", "last_seen"]
    )  # fmt: skip
    for s in rows:
        a = s.about
        out.writerow(
            [s.ip, _cell(s.name), "" if a.asn is None else a.asn, _cell(a.as_name), _cell(a.country),
             _cell(a.service), "yes" if a.by_network else "", a.category, s.messages, s.dmarc_pass,
             s.dmarc_fail, _pct(s.dmarc_pct), s.dkim_pass, _pct(s.dkim_pct), s.spf_pass, _pct(s.spf_pct),
             s.delivered, s.quarantined, s.rejected, s.first_seen, s.last_seen]
        )  # fmt: skip
    return response


@login_required
def senders(request):
    """One row per sending service of the domain over the range, and one for unidentified sources."""
    ctx = selection(request)
    rows = []
    if ctx["domain"]:
        try:
            rows = queries.service_summaries(ctx["domain"], ctx["rng"])
            trend_context.with_service_trends(rows, ctx["domain"], ctx["rng"])
        except ranking.NotRankedYet:
            ctx.update(_being_counted(request, ctx, None))
    ctx.update(
        rows=rows,
        stage=_stage(ctx["domain"]) if ctx["domain"] else None,
        unidentified=table.UNIDENTIFIED,
        service_ips=table.SERVICE_IPS,
        assessed=any(r.category for r in rows),
    )
    return render(request, "reports/dashboard/senders.html", ctx)


@login_required
def source(request, ip):
    # `ip` is canonical: the URL converter accepts only an address (reports.converters).
    if not request.GET.get("domain"):
        # A bare link (from a log, a chat) names only the address: open it for a domain that has its data.
        found = rollups.domain_of_source(ip, rollups.visible_domains(request.user))
        if found:
            return redirect(
                reverse("source", args=[ip]) + "?" + urlencode({**request.GET.dict(), "domain": found})
            )
    ctx = selection(request)
    if not ctx["domain"]:
        return redirect("overview")
    page = SourceFilterForm(request.GET).page_number()
    detail = queries.source_detail(ctx["domain"], ip, ctx["rng"])
    records = queries.source_records(ctx["domain"], ip, ctx["rng"], offset=(page - 1) * PAGE_SIZE)
    # The verdict is about how the sender is set up now, so it reads the last
    # rollout window of the range: older mail may predate a fix, and a year of a
    # busy sender's raw records would make the drill-down slow.
    rng = ctx["rng"]
    verdict_start = max(rng.start, rng.end - timedelta(days=WINDOW_DAYS - 1))
    verdict = readiness.source_verdict(ctx["domain"], ip, verdict_start, rng.end)
    ctx.update(
        ip=ip,
        detail=detail,
        verdict=verdict,
        service_trend=trend_context.service_trend(ctx["domain"], rng, detail.about.service_id),
        reporters=[(name, n, detail.reporters_verified.get(name, 0)) for name, n in detail.reporters],
        **_marking(request, ctx["domain"], ip, verdict.service if verdict else ""),
        records=records[:PAGE_SIZE],
        page=page,
        prev_url=f"?{urlencode({**ctx['keep'], 'page': page - 1})}" if page > 1 else "",
        next_url=f"?{urlencode({**ctx['keep'], 'page': page + 1})}" if len(records) > PAGE_SIZE else "",
        chart=trend_context.source_chart(detail.daily, rng),
    )
    return render(request, "reports/dashboard/source.html", ctx)


def _marking(request, domain: str, ip: str, service: str) -> dict:
    """The mark that applies to the source, and what the operator may mark: the address, its network
    (a /24, or a /48 for IPv6) and its service when it has one."""
    marks = marks_queries.marks(domain)
    network = ipaddress.ip_network(f"{ip}/{24 if ':' not in ip else 48}", strict=False)
    targets = [("this address", ip), (f"the network {network}", str(network))]
    if service:
        targets.append((f"every source of {service}", service))
    return {
        "mark": mark_for(marks, ip, service),
        "mark_targets": targets,
        "may_mark": guard.can(request, rules.MARK_SENDERS, domain),
    }


@login_required
def bad_url_part(request, what):
    return render(request, "reports/dashboard/bad_request.html", {"what": what}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def status(request):
    if request.method == "POST":
        guard.require(request, rules.UPLOAD)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            # Parsing belongs to a worker: the request only saves the files.
            for f in form.cleaned_data["files"]:
                audit.record(request.user, AuditEntry.UPLOAD, f.name, bytes=f.size)
            saved = [save_upload(f, request.user) for f in form.cleaned_data["files"]]
            for upload in saved:
                if upload.pending:
                    transaction.on_commit(partial(_queue_upload, request, upload.pk))
            # Redirect so that a reload does not upload the files again.
            return redirect("uploads")
    else:
        form = UploadForm()
    ctx = selection(request)
    ctx.update(
        form=form,
        rejections=Rejection.objects.defer("original").order_by("-created")[:50],
        rejection_count=Rejection.objects.filter(resolved=None).count(),
        mailboxes=mailboxes_for_status_page(with_failed=request.user.is_superuser),
        **_untrusted_input(),
        alert_trouble=alert_delivery.trouble(),
    )
    # The monitored domains a user is not granted stay unnamed, as on every other page.
    ctx["any_monitored"] = bool(ctx["monitored"])
    ctx["monitored"] = access_for(request.user).domains(ctx["monitored"])
    # Rejected inputs belong to no domain, and their names and errors may name any: admins only.
    ctx.update(
        can_upload=guard.can(request, rules.UPLOAD),
        can_retry=guard.can(request, rules.RETRY),
        show_rejections=request.user.is_superuser,
    )
    if request.user.is_superuser:
        ctx["failed_without_bytes"] = failed_without_bytes()
        ctx["max_failed_bytes"] = settings.DMARC_MAX_FAILED_MAIL_BYTES
    return render(request, "reports/dashboard/status.html", ctx)


def _untrusted_input() -> dict:
    """What the status page says about monitored domains and the rejected bytes kept."""
    return {
        "monitored": domains.configured(),
        "foreign": ForeignReport.objects.order_by("-reports", "domain")[:FOREIGN_SHOWN],
        "foreign_total": ForeignReport.objects.aggregate(n=Sum("reports"))["n"] or 0,
        # Bytes dropped past DMARC_MAX_REJECTED_BYTES: the row stays, its sha256 says it had some.
        "rejections_dropped": Rejection.objects.filter(original=None).exclude(sha256="").count(),
        "max_rejected_bytes": settings.DMARC_MAX_REJECTED_BYTES,
    }


def _queue_upload(request, pk: int) -> None:
    try:
        queue_upload(pk)
    except BrokerError as e:
        log.warning("cannot queue upload %s: %s", pk, e)
        messages.warning(
            request, "The task queue is not reachable: the file is saved and will be ingested once it is."
        )


@login_required
def domain_list(request):
    # Only the user's domains: guard.domains answers 403 to a user without any grant.
    rows = domain_table.domain_rows(guard.domains(request, rollups.monitored()))
    for row in rows:
        if row.verdict is None and row.current.messages:
            # Computed by a worker, once per domain however many pages ask.
            rollout_tasks.queue_summary(row.name)
    ctx = {
        "rows": rows,
        "period_days": domain_table.PERIOD_DAYS,
        "report_days": settings.DMARC_FRESH_REPORT_DAYS,
        "assessing": any(r.verdict is None for r in rows),
    }
    return render(request, "reports/dashboard/domains.html", ctx)
