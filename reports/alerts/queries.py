"""Reading the alert rows: what the pages show (never computed in a request), and the open alerts an
evaluation starts from."""

from __future__ import annotations

from reports.alerts.models import Alert
from reports.alerts.state import OpenAlert

OVERVIEW_SHOWN = 10


def open_alerts(domain: str | None, limit: int = OVERVIEW_SHOWN):
    """The open alerts of a domain and of the mailboxes, newest first (the overview's list)."""
    rows = Alert.objects.filter(domain__in=[domain or "", ""], resolved__isnull=True)
    return list(rows.only("severity", "title").order_by("-opened")[:limit])


def open_states(domains: list[str]) -> list[OpenAlert]:
    """The open alerts of the domains, as the state machine (reports.alerts.state) takes them."""
    rows = Alert.objects.filter(resolved__isnull=True, domain__in=domains)
    return [OpenAlert(a.key, a.domain, a.rule, a.subject, a.announce_resolved) for a in rows]
