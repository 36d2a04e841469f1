"""Marking a sender from a page: operators and admins mark, everyone who sees the domain sees the marks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from reports.access import audit, guard, redirects
from reports.access import rules as access_rules
from reports.access.models import AuditEntry
from reports.marks import actions, rules
from reports.shared.names import normalise


@login_required
@require_POST
def mark(request, domain):
    domain = guard.domain_or_404(request, normalise(domain), access_rules.MARK_SENDERS)
    source = request.POST.get("source", "")[:255]
    verdict = request.POST.get("verdict", "")
    try:
        if verdict == "clear":
            actions.clear_mark(domain, source)
            audit.record(request.user, AuditEntry.MARK, domain, source=source, verdict="clear")
            messages.success(request, f"The mark on {source} was taken off.")
        else:
            m = actions.set_mark(domain, source, verdict, request.user.get_username())
            audit.record(request.user, AuditEntry.MARK, domain, source=m.value, verdict=m.verdict)
            messages.success(request, f"The {m.target} is now marked {m.label} for {domain}.")
    except rules.MarkError as e:
        messages.error(request, str(e))
    else:
        # Readiness, its what-if and the overview's badge follow the marks: a worker recomputes them
        # (reports.rollout.receivers).
        messages.info(request, f"The readiness of {domain} is being computed again with this mark.")
    return redirects.back(request, "/")
