"""Counters kept in PostgreSQL: every worker adds to the same rows, every web process reads them.

Prometheus counters of prometheus_client live in one process's memory: a report a Celery worker
ingests would never show in the /metrics of a gunicorn worker. One UPSERT per ingested input costs
less than the input's own transaction."""

from __future__ import annotations

import json

from django.db import connection

from reports.ops.models import MetricCount

_ADD = """
INSERT INTO reports_metriccount (name, labels, value) VALUES {rows}
ON CONFLICT (name, labels) DO UPDATE SET value = reports_metriccount.value + EXCLUDED.value
"""


def _labels(labels) -> str:
    return json.dumps(dict(labels), sort_keys=True)


def add(counts: dict) -> None:
    """Add {(name, ((label, value), ...)): amount} to the counters, creating those not there yet."""
    if not counts:
        return
    # Sorted: two workers adding to the same counters lock their rows in the same order, no deadlock.
    rows = sorted((name, _labels(labels), float(amount)) for (name, labels), amount in counts.items())
    with connection.cursor() as cur:
        cur.execute(_ADD.format(rows=", ".join(["(%s, %s, %s)"] * len(rows))), [v for r in rows for v in r])


def read() -> list[tuple[str, dict, float]]:
    """Every counter: (name, labels, value)."""
    return [
        (name, json.loads(labels), value)
        for name, labels, value in MetricCount.objects.order_by("name", "labels").values_list(
            "name", "labels", "value"
        )
    ]
