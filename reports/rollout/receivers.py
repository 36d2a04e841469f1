"""What the rollout assistant does when reports or marks change: a worker assesses the domain again,
for every window whose summary is kept."""

from __future__ import annotations

from reports.shared import events


def reports_changed(sender, domains, days, **kwargs) -> None:
    # Imported when first needed: loading Celery at start-up would slow every command, import_reports
    # the most, and most never queue anything.
    from reports.rollout.tasks import queue_domain_summaries

    for domain in sorted(domains):
        queue_domain_summaries(domain)


def marks_changed(sender, domain, **kwargs) -> None:
    # Readiness, its what-if and the overview's badge follow the marks.
    reports_changed(sender, frozenset([domain]), frozenset())


def connect() -> None:
    events.reports_changed.connect(reports_changed, dispatch_uid="rollout")
    events.marks_changed.connect(marks_changed, dispatch_uid="rollout")
