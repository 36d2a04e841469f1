"""Where Celery's autodiscovery looks: each capability keeps its tasks in its own package."""

from reports.mail.tasks import forget_raw_mail, ingest_message, poll_all_mailboxes, poll_mailbox
from reports.rollout.tasks import refresh_readiness, refresh_summary, resolve_reverse_dns

__all__ = [
    "forget_raw_mail",
    "ingest_message",
    "poll_all_mailboxes",
    "poll_mailbox",
    "refresh_readiness",
    "refresh_summary",
    "resolve_reverse_dns",
]
