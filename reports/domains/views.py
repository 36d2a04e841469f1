"""The domains list: every monitored domain's state on one page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from reports.access import guard
from reports.domains import queries
from reports.rollout import tasks as rollout_tasks


@login_required
def domain_list(request):
    # Only the user's domains: guard.domains answers 403 to a user without any grant.
    rows = queries.domain_rows(guard.domains(request, queries.monitored(None)))
    for row in rows:
        if row.verdict is None and row.current.messages:
            # Computed by a worker, once per domain however many pages ask.
            rollout_tasks.queue_summary(row.name)
    ctx = {
        "rows": rows,
        "period_days": queries.PERIOD_DAYS,
        "report_days": settings.DMARC_FRESH_REPORT_DAYS,
        "assessing": any(r.verdict is None for r in rows),
    }
    return render(request, "reports/domains/list.html", ctx)
