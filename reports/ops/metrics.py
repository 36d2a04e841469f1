"""The Prometheus collector behind /metrics: every name starts with dmarc_.

Counts the workers make (reports ingested, messages, ingest durations) are read from PostgreSQL
(reports.ops.counters); states (queue length, oldest unprocessed mail, mailbox polls, alert
deliveries, readiness summaries, signs of life) are read when scraped. Request durations are
measured in the web process; under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an
empty directory so that they are summed over all of them (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
from collections import defaultdict

import redis
from django.db.models import Count, Max, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from reports.alerts.models import Delivery
from reports.mail.models import Mailbox, MailMessage
from reports.ops import counters, heartbeat
from reports.ops.health import readiness
from reports.ops.rules import bucket_bounds
from reports.rollout.models import ReadinessSummary

REQUEST_SECONDS = Histogram(
    "dmarc_request_duration_seconds",
    "Seconds a web request took, by the view that answered it.",
    ["view", "method"],
    registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HISTOGRAM = "dmarc_ingest_duration_seconds"
HELP = {
    "dmarc_inputs_ingested": "Inputs read (an email, an upload, a file), by how they arrived.",
    "dmarc_reports_ingested": "Reports and parts read, by how they arrived and their outcome.",
    "dmarc_report_messages_ingested": "Messages counted by the reports imported, by how they arrived.",
}


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AppCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    return generate_latest(registry)


class AppCollector:
    def collect(self):
        yield from _counted()
        yield from _states()
        yield from _signs_of_life()

    def describe(self):
        return []


def _counted():
    by_name = defaultdict(list)
    for name, labels, value in counters.read():
        by_name[name].append((labels, value))
    for name, help_text in HELP.items():
        rows = by_name.get(name, [])
        keys = sorted({k for labels, _ in rows for k in labels})
        family = CounterMetricFamily(name, help_text, labels=keys)
        for labels, value in rows:
            family.add_metric([labels.get(k, "") for k in keys], value)
        yield family
    counted = {labels["le"]: value for labels, value in by_name.get(f"{HISTOGRAM}_bucket", [])}
    # Each bucket's row counts the inputs up to its bound already (rules.ingest_counts): cumulative.
    buckets = [(le, counted.get(le, 0.0)) for le in bucket_bounds()]
    total = sum(v for _, v in by_name.get(f"{HISTOGRAM}_sum", []))
    family = HistogramMetricFamily(HISTOGRAM, "Seconds the ingestion of one input took.")
    family.add_metric([], buckets, total)
    yield family


def _states():
    r = heartbeat.client()
    queue = GaugeMetricFamily("dmarc_queue_length", "Tasks waiting in the Celery queue.")
    try:
        queue.add_metric([], heartbeat.queue_length(r))
    except redis.RedisError:
        pass  # Redis down: no sample, and dmarc_ready{check="redis"} says why
    yield queue
    now = timezone.now()
    oldest = MailMessage.objects.filter(state=MailMessage.NEW, filed_at__isnull=True).aggregate(
        t=Min("created")
    )
    family = GaugeMetricFamily(
        "dmarc_oldest_unprocessed_mail_seconds", "Age of the oldest email recorded and not ingested yet."
    )
    family.add_metric([], (now - oldest["t"]).total_seconds() if oldest["t"] else 0)
    yield family
    family = GaugeMetricFamily(
        "dmarc_mailbox_last_success_timestamp_seconds",
        "When each enabled mailbox was last polled successfully (Unix time).",
        labels=["mailbox"],
    )
    for name, last in Mailbox.objects.filter(enabled=True).values_list("name", "last_success"):
        if last is not None:
            family.add_metric([name], last.timestamp())
    yield family
    family = GaugeMetricFamily("dmarc_alert_deliveries", "Alert messages by state.", labels=["state"])
    found = dict(Delivery.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    for state in (Delivery.PENDING, Delivery.SENT, Delivery.FAILED):
        family.add_metric([state], found.get(state, 0))
    yield family
    newest = ReadinessSummary.objects.aggregate(t=Max("computed"))["t"]
    family = GaugeMetricFamily(
        "dmarc_readiness_summary_age_seconds", "Seconds since a worker last stored a readiness summary."
    )
    if newest is not None:
        family.add_metric([], (now - newest).total_seconds())
    yield family


def _signs_of_life():
    result = readiness()
    ready = GaugeMetricFamily("dmarc_ready", "1 when the check of /readyz passes.", labels=["check"])
    ages = GaugeMetricFamily(
        "dmarc_sign_of_life_age_seconds",
        "Seconds since a worker's heartbeat, beat's last task.",
        labels=["of"],
    )
    for check in result.checks:
        ready.add_metric([check.name], 1 if check.ok else 0)
        if check.name in ("worker", "beat") and check.age is not None:
            ages.add_metric([check.name], check.age)
    yield ready
    yield ages
