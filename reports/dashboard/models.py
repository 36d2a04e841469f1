"""What workers compute for the pages of big domains: source rankings and sender totals."""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class SourceRanking(models.Model):
    """A domain's sources over a range in one order of the sources table (SourceFilter.order_key: the
    sort, its direction, and the "failing" and "new" filters), computed by a worker for domains too
    big to rank within a request.

    It is read only while `fingerprint` is that of the DomainDay rows it was computed from (the
    range's, or all the domain's when the order reads first/last seen ever): then none of those
    records has changed, and the ranking is exactly what a live query would give
    (reports.dashboard.ranking).
    """

    domain = models.CharField(max_length=255)
    start = models.DateField()
    end = models.DateField()
    order_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, help_text="Of the DomainDay rows it was computed from.")
    sources = models.PositiveIntegerField()
    ips = ArrayField(models.GenericIPAddressField(), help_text="Every source, the busiest first.")
    computed = models.DateTimeField()
    seconds = models.FloatField(default=0, help_text="How long the computation took.")
    # Rankings no page asked for in a while are no longer recomputed after imports, and then dropped.
    read = models.DateTimeField()

    class Meta:
        constraints = [
            # Also serves the pages: one ranking per domain, range and order.
            models.UniqueConstraint(
                fields=["domain", "start", "end", "order_key"], name="sourceranking_identity"
            ),
        ]

    def __str__(self):
        return f"{self.domain} {self.start}..{self.end} {self.order_key}"


class SenderTotals(models.Model):
    """The senders page's rows of a big domain over a range (per service and category: sources, sums
    and busiest addresses), computed by a worker. Read like SourceRanking, while both the range's
    DomainDay rows and the domain's SourceService rows (the services the last assessment found) are
    those it was computed from."""

    domain = models.CharField(max_length=255)
    start = models.DateField()
    end = models.DateField()
    fingerprint = models.CharField(max_length=64, help_text="Of the DomainDay rows of the range.")
    services_fingerprint = models.CharField(max_length=64, help_text="Of the domain's SourceService rows.")
    rows = models.JSONField(default=list)
    computed = models.DateTimeField()
    seconds = models.FloatField(default=0, help_text="How long the computation took.")
    read = models.DateTimeField()

    class Meta:
        verbose_name_plural = "sender totals"
        constraints = [
            # Also serves the page: one per domain and range.
            models.UniqueConstraint(fields=["domain", "start", "end"], name="sendertotals_identity"),
        ]

    def __str__(self):
        return f"{self.domain} {self.start}..{self.end}"
