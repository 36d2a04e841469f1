"""What the service's metrics and probes hear: ingested inputs (reports.shared.events), and the
start and end of Celery workers and beat (Celery's signals, in those processes only)."""

from __future__ import annotations

import logging

from celery import signals as celery_signals

from reports.ops import counters, heartbeat, logs, rules
from reports.shared import events

log = logging.getLogger(__name__)
_in_beat = False


def count_input(sender, origin, statuses, messages, seconds, **kwargs):
    counters.add(rules.ingest_counts(origin, statuses, messages, seconds))


def _worker_ready(sender=None, **kwargs):
    heartbeat.start_worker_heartbeat(sender.hostname)


def _worker_shutdown(sender=None, **kwargs):
    heartbeat.worker_gone(getattr(sender, "hostname", "") or "")


def _beat_init(sender=None, **kwargs):
    global _in_beat
    _in_beat = True
    heartbeat.beat()


def _task_sent(sender=None, headers=None, **kwargs):
    if _in_beat:
        heartbeat.beat()
    # A task queued by a request carries the request's id: the worker's lines about it say it too.
    if headers is not None and (rid := logs.request_id.get()):
        headers["dmarc_request_id"] = rid


def _task_starts(task=None, **kwargs):
    rid = getattr(task.request, "dmarc_request_id", None) if task is not None else None
    logs.request_id.set(rid if isinstance(rid, str) else "")


def connect() -> None:
    events.input_ingested.connect(count_input, dispatch_uid="ops.count_input")
    celery_signals.worker_ready.connect(_worker_ready, weak=False, dispatch_uid="ops.worker_ready")
    celery_signals.worker_shutdown.connect(_worker_shutdown, weak=False, dispatch_uid="ops.worker_shutdown")
    celery_signals.beat_init.connect(_beat_init, weak=False, dispatch_uid="ops.beat_init")
    celery_signals.before_task_publish.connect(_task_sent, weak=False, dispatch_uid="ops.task_sent")
    celery_signals.task_prerun.connect(_task_starts, weak=False, dispatch_uid="ops.task_starts")
