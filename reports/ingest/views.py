"""The ingest pages: the stored reports (list, detail, download of the original) and the uploads."""

from __future__ import annotations

import gzip
import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reports.access import guard, rules
from reports.access.queries import access_for
from reports.access.throttle import client_address
from reports.ingest import tls_post
from reports.ingest.forms import ReportFilterForm
from reports.ingest.models import Record, Report
from reports.ingest.uploads import recent as recent_uploads
from reports.rollups.selection import selection
from reports.sources.queries import source_names

PAGE_SIZE = 50


REPORT_LIST_FIELDS = (
    "id", "org_name", "report_id", "domain", "begin", "end", "p", "record_count", "message_count", "warnings",
    "created", "origin", "reporter_verified",
)  # fmt: skip


@login_required
def report_list(request):
    ctx = selection(request)
    reports = guard.visible(request, Report.objects.only(*REPORT_LIST_FIELDS).order_by("-begin", "-id"))
    if ctx["domain"]:
        reports = reports.filter(domain=ctx["domain"])
    q = ReportFilterForm(request.GET).search()
    if q:
        reports = reports.filter(org_name__icontains=q) | reports.filter(report_id__icontains=q)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    ctx.update(page_obj=page, q=q, page_qs=urlencode({**ctx["keep"], "q": q}) if q else ctx["qs"])
    return render(request, "reports/ingest/report_list.html", ctx)


@login_required
def report_detail(request, pk):
    report = get_object_or_404(Report.objects.defer("original"), pk=pk)
    guard.domain_or_404(request, report.domain)
    records = Record.objects.filter(report=report).order_by("-count", "id")
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    names = source_names(report.domain, sorted({str(r.source_ip) for r in page.object_list}))
    for r in page.object_list:
        r.about = names[str(r.source_ip)]
    ctx = selection(request)
    ctx.update(report=report, page_obj=page)
    return render(request, "reports/ingest/report_detail.html", ctx)


def _download_name(report: Report) -> str:
    name = f"{report.org_name}!{report.domain}!{int(report.begin.timestamp())}!{int(report.end.timestamp())}"
    return re.sub(r"[^A-Za-z0-9._!-]+", "_", name)[:200]


@login_required
def report_download(request, pk):
    report = get_object_or_404(
        Report.objects.only("id", "org_name", "domain", "begin", "end", "original"), pk=pk
    )
    guard.domain_or_404(request, report.domain)
    data = bytes(report.original)
    if request.GET.get("format") == "gz":
        response = HttpResponse(data, content_type="application/gzip")
        filename = _download_name(report) + ".xml.gz"
    else:
        response = HttpResponse(gzip.decompress(data), content_type="application/xml")
        filename = _download_name(report) + ".xml"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def uploads(request):
    access = access_for(request.user)
    rows = [_upload_row(u, request.user, access) for u in recent_uploads(request.user)]
    ctx = selection(request)
    ctx.update(uploads=rows, pending=any(r["upload"].pending for r in rows))
    return render(request, "reports/ingest/uploads.html", ctx)


def _upload_row(upload, user, access) -> dict:
    outcomes = upload.outcomes if isinstance(upload.outcomes, list) else []
    hidden = 0
    if upload.uploaded_by_id != user.pk and not access.everything:
        # Someone else's upload shows the reports of the user's domains only.
        shown = [o for o in outcomes if isinstance(o, dict) and access.may(rules.VIEW, o.get("domain") or "")]
        hidden, outcomes = len(outcomes) - len(shown), shown
    if upload.state == upload.QUEUED:
        note = "Waiting for a worker."
    elif upload.state == upload.WORKING:
        note = "Reading the file: more reports may follow." if outcomes else "Reading the file."
    elif upload.error:
        note = upload.error
    else:
        note = "" if outcomes or hidden else "No report found."
    if hidden:
        note = f"{note} {hidden} more report{'s' if hidden > 1 else ''} of domains you do not see.".strip()
    return {
        "upload": upload,
        "outcomes": outcomes,
        "note": note,
        "failed": upload.state == upload.FAILED,
        "span": len(outcomes) + (1 if note else 0),
    }


@csrf_exempt  # RFC 8460: reporters POST without a session; tls_post bounds what they may send
@require_POST
def tlsrpt_intake(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    answer = tls_post.receive(
        request.content_type or "", length, lambda: request.body, client_address(request)
    )
    return JsonResponse(answer.body, status=answer.status)
