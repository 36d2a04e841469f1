"""What the service's metrics count across processes (reports.ops)."""

from django.db import models


class MetricCount(models.Model):
    """One counter of the metrics, summed by every worker that adds to it (reports.ops.counters).

    A counter kept in a worker's memory would be lost with the worker and unseen by the web
    processes that answer /metrics; a row is neither."""

    name = models.CharField(max_length=100)
    # The metric's labels as sorted JSON ('{"kind": "mail", "outcome": "imported"}'), '{}' for none.
    labels = models.CharField(max_length=500, default="{}")
    value = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="metriccount_identity")]

    def __str__(self):
        return f"{self.name}{self.labels} {self.value}"
