"""The task beat sends every DMARC_HEARTBEAT_SECONDS, so that beat's sign of life (the time it last
sent a task, reports.ops.heartbeat) never waits for a long schedule."""

from dmarcapp.celery import app


@app.task(ignore_result=True)
def beat_heartbeat():
    """Sending it is what counts: a worker has nothing to do with it."""
