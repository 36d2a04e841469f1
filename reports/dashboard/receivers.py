"""What the dashboard does when reports change or a domain is assessed: the source rankings and sender
totals that pages still read are computed again by a worker (reports.dashboard.ranking)."""

from __future__ import annotations

from reports.shared import events
from reports.shared.dates import WINDOW_DAYS


def reports_changed(sender, domains, days, **kwargs) -> None:
    # Imported when first needed: loading Celery at start-up would slow every command.
    from reports.dashboard.tasks import queue_rankings

    for domain in sorted(domains):
        queue_rankings(domain)


def readiness_assessed(sender, domain, days, **kwargs) -> None:
    # The sender totals group the sources by the services the default window's assessment found.
    if days == WINDOW_DAYS:
        reports_changed(sender, frozenset([domain]), frozenset())


def connect() -> None:
    events.reports_changed.connect(reports_changed, dispatch_uid="dashboard")
    events.readiness_assessed.connect(readiness_assessed, dispatch_uid="dashboard")
