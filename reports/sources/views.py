"""The DKIM selectors page: read from the tables a worker fills (reports.sources.selectors)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from reports.rollups.selection import selection
from reports.sources.selectors import selectors as domain_selectors


@login_required
def selectors(request):
    ctx = selection(request)
    ctx["selectors"] = domain_selectors(ctx["domain"]) if ctx["domain"] else []
    return render(request, "reports/sources/selectors.html", ctx)
