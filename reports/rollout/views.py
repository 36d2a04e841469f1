"""Rollout assistant pages: readiness per domain, how classification works, and the DNS refresh action."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as BrokerError

from reports.demo.scenarios import install_demo_dns, is_demo
from reports.ingest.alignment import normalise
from reports.marks.views import may_mark
from reports.models import Report
from reports.rollout import readiness as assessment
from reports.rollout import rules
from reports.rollout.senders import KIND_LABELS, table

log = logging.getLogger(__name__)

DAY_CHOICES = (14, 30, 60, 90)
SOURCES_SHOWN = 50  # per category: spoofers come from thousands of addresses


def _domain_or_404(domain: str) -> str:
    domain = normalise(domain)
    if not Report.objects.filter(domain=domain).exists():
        raise Http404("No reports for this domain")
    return domain


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", rules.WINDOW_DAYS))
    except ValueError:
        return rules.WINDOW_DAYS
    return days if 1 <= days <= 366 else rules.WINDOW_DAYS


@login_required
def readiness(request, domain):
    domain = _domain_or_404(domain)
    days = _days(request)
    r = assessment.assess(domain, days=days)
    qs = urlencode(
        {"domain": domain, "range": "custom", "start": r.start.isoformat(), "end": r.end.isoformat()}
    )
    groups = []
    for category in rules.CATEGORIES:
        sources = r.by_category[category]
        groups.append(
            {
                "category": category,
                "sources": sources[:SOURCES_SHOWN],
                "hidden": max(0, len(sources) - SOURCES_SHOWN),
                "count": len(sources),
                "messages": sum(s.messages for s in sources),
            }
        )
    ctx = {
        "r": r,
        "domain": domain,
        "days": days,
        "day_choices": DAY_CHOICES,
        "groups": groups,
        "failed_checks": [c for c in r.checks if not c.ok and c.blocking],
        "passed_checks": [c for c in r.checks if c.ok and c.blocking],
        "advice": [c for c in r.checks if not c.blocking] + r.notes,
        "what_if": r.what_if,
        "fresh": r.freshness,
        "may_mark": may_mark(request.user),
        "threshold": f"{rules.ALIGNED_SHARE:.0%}",
        "source_qs": qs,
        "qs": urlencode({"domain": domain}),
    }
    return render(request, "reports/rollout_readiness.html", ctx)


@login_required
@require_POST
def refresh_dns(request, domain):
    domain = _domain_or_404(domain)
    if is_demo(domain):
        # The demo's names exist nowhere: a live lookup would turn its verdict by itself.
        install_demo_dns()
        assessment.assess(domain)
        messages.info(request, f"{domain} is a demo domain with no live DNS: its demo records were kept.")
        return _back_to_readiness(request, domain)
    assessment.assess(domain, refresh_dns=True)  # also refreshes the overview's summary
    messages.success(request, f"DNS records of {domain} fetched again.")
    # Reverse DNS names take longer (one lookup per source): a worker resolves them.
    from reports.rollout.tasks import resolve_reverse_dns

    try:
        resolve_reverse_dns.delay(domain=domain)
    except BrokerError as e:
        log.warning("cannot queue reverse DNS for %s: %s", domain, e)
        messages.warning(request, "Reverse DNS names could not be queued: the task queue is not reachable.")
    return _back_to_readiness(request, domain)


def _back_to_readiness(request, domain):
    url = reverse("rollout", args=[domain])
    days = _days(request)
    return redirect(f"{url}?days={days}" if days != rules.WINDOW_DAYS else url)


@login_required
def how(request):
    senders = sorted(table(), key=lambda s: (s.kind, s.name.lower()))
    ctx = {
        "r": rules,
        "senders": senders,
        "kind_labels": KIND_LABELS,
        "aligned_share": f"{rules.ALIGNED_SHARE:.0%}",
        "noise_share": f"{rules.NOISE_SHARE:.0%}",
        "fresh_days": settings.DMARC_FRESH_REPORT_DAYS,
        "fresh_hours": settings.DMARC_FRESH_POLL_HOURS,
    }
    return render(request, "reports/rollout_how.html", ctx)
