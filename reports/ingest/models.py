"""What we keep of each report, of each input that yielded none, and of each upload.

The reporter's own verdicts (policy_evaluated) are stored as the truth; our recomputed alignment
sits beside them as a diagnostic.
"""

from typing import NamedTuple

from django.db import models

from reports.ingest.store import remove_reports


class ReportQuerySet(models.QuerySet):
    def delete(self):
        """Delete through reports.ingest.store, which takes the counts out of the rollups
        and deletes the records in the database instead of loading them."""
        return remove_reports(self.order_by().values_list("id", flat=True)).as_django()

    delete.alters_data = True
    delete.queryset_only = True


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
    # Parsed in lxml's recover mode: a later undamaged copy replaces it.
    recovered = models.BooleanField(default=False)

    # The report XML, gzip-compressed, so that `manage.py reprocess` can parse it
    # again after a parser fix.
    original = models.BinaryField()
    original_name = models.CharField(max_length=512, blank=True)
    origin = models.CharField(
        max_length=512,
        blank=True,
        help_text="How the report arrived: a file, an upload, a mailbox's message.",
    )
    created = models.DateTimeField(auto_now_add=True)

    # Who vouches for the report (reports.ingest.reporter): True when the email that
    # carried it has a valid DKIM signature aligned with its From and the report's
    # <email>, False when not, None when it did not come by email (a file).
    reporter_verified = models.BooleanField(null=True, blank=True)
    signing_domain = models.CharField(max_length=253, blank=True, help_text="The DKIM d= seen.")
    # Verified, or uploaded by a signed-in user: what DMARC_REQUIRE_VERIFIED_REPORTS counts.
    trusted = models.BooleanField(default=False)
    objects = ReportQuerySet.as_manager()

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

    def delete(self, using=None, keep_parents=False):
        return remove_reports([self.pk]).as_django()


class Record(models.Model):
    # No database-level constraint: rows are only written by reports.ingest.store, in the
    # transaction that writes their report, and Django's deferred FK checks cost
    # as much at commit as the whole COPY of a large report.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="records", db_constraint=False)
    # Denormalised from the report so that drill-down queries need no join.
    domain = models.CharField(max_length=255)
    begin = models.DateTimeField()
    source_ip = models.GenericIPAddressField()
    count = models.BigIntegerField()
    # Text without a length limit: report values are hostile, and one longer than a
    # column allows would fail the COPY of the whole report.
    disposition = models.TextField()
    dkim = models.TextField(blank=True, help_text="Reporter's policy_evaluated verdict.")
    spf = models.TextField(blank=True, help_text="Reporter's policy_evaluated verdict.")
    header_from = models.TextField(blank=True)
    envelope_from = models.TextField(blank=True)
    envelope_to = models.TextField(blank=True)
    reasons = models.JSONField(default=list, blank=True)  # [{"type": ..., "comment": ...}]
    # The record's DKIM and SPF results, each [kind, domain, selector, scope, result,
    # human_result, aligned (ours)], DKIM first, in the report's order. Kept in the
    # record's own row: a table of their own cost more to write than the records.
    auth = models.JSONField(default=list, blank=True)
    # Our recomputed alignment, a diagnostic next to the reporter's verdict.
    dkim_aligned = models.BooleanField(default=False)
    spf_aligned = models.BooleanField(default=False)
    disagrees = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Drill-down: the records of one source within a domain and range.
            models.Index(fields=["domain", "source_ip", "begin"], name="record_domain_ip_begin"),
        ]

    def __str__(self):
        return f"{self.source_ip} x{self.count}"

    @property
    def dmarc_pass(self):
        return self.dkim == "pass" or self.spf == "pass"

    @property
    def auth_results(self) -> list["AuthResult"]:
        return auth_results(self.auth)


class AuthResult(NamedTuple):
    """One element of Record.auth."""

    kind: str  # dkim | spf
    domain: str
    selector: str  # DKIM only
    scope: str  # SPF only: mfrom, helo or ""
    result: str
    human_result: str
    aligned: bool  # ours: passes and aligns with header_from

    DKIM = "dkim"
    SPF = "spf"


def auth_results(auth) -> list[AuthResult]:
    """The well-formed elements of a Record.auth value."""
    if not isinstance(auth, list):
        return []
    return [AuthResult(*row) for row in auth if isinstance(row, list) and len(row) == 7]


class Rejection(models.Model):
    """An input, or a part of one, that yielded no report, and why.

    The bytes are kept (compressed) so that nothing is lost: after a parser fix,
    `manage.py reprocess --rejected` tries them again.
    """

    origin = models.CharField(max_length=512, help_text="How the input arrived.")
    member = models.CharField(max_length=512, blank=True)
    status = models.CharField(max_length=16, default="rejected")  # rejected | not-dmarc
    error = models.TextField()
    original = models.BinaryField(null=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.DateTimeField(null=True, blank=True)
    # Bytes of `original`; 0 once they were dropped to keep DMARC_MAX_REJECTED_BYTES.
    size = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-created"], name="rejection_created")]
        constraints = [
            # The same bytes sent again (a flood, a retry) are kept once.
            models.UniqueConstraint(
                fields=["sha256"], name="rejection_sha256", condition=~models.Q(sha256="")
            ),
        ]

    def __str__(self):
        return f"{self.origin}: {self.error[:60]}"


class ForeignReport(models.Model):
    """Reports refused because their policy domain is not monitored, counted per domain.

    The reports themselves are not stored: anyone can mail a rua address reports
    for any domain. The status page shows the counts, so that a domain that
    should be monitored is noticed.
    """

    domain = models.CharField(max_length=253, unique=True)
    reports = models.BigIntegerField(default=0)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.domain} x{self.reports}"


class Upload(models.Model):
    """A file uploaded on the ingestion page, kept until a Celery task has ingested it.

    The web request only saves the bytes; the task records one outcome per report
    found (every report of a zip), as it goes, so the upload page can show progress.
    """

    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"  # refused (too large) or stopped (time limit); see `error`
    STATE_CHOICES = [(QUEUED, "Queued"), (WORKING, "Working"), (DONE, "Done"), (FAILED, "Failed")]

    name = models.CharField(max_length=512)
    size = models.BigIntegerField()
    # Emptied once ingested: the reports and rejections keep their own bytes. Uploads are written in
    # pieces (UploadChunk); this holds the bytes of uploads saved before that.
    data = models.BinaryField(blank=True)
    state = models.CharField(max_length=8, choices=STATE_CHOICES, default=QUEUED)
    outcomes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The upload page: the latest uploads, newest first.
            models.Index(fields=["-created"], name="upload_created"),
        ]

    def __str__(self):
        return f"{self.name} ({self.state})"

    @property
    def pending(self) -> bool:
        return self.state in (self.QUEUED, self.WORKING)


class UploadChunk(models.Model):
    """A piece of an uploaded file, written as the request reads it, so that no request holds a whole
    file in memory; the ingest task joins them, and they go once it is done."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            # One piece per place; also the index the task reads them in order by.
            models.UniqueConstraint(fields=["upload", "seq"], name="uploadchunk_identity"),
        ]

    def __str__(self):
        return f"{self.upload_id}:{self.seq}"
