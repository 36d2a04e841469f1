"""How one capability tells the others what changed: Django signals, sent once the change is committed.

The sender does not know who listens. A package that keeps something derived from reports, marks or
assessments connects its receivers in its own receivers.py, and ReportsConfig.ready() connects those.
So ingest never imports the rollout assistant, the dashboard or the alerts, and a new capability
reacts to imports without touching ingest.

  reports_changed(sender, domains: frozenset[str], days: frozenset[date])
      reports of these policy domains, covering these UTC days, were imported, deleted or purged
  marks_changed(sender, domain: str)
      the operator marked a sender of the domain, or took a mark off
  readiness_assessed(sender, domain: str, days: int)
      the readiness of the domain over a window of `days` days was assessed and stored
  tls_reports_changed(sender, domains: frozenset[str])
      SMTP TLS reports of these policy domains were imported
  input_ingested(sender, origin: str, statuses: dict[str, int], messages: int, seconds: float)
      one input (a file, an upload, an email) was read: its outcomes counted by status, the messages
      its imported reports count, and how long it took (the service's metrics count these)

Receivers run after the commit, in the sender's process, and must be quick (queue a task, no more).
One that fails is logged and does not stop the others, nor the sender: the change is committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.dispatch import Signal

reports_changed = Signal()
marks_changed = Signal()
readiness_assessed = Signal()
input_ingested = Signal()
tls_reports_changed = Signal()


def _after_commit(signal: Signal, sender, **kwargs) -> None:
    # send_robust: the change is already committed, a broken receiver (a broker outage) must not fail
    # the import or the page that made it; Django logs the error.
    transaction.on_commit(lambda: signal.send_robust(sender=sender, **kwargs))


def send_reports_changed(sender, domains: Iterable[str], days: Iterable[date]) -> None:
    """Send reports_changed once the current transaction commits (at once outside of one)."""
    domains = frozenset(d for d in domains if d)
    if domains:
        _after_commit(reports_changed, sender, domains=domains, days=frozenset(days))


def send_tls_reports_changed(sender, domains: Iterable[str]) -> None:
    domains = frozenset(d for d in domains if d)
    if domains:
        _after_commit(tls_reports_changed, sender, domains=domains)


def send_marks_changed(sender, domain: str) -> None:
    _after_commit(marks_changed, sender, domain=domain)


def send_readiness_assessed(sender, domain: str, days: int) -> None:
    _after_commit(readiness_assessed, sender, domain=domain, days=days)


def send_input_ingested(sender, origin: str, statuses: dict[str, int], messages: int, seconds: float) -> None:
    _after_commit(
        input_ingested, sender, origin=origin, statuses=dict(statuses), messages=messages, seconds=seconds
    )
