"""Marking a sender from a page: operators and admins mark, everyone else sees the marks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from reports.access import visible_domains
from reports.ingest.alignment import normalise
from reports.marks import rules, store

PERMISSION = "reports.mark_sender"


def may_mark(user) -> bool:
    return user.is_superuser or user.has_perm(PERMISSION)


@login_required
@require_POST
def mark(request, domain):
    domain = normalise(domain)
    visible = visible_domains(request.user)
    if not may_mark(request.user) or (visible is not None and domain not in visible):
        raise PermissionDenied("Only operators and admins may mark senders.")
    source = request.POST.get("source", "")[:255]
    verdict = request.POST.get("verdict", "")
    try:
        if verdict == "clear":
            store.clear_mark(domain, source)
            messages.success(request, f"The mark on {source} was taken off.")
        else:
            m = store.set_mark(domain, source, verdict, request.user.get_username())
            messages.success(request, f"The {m.target} is now marked {m.label} for {domain}.")
    except rules.MarkError as e:
        messages.error(request, str(e))
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    return redirect(nxt)
