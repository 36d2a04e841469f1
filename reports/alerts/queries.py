"""What other pages show of the alerts: read from the alert rows, never computed in a request."""

from __future__ import annotations

from reports.alerts.models import Alert

OVERVIEW_SHOWN = 10


def open_alerts(domain: str | None, limit: int = OVERVIEW_SHOWN):
    """The open alerts of a domain and of the mailboxes, newest first (the overview's list)."""
    rows = Alert.objects.filter(domain__in=[domain or "", ""], resolved__isnull=True)
    return list(rows.only("severity", "title").order_by("-opened")[:limit])
