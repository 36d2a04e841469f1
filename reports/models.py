"""What we keep of each report.

The reporter's own verdicts (policy_evaluated) are stored as the truth; our
recomputed alignment sits beside them as a diagnostic. DailyRollup, and the
coarser rollups derived from it, are what the dashboard's charts and tables
read; raw records are read only for one source or one report at a time.
"""

from typing import NamedTuple

from django.db import models


class MessageCounts(models.Model):
    """The sums every rollup keeps, in messages (the sum of `count`), never records."""

    messages = models.BigIntegerField(default=0)
    dmarc_pass = models.BigIntegerField(default=0)  # reporter's verdict: dkim or spf pass
    dkim_pass = models.BigIntegerField(default=0)  # policy_evaluated dkim=pass (aligned)
    spf_pass = models.BigIntegerField(default=0)  # policy_evaluated spf=pass (aligned)
    quarantined = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class Domain(models.Model):
    """A domain whose reports we monitor (the policy domain, or a parent of it)."""

    name = models.CharField(max_length=253, unique=True)  # IDNA-encoded, lower case, no trailing dot
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


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


class DailyRollup(MessageCounts):
    """Message counts per UTC day and source, per report (and so per reporter).

    A report spanning several days has its counts spread over the days it
    covers (see reports.ingest.days); the day totals add up exactly to the report's.
    Rows are appended per report rather than merged into one row per key: an
    upsert per key cost more than the rest of an import, readers sum anyway,
    and taking a report back out is a plain delete of its rows. The coarser
    rollups below (DomainDay, ReporterDay, SourcePeriod) are folded from these
    rows by reports.ingest.rollup, so all of them share one split of every count.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, db_constraint=False)  # see Record.report
    domain = models.CharField(max_length=255)
    day = models.DateField()
    source_ip = models.GenericIPAddressField()
    reporter = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            # Drill-down: one source's days and reporters.
            models.Index(fields=["domain", "source_ip", "day"], name="rollup_domain_ip_day"),
        ]

    def __str__(self):
        return f"{self.domain} {self.day} {self.source_ip}"


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

    def __str__(self):
        return f"{self.source}: {self.error[:60]}"


class Mailbox(models.Model):
    """An IMAP folder that receives reports (rua=mailto:), polled by the workers."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"
    SECURITY_CHOICES = [(TLS, "TLS"), (STARTTLS, "STARTTLS"), (NONE, "None (plain text)")]

    name = models.CharField(
        max_length=100, unique=True, help_text='The mailbox named "env" is kept in step with DMARC_IMAP_*.'
    )
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=8, choices=SECURITY_CHOICES, default=TLS)
    username = models.CharField(max_length=255)
    password = models.CharField(max_length=255, blank=True)
    ca_file = models.CharField(
        max_length=512, blank=True, help_text="Path to a CA certificate (PEM) for a private CA."
    )
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(max_length=255, default="DMARC/Processed")
    failed_folder = models.CharField(max_length=255, default="DMARC/Failed")
    enabled = models.BooleanField(default=True)

    # Status, shown on the dashboard so that a poll failing for weeks is seen.
    last_poll = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    processed_count = models.IntegerField(default=0)
    failed_count = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self):
        return self.name


class MailMessage(models.Model):
    """One message seen in a mailbox folder, recorded before any work is done on it.

    The row is the claim: a message is fetched again only if no row exists for
    its (mailbox, folder, uidvalidity, uid), and the raw bytes stay here so
    that a failed message can be retried without the IMAP server.
    """

    NEW = "new"  # recorded, not ingested yet
    INGESTED = "ingested"  # at least one report stored (or already known)
    FAILED = "failed"  # no report, or only broken ones
    SUPERSEDED = "superseded"  # UIDVALIDITY changed before it was filed; seen again under the new one
    STATE_CHOICES = [(NEW, "New"), (INGESTED, "Ingested"), (FAILED, "Failed"), (SUPERSEDED, "Superseded")]

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    raw = models.BinaryField()
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=NEW)
    error = models.TextField(blank=True)
    outcomes = models.JSONField(default=list, blank=True)
    # Where the message was moved to; empty while it still sits in `folder`.
    filed_in = models.CharField(max_length=255, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A UID names one message only within one folder and one UIDVALIDITY.
            models.UniqueConstraint(
                fields=["mailbox", "folder", "uidvalidity", "uid"], name="mailmessage_identity"
            ),
        ]
        indexes = [
            # Poll: messages of a mailbox still waiting to be ingested or filed.
            models.Index(
                fields=["mailbox", "state"],
                name="mailmessage_unfiled",
                condition=models.Q(filed_at__isnull=True),
            ),
            # Status page: failed messages of a mailbox, newest first.
            models.Index(
                fields=["mailbox", "-created"],
                name="mailmessage_failed",
                condition=models.Q(state="failed"),
            ),
        ]

    def __str__(self):
        return f"{self.mailbox} {self.folder} {self.uidvalidity}:{self.uid}"


