"""What we keep of each SMTP TLS report: the report once, its policies and failure details as rows.

The rows carry their report's domain, day and reporter, so that the TLS page sums one domain's
rows through an index without a join; they are the records themselves, so the page's counts are
a rebuild from the records by construction.
"""

from django.db import models


class TlsReport(models.Model):
    org_name = models.CharField(max_length=255)
    report_id = models.CharField(max_length=255)
    contact = models.CharField(max_length=255, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    day = models.DateField(help_text="The UTC day its sessions are counted on: the middle of its range.")
    domains = models.JSONField(default=list)
    successful_sessions = models.BigIntegerField(default=0)
    failed_sessions = models.BigIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # The report JSON, gzip-compressed, as it came: a parser fix can read it again.
    original = models.BinaryField()
    original_name = models.CharField(max_length=512, blank=True)
    origin = models.CharField(max_length=512, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # As for DMARC reports (reports.ingest.reporter): None when it did not come by email.
    reporter_verified = models.BooleanField(null=True, blank=True)
    signing_domain = models.CharField(max_length=253, blank=True)
    trusted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # Reporters resend, operators forward by hand, HTTPS posts are retried: the
            # database decides that a report is already here.
            models.UniqueConstraint(fields=["org_name", "report_id"], name="tlsreport_identity"),
        ]

    def __str__(self):
        return f"{self.org_name} {self.report_id}"


class TlsPolicyResult(models.Model):
    """One policy of one report: the sessions a reporter counted for a domain on a day."""

    report = models.ForeignKey(TlsReport, on_delete=models.CASCADE, related_name="policies")
    domain = models.CharField(max_length=255)
    day = models.DateField()
    reporter = models.CharField(max_length=255)
    policy_type = models.CharField(max_length=16)
    policy_string = models.JSONField(default=list, blank=True)
    mx_hosts = models.JSONField(default=list, blank=True)
    successful_sessions = models.BigIntegerField(default=0)
    failed_sessions = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["domain", "day"], name="tlspolicy_domain_day")]

    def __str__(self):
        return f"{self.domain} {self.day} {self.reporter}"


class TlsFailure(models.Model):
    """One failure detail of one policy of one report."""

    report = models.ForeignKey(TlsReport, on_delete=models.CASCADE, related_name="failures")
    domain = models.CharField(max_length=255)
    day = models.DateField()
    reporter = models.CharField(max_length=255)
    result_type = models.CharField(max_length=64)
    failed_sessions = models.BigIntegerField(default=0)
    sending_mta_ip = models.GenericIPAddressField(null=True, blank=True)
    receiving_mx_hostname = models.CharField(max_length=255, blank=True)
    receiving_mx_helo = models.CharField(max_length=255, blank=True)
    receiving_ip = models.GenericIPAddressField(null=True, blank=True)
    failure_reason_code = models.CharField(max_length=255, blank=True)
    additional_information = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["domain", "day"], name="tlsfailure_domain_day"),
            models.Index(fields=["domain", "receiving_mx_hostname", "day"], name="tlsfailure_domain_mx_day"),
        ]

    def __str__(self):
        return f"{self.result_type} x{self.failed_sessions}"
