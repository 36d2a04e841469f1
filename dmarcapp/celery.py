"""The Celery app: workers poll mailboxes and ingest the messages found there.

Start a worker with `celery -A dmarcapp worker` and the scheduler with
`celery -A dmarcapp beat`. Configuration comes from Django settings (CELERY_*).
"""

import os
import sys

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmarcapp.settings")

app = Celery("dmarcapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fixup closes the database connection before and after every
# task unless told to reuse it, and a new connection costs more than ingesting
# a small report. Keep it, and let Django drop it before a task when it is
# broken or older than CONN_MAX_AGE, as it does between requests.
app.conf.CELERY_DB_REUSE_MAX = sys.maxsize


@task_prerun.connect
def _drop_stale_db_connections(sender=None, **kwargs):
    if not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


@app.on_after_configure.connect
def schedule_polls(sender, **kwargs):
    from django.conf import settings

    interval = settings.DMARC_POLL_INTERVAL
    # A run that could not start before the next one is due is dropped, so a
    # stalled worker does not come back to a pile of identical polls.
    sender.add_periodic_task(
        interval,
        sender.signature("reports.mail.tasks.poll_all_mailboxes"),
        name="poll mailboxes",
        expires=max(1, interval - min(30, interval // 10)),
    )
    # Reverse DNS and the overview's readiness summaries are computed here,
    # never inside a page request.
    for name, task, every in (
        ("reverse dns", "reports.rollout.tasks.resolve_reverse_dns", 900),
        ("readiness summaries", "reports.rollout.tasks.refresh_readiness", 600),
        ("forget raw mail", "reports.mail.tasks.forget_raw_mail", 3600),
        ("purge old reports", "reports.ingest.tasks.purge_old_reports", 86400),
        ("queue waiting uploads", "reports.ingest.tasks.queue_waiting_uploads", 300),
    ):
        sender.add_periodic_task(every, sender.signature(task), name=name, expires=every - 60)