# --- Dashboard rollups, kept in step with the reports by reports/ingest/rollup.py ---
# DailyRollup keeps one row per day, source, reporter and header_from: too fine
# for a year of 50,000 sources. These coarser tables let every page read a few
# thousand rows, or at most one row per source and period.


class DomainDay(MessageCounts):
    """Message counts per policy domain and UTC day: the overview's totals and daily charts."""

    domain = models.CharField(max_length=255)
    day = models.DateField()

    class Meta:
        constraints = [
            # Also serves the overview: one domain's days within a range.
            models.UniqueConstraint(fields=["domain", "day"], name="domainday_identity"),
        ]

    def __str__(self):
        return f"{self.domain} {self.day}"


class ReporterDay(models.Model):
    """Messages per policy domain, UTC day and reporter: the overview's count of reporters."""

    domain = models.CharField(max_length=255)
    day = models.DateField()
    reporter = models.CharField(max_length=255, blank=True)
    messages = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Also serves the overview: distinct reporters of one domain within a range.
            models.UniqueConstraint(fields=["domain", "day", "reporter"], name="reporterday_identity"),
        ]

    def __str__(self):
        return f"{self.domain} {self.day} {self.reporter}"


class SourcePeriod(MessageCounts):
    """Message counts per source over one UTC day, calendar month or calendar year.

    The sources table sums these per source over a range: whole years and
    months where the range covers them (or where the data does not reach
    beyond the range), single days only at the edges. A year for 50,000
    sources is then about 50,000 rows to sum instead of millions.
    """

    DAY, MONTH, YEAR = "d", "m", "y"
    # The identity is the key: a surrogate id would cost every import a sequence
    # step and a second index entry for each of these rows, the most it writes
    # after the records. It also serves the sources table and the overview: all
    # sources of a domain in given periods. There is no index per source: the
    # drill-down reads one source's days from DailyRollup.
    pk = models.CompositePrimaryKey("domain", "period", "start", "source_ip")
    domain = models.CharField(max_length=255)
    period = models.CharField(max_length=1, choices=[(DAY, "day"), (MONTH, "month"), (YEAR, "year")])
    start = models.DateField(help_text="First day of the period.")
    source_ip = models.GenericIPAddressField()
    first_day = models.DateField()
    last_day = models.DateField()

    def __str__(self):
        return f"{self.domain} {self.source_ip} {self.period}:{self.start}"


# --- Rollout assistant (reports/rollout/) ---


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


class ReverseDns(models.Model):
    """The PTR name of a source, resolved by a Celery task, never during a page request.

    `confirmed` means the name resolves back to the address (forward-confirmed):
    anyone can put any name in the PTR of their own addresses, so only
    confirmed names identify a service.
    """

    ip = models.GenericIPAddressField(unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    confirmed = models.BooleanField(default=False)
    error = models.CharField(max_length=255, blank=True)
    fetched = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        verbose_name = "reverse DNS name"

    def __str__(self):
        return f"{self.ip} {self.hostname}"


# --- The operator's marks on senders (reports/marks/) ---


class SenderMark(models.Model):
    """What the operator knows: this address, network or service sends "ours" (legitimate) mail for
    the domain, or is "not ours" (spoofing). Readiness, the what-if and `rollout --json` use it."""

    KIND_CHOICES = [("ip", "address"), ("network", "network"), ("service", "service")]
    VERDICT_CHOICES = [("ours", "ours"), ("not-ours", "not ours")]

    domain = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    value = models.CharField(max_length=255, help_text="The address, the network (CIDR) or the service name.")
    verdict = models.CharField(max_length=8, choices=VERDICT_CHOICES)
    marked_by = models.CharField(max_length=150)
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One mark per sender and domain: marking again replaces it. Also serves the
            # readiness lookup: every mark of one domain.
            models.UniqueConstraint(fields=["domain", "kind", "value"], name="sendermark_identity"),
        ]
        permissions = [("mark_sender", "Can mark a sender as ours or not ours")]

    def __str__(self):
        return f"{self.domain} {self.kind} {self.value}: {self.verdict}"
