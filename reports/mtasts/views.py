"""The TLS page of a domain, and its drill-down per receiving MX: stored rows and checks only."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from reports.access import guard
from reports.mtasts import actions, queries
from reports.mtasts.models import MtaStsCheck
from reports.tlsrpt import queries as tlsrpt

DAY_CHOICES = (7, 30, 90, 365)


def _range(request):
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in DAY_CHOICES else 30
    end = timezone.now().date()
    return days, end - timedelta(days=days - 1), end


def _domain(request, domain: str) -> str:
    domain = guard.domain_or_404(request, domain)
    if not tlsrpt.has_reports(domain) and not MtaStsCheck.objects.filter(domain=domain).exists():
        raise Http404("No TLS reports for this domain")
    return domain


@login_required
def tls(request, domain):
    domain = _domain(request, domain)
    days, start, end = _range(request)
    s = tlsrpt.summary(domain, start, end)
    stage, stage_from = queries.stages([domain]).get(domain, ("none", ""))
    check = MtaStsCheck.objects.filter(domain=domain).first()
    chart = {
        "days": [d.isoformat() for d, _ in s.days],
        "rate": [x.rate for _, x in s.days],
        "ok": [x.successful for _, x in s.days],
        "failed": [x.failed for _, x in s.days],
    }
    ctx = {
        "domain": domain,
        "days": days,
        "day_choices": DAY_CHOICES,
        "s": s,
        "chart": chart,
        "stage": stage,
        "stage_from": stage_from,
        "check": check,
        # The stored check and three weeks of indexed rows: what `rollout --mta-sts` says, no DNS.
        "advice": actions.advice_from(domain, check),
    }
    return render(request, "reports/mtasts/tls.html", ctx)


@login_required
def tls_mx(request, domain, mx):
    domain = _domain(request, domain)
    days, start, end = _range(request)
    detail = tlsrpt.mx_detail(domain, mx, start, end)
    ctx = {"domain": domain, "mx": mx, "days": days, "day_choices": DAY_CHOICES, "d": detail}
    return render(request, "reports/mtasts/tls_mx.html", ctx)
