"""Where Celery's autodiscovery looks: each capability keeps its tasks in its own package."""

from reports.mail.tasks import (
    check_mailbox,
    forget_raw_mail,
    ingest_message,
    poll_all_mailboxes,
    poll_mailbox,
)
from reports.rollout.tasks import refresh_readiness, refresh_summary, resolve_reverse_dns, resolve_sources

__all__ = [
    "check_mailbox",
    "forget_raw_mail",
    "ingest_message",
    "poll_all_mailboxes",
    "poll_mailbox",
    "refresh_readiness",
    "refresh_summary",
    "resolve_reverse_dns",
    "resolve_sources",
]
