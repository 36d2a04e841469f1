"""Where Celery's autodiscovery looks: each capability keeps its tasks in its own package."""

from reports.alerts.tasks import evaluate_alerts, send_alert_deliveries, send_weekly_digests
from reports.dashboard.tasks import rank_sources, total_senders
from reports.ingest.tasks import ingest_upload, purge_old_reports, queue_waiting_uploads
from reports.mail.tasks import (
    check_mailbox,
    forget_raw_mail,
    ingest_message,
    poll_all_mailboxes,
    poll_mailbox,
)
from reports.ops.tasks import beat_heartbeat
from reports.rollout.tasks import refresh_readiness, refresh_summary, resolve_reverse_dns, resolve_sources
from reports.sources.tasks import refresh_dkim_selectors, refresh_service_trends

__all__ = [
    "beat_heartbeat",
    "evaluate_alerts",
    "send_alert_deliveries",
    "send_weekly_digests",
    "rank_sources",
    "total_senders",
    "check_mailbox",
    "forget_raw_mail",
    "ingest_message",
    "ingest_upload",
    "poll_all_mailboxes",
    "poll_mailbox",
    "purge_old_reports",
    "queue_waiting_uploads",
    "refresh_dkim_selectors",
    "refresh_readiness",
    "refresh_service_trends",
    "refresh_summary",
    "resolve_reverse_dns",
    "resolve_sources",
]
