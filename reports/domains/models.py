"""The monitored domains: reports for any other policy domain are refused (see reports.ingest.pipeline)."""

from django.db import models


class Domain(models.Model):
    """A domain whose reports we monitor (the policy domain, or a parent of it)."""

    name = models.CharField(max_length=253, unique=True)  # IDNA-encoded, lower case, no trailing dot
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
