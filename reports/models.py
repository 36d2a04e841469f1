"""What we keep of each report.

The reporter's own verdicts (policy_evaluated) are stored as the truth; our
recomputed alignment sits beside them as a diagnostic. DailyRollup is what the
dashboard reads, so that pages never scan raw records.
"""

from django.db import models


class Report(models.Model):
    org_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    extra_contact_info = models.TextField(blank=True)
    report_id = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, help_text="The policy domain, lower-cased.")
    begin = models.DateTimeField()
    end = models.DateTimeField()
    version = models.CharField(max_length=16, blank=True)
    generator = models.CharField(max_length=255, blank=True)
    schema = models.CharField(max_length=16, default="rfc7489")
    errors = models.JSONField(default=list, blank=True)

    # policy_published
    adkim = models.CharField(max_length=8, default="r")
    aspf = models.CharField(max_length=8, default="r")
    p = models.CharField(max_length=16, blank=True)
    sp = models.CharField(max_length=16, blank=True)
    np = models.CharField(max_length=16, blank=True)
    pct = models.SmallIntegerField(null=True, blank=True)
    fo = models.CharField(max_length=32, blank=True)
    testing = models.CharField(max_length=8, blank=True)
    discovery_method = models.CharField(max_length=16, blank=True)

    record_count = models.IntegerField(default=0)
    message_count = models.BigIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)

    # The report XML, gzip-compressed, so that `manage.py reprocess` can parse it
    # again after a parser fix.
    original = models.BinaryField()
    original_name = models.CharField(max_length=512, blank=True)
    source = models.CharField(max_length=512, blank=True, help_text="How the report arrived.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Google resends reports, and operators forward them by hand: the
            # database, not the importer, decides that a report is already here.
            models.UniqueConstraint(
                fields=["org_name", "report_id", "domain", "begin", "end"], name="report_identity"
            ),
        ]
        indexes = [
            # Reports list filtered by domain, newest first.
            models.Index(fields=["domain", "-begin"], name="report_domain_begin"),
        ]

    def __str__(self):
        return f"{self.org_name} {self.report_id} ({self.domain})"


class Record(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="records")
    # Denormalised from the report so that drill-down queries need no join.
    domain = models.CharField(max_length=255)
    begin = models.DateTimeField()
    source_ip = models.GenericIPAddressField()
    count = models.BigIntegerField()
    disposition = models.CharField(max_length=16)
    dkim = models.CharField(max_length=16, blank=True, help_text="Reporter's policy_evaluated verdict.")
    spf = models.CharField(max_length=16, blank=True, help_text="Reporter's policy_evaluated verdict.")
    header_from = models.CharField(max_length=255, blank=True)
    envelope_from = models.CharField(max_length=255, blank=True)
    envelope_to = models.CharField(max_length=255, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # [{"type": ..., "comment": ...}]
    # Our recomputed alignment, a diagnostic next to the reporter's verdict.
    dkim_aligned = models.BooleanField(default=False)
    spf_aligned = models.BooleanField(default=False)
    disagrees = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Drill-down: the records of one source within a domain and range.
            models.Index(fields=["domain", "source_ip", "begin"], name="record_domain_ip_begin"),
        ]

    @property
    def dmarc_pass(self):
        return self.dkim == "pass" or self.spf == "pass"


class AuthResult(models.Model):
    DKIM = "dkim"
    SPF = "spf"
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="auth_results")
    kind = models.CharField(max_length=4, choices=[(DKIM, "DKIM"), (SPF, "SPF")])
    domain = models.CharField(max_length=255, blank=True)
    selector = models.CharField(max_length=255, blank=True)
    scope = models.CharField(max_length=16, blank=True)
    result = models.CharField(max_length=16, blank=True)
    human_result = models.CharField(max_length=255, blank=True)
    aligned = models.BooleanField(default=False, help_text="Ours: passes and aligns with header_from.")


class DailyRollup(models.Model):
    """Message counts per UTC day, source and reporter.

    A report spanning several days has its counts spread over the days it
    covers (see reports.days); the day totals add up exactly to the report's.
    """

    domain = models.CharField(max_length=255)
    day = models.DateField()
    source_ip = models.GenericIPAddressField()
    reporter = models.CharField(max_length=255, blank=True)
    header_from = models.CharField(max_length=255, blank=True)
    messages = models.BigIntegerField(default=0)
    dmarc_pass = models.BigIntegerField(default=0)  # reporter's verdict: dkim or spf pass
    dkim_pass = models.BigIntegerField(default=0)  # policy_evaluated dkim=pass (aligned)
    spf_pass = models.BigIntegerField(default=0)  # policy_evaluated spf=pass (aligned)
    quarantined = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "day", "source_ip", "reporter", "header_from"], name="rollup_identity"
            ),
        ]
        indexes = [
            # Drill-down: one source's days.
            models.Index(fields=["domain", "source_ip", "day"], name="rollup_domain_ip_day"),
        ]


class Rejection(models.Model):
    """An input, or a part of one, that yielded no report, and why.

    The bytes are kept (compressed) so that nothing is lost: after a parser fix,
    `manage.py reprocess --rejected` tries them again.
    """

    source = models.CharField(max_length=512)
    member = models.CharField(max_length=512, blank=True)
    status = models.CharField(max_length=16, default="rejected")  # rejected | not-dmarc
    error = models.TextField()
    original = models.BinaryField(null=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created"], name="rejection_created")]
