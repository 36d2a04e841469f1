"""The rollout assistant's stored state: DNS answers, and readiness summaries computed by a worker."""

from django.db import models


class DnsCache(models.Model):
    """Answers of the DNS inspector (DMARC, SPF and DKIM records), kept until they expire.

    Pages read them instead of waiting on the DNS; the readiness page's Refresh
    button asks again.
    """

    name = models.CharField(max_length=255)
    rdtype = models.CharField(max_length=8)
    answer = models.JSONField(default=list, blank=True)  # TXT texts (joined) or names
    error = models.CharField(max_length=255, blank=True)  # nxdomain, nodata, timeout, ...
    fetched = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        constraints = [
            # Also serves the lookup: one name and type.
            models.UniqueConstraint(fields=["name", "rdtype"], name="dnscache_identity"),
        ]

    def __str__(self):
        return f"{self.name} {self.rdtype}"


class ReadinessSummary(models.Model):
    """A domain's readiness over a window, computed by a Celery task and read by the pages.

    `page_state` holds everything the readiness page shows (reports.rollout.page),
    pickled, bounded whatever the number of sources; the other fields are the
    stage badge of the overview and the domains list.
    """

    domain = models.CharField(max_length=255)
    days = models.PositiveSmallIntegerField()
    computed = models.DateTimeField()
    seconds = models.FloatField(default=0, help_text="How long the computation took.")
    stage = models.CharField(max_length=16)
    next_stage = models.CharField(max_length=16, blank=True)
    ready = models.BooleanField(default=False)
    blocking = models.JSONField(default=list, blank=True)
    page_state = models.BinaryField(blank=True, default=b"")
    # What `manage.py rollout DOMAIN --json` prints of the same assessment (Readiness.as_json), for the API.
    verdict = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "readiness summaries"
        constraints = [
            # Also serves the pages: one domain's summary for one window.
            models.UniqueConstraint(fields=["domain", "days"], name="readinesssummary_identity"),
        ]

    def __str__(self):
        return f"{self.domain} ({self.days} days)"
