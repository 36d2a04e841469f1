"""The last check of each domain's inbound-mail records, kept by a worker and read by the pages."""

from django.db import models


class MtaStsCheck(models.Model):
    domain = models.CharField(max_length=255, unique=True)
    checked = models.DateTimeField()
    # The published mode (none when no valid policy is served): the MTA-STS stage.
    mode = models.CharField(max_length=16, default="none")
    policy_ok = models.BooleanField(default=False)
    mx = models.JSONField(default=list)  # [{"host", "covered"}]
    # Everything the check found (records, policy text, problems): reports.mtasts.checks.Findings.
    findings = models.JSONField(default=dict)

    def __str__(self):
        return f"{self.domain}: {self.mode}"
