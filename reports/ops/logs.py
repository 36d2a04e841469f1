"""LOG_FORMAT=json: one JSON object per line, for a log platform (Loki, Elasticsearch, CloudWatch).

Each line has time, level, logger, message, and the id of the request (the X-Request-ID it came
with, or a new one) or of the Celery task it was written in; an exception's traceback goes in
"exception". What the messages say is what the plain format says: secrets are scrubbed where the
messages are made (reports.mail.errors.scrub), before any formatter sees them.

Loaded by the LOGGING setting before the apps: it imports no model."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id = contextvars.ContextVar("request_id", default="")


def _task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a requirement
        return ""
    task = current_task
    return (getattr(task.request, "id", None) or "") if task else ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Django logs a request's 4xx/5xx after the middleware has returned: from the request then.
        if rid := request_id.get() or getattr(getattr(record, "request", None), "request_id", ""):
            line["request_id"] = rid
        if tid := _task_id():
            line["task_id"] = tid
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # ensure_ascii: a newline or a control character in a message never breaks the line apart.
        return json.dumps(line, ensure_ascii=True, default=str)
