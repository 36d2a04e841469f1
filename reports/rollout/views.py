"""Rollout assistant pages: readiness per domain, how classification works, and the DNS refresh action."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as BrokerError

from reports.access import audit, guard, quota
from reports.access import rules as access_rules
from reports.access.models import AuditEntry
from reports.ingest.models import Report
from reports.rollout import queries
from reports.rollout.demo import install_demo_dns, is_demo
from reports.rollout.tasks import queue_summary, queue_window, resolve_sources
from reports.shared import vocabulary
from reports.shared.dates import STORED_WINDOWS, WINDOW_DAYS
from reports.shared.names import normalise
from reports.shared.vocabulary import ALIGNED_SHARE, NOISE_SHARE
from reports.sources.queries import own_services
from reports.sources.services import KIND_LABELS, table

log = logging.getLogger(__name__)

DAY_CHOICES = STORED_WINDOWS


def _domain_or_404(domain: str) -> str:
    domain = normalise(domain)
    if not Report.objects.filter(domain=domain).exists():
        raise Http404("No reports for this domain")
    return domain


def _days(request) -> int:
    return _days_asked(request)[0]


def _days_asked(request) -> tuple[int, str]:
    """The window asked for, and what is wrong with it ("" when nothing): a bad one is said, not hidden."""
    asked = request.GET.get("days")
    if asked is None:
        return WINDOW_DAYS, ""
    try:
        days = int(asked)
    except ValueError:
        days = 0
    if 1 <= days <= 366:
        return days, ""
    return (
        WINDOW_DAYS,
        f"days must be a whole number from 1 to 366. Showing the last {WINDOW_DAYS} days instead.",
    )


@login_required
def readiness(request, domain):
    domain = guard.domain_or_404(request, _domain_or_404(domain))
    days, days_error = _days_asked(request)
    ctx = {
        "domain": domain,
        "days": days,
        "days_error": days_error,
        "day_choices": DAY_CHOICES,
        "qs": urlencode({"domain": domain}),
    }
    # The page reads what a worker computed (reports.rollout.actions): never an assessment here.
    # Another window than the page's choices is computed on demand, within the user's hourly share.
    if days in STORED_WINDOWS:
        shown = queries.stored_page(domain, days)
        queue = partial(queue_summary, domain, days)
    else:
        shown = queries.on_demand_page(domain, days)
        queue = partial(queue_window, domain, days, partial(quota.take, request.user))
    if shown is None:
        ctx["queued"] = queued = queue()
        ctx["throttled"] = queued is None
        return render(request, "reports/rollout/pending.html", ctx)
    ctx.update(
        r=shown,
        may_mark=guard.can(request, access_rules.MARK_SENDERS, domain),
        can_refresh=guard.can(request, access_rules.REFRESH_DNS, domain),
        source_qs=urlencode(
            {
                "domain": domain,
                "range": "custom",
                "start": shown["start"].isoformat(),
                "end": shown["end"].isoformat(),
            }
        ),
    )
    return render(request, "reports/rollout/readiness.html", ctx)


@login_required
@require_POST
def refresh_dns(request, domain):
    domain = guard.domain_or_404(request, _domain_or_404(domain), access_rules.REFRESH_DNS)
    audit.record(request.user, AuditEntry.REFRESH_DNS, domain)
    days = _days(request)
    if is_demo(domain):
        # The demo's names exist nowhere: a live lookup would turn its verdict by itself.
        install_demo_dns()
        queue_summary(domain, days)
        messages.info(request, f"{domain} is a demo domain with no live DNS: its demo records were kept.")
        return _back_to_readiness(domain, days)
    # DNS lookups belong to a worker: it fetches the records again and stores a new summary.
    if queue_summary(domain, days, refresh_dns=True):
        messages.success(request, f"DNS records of {domain} are being fetched again: reload in a moment.")
    else:
        messages.warning(request, "The DNS records could not be queued: the task queue is not reachable.")
    # Source names take longer (lookups per source): a worker resolves them.
    try:
        resolve_sources.delay(domain=domain)
    except BrokerError as e:
        log.warning("cannot queue reverse DNS for %s: %s", domain, e)
        messages.warning(request, "Source names could not be queued: the task queue is not reachable.")
    return _back_to_readiness(domain, days)


def _back_to_readiness(domain: str, days: int):
    url = reverse("rollout", args=[domain])
    return redirect(f"{url}?days={days}" if days != WINDOW_DAYS else url)


@login_required
def how(request):
    guard.require(request, access_rules.VIEW)
    senders = own_services() + sorted(table(), key=lambda s: (s.kind, s.name.lower()))
    ctx = {
        "r": vocabulary,
        "senders": senders,
        "kind_labels": KIND_LABELS,
        "aligned_share": f"{ALIGNED_SHARE:.0%}",
        "noise_share": f"{NOISE_SHARE:.0%}",
        "fresh_days": settings.DMARC_FRESH_REPORT_DAYS,
        "fresh_hours": settings.DMARC_FRESH_POLL_HOURS,
    }
    return render(request, "reports/rollout/how.html", ctx)
