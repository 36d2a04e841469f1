"""The Celery app: workers poll mailboxes and ingest the messages found there.

Start a worker with `celery -A dmarcapp worker` and the scheduler with
`celery -A dmarcapp beat`. Configuration comes from Django settings (CELERY_*),
the beat schedule included (CELERY_BEAT_SCHEDULE).
"""

import os
import sys

from celery import Celery
from celery.signals import setup_logging, task_prerun

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


if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # Celery sets up logging of its own unless a receiver of setup_logging does: Django's LOGGING
    # (one JSON object per line, reports/ops/logs.py) then serves the workers as it serves the web.
    @setup_logging.connect
    def _keep_django_logging(**kwargs):
        from logging.config import dictConfig

        from django.conf import settings

        dictConfig(settings.LOGGING)
