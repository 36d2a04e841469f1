"""What we keep of each report.

The reporter's own verdicts (policy_evaluated) are stored as the truth; our
recomputed alignment sits beside them as a diagnostic. DailyRollup, and the
coarser rollups derived from it, are what the dashboard's charts and tables
read; raw records are read only for one source or one report at a time.
"""

from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from reports.access import rules as access_rules
from reports.access.fields import EncryptedTextField


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


class ReportQuerySet(models.QuerySet):
    def delete(self):
        """Delete through reports.ingest.store, which takes the counts out of the rollups
        and deletes the records in the database instead of loading them."""
        from reports.ingest.store import remove_reports

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
    source = models.CharField(max_length=512, blank=True, help_text="How the report arrived.")
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
        from reports.ingest.store import remove_reports

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
    username = models.CharField(
        max_length=255, help_text="The login; with Microsoft 365 or Google, the mailbox's email address."
    )
    password = EncryptedTextField(blank=True)  # encrypted at rest: reports/access/crypto.py
    ca_file = models.CharField(
        max_length=512, blank=True, help_text="Path to a CA certificate (PEM) for a private CA."
    )

    # --- How the mailbox logs in: a password, or an OAuth 2.0 token (SASL XOAUTH2). ---
    # Every stored secret sits in a field named `password` or ending in `_secret`.
    PASSWORD = "password"
    MICROSOFT = "microsoft"
    GOOGLE = "google"
    AUTH_CHOICES = [
        (PASSWORD, "Password"),
        (MICROSOFT, "Microsoft 365 (OAuth 2.0)"),
        (GOOGLE, "Google (OAuth 2.0)"),
    ]
    auth = models.CharField("authentication", max_length=16, choices=AUTH_CHOICES, default=PASSWORD)
    ms_tenant = models.CharField(
        "tenant ID", max_length=255, blank=True, help_text="Microsoft Entra ID: the directory (tenant) ID."
    )
    ms_client_id = models.CharField(
        "application (client) ID", max_length=255, blank=True, help_text="The app registration's client ID."
    )
    # Every *_secret field is encrypted at rest, like the password.
    ms_client_secret = EncryptedTextField(
        "client secret", blank=True, help_text="A client secret of the app registration, or:"
    )
    ms_certificate_secret = EncryptedTextField(
        "certificate",
        blank=True,
        help_text="PEM: the private key and the certificate uploaded to the app registration.",
    )
    ms_authority = models.CharField(
        "authority",
        max_length=255,
        blank=True,
        help_text="Blank for DMARC_IMAP_MS_AUTHORITY (https://login.microsoftonline.com by default).",
    )
    google_service_account_secret = EncryptedTextField(
        "service account key",
        blank=True,
        help_text="Google Workspace: the service account's JSON key; it acts as the mailbox's address.",
    )
    google_client_id = models.CharField(
        "OAuth client ID",
        max_length=255,
        blank=True,
        help_text="Personal Gmail: an installed-app OAuth client.",
    )
    google_client_secret = EncryptedTextField("OAuth client secret", blank=True)
    google_refresh_token_secret = EncryptedTextField("refresh token", blank=True)
    # The last "Test connection": when, and what it found (folders and message count, or the error).
    checked_at = models.DateTimeField("last connection test", null=True, blank=True)
    check_result = models.TextField("connection test result", blank=True)
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

    SECRET_FIELDS = (
        *("password", "ms_client_secret", "ms_certificate_secret"),
        *("google_service_account_secret", "google_client_secret", "google_refresh_token_secret"),
    )

    def secret_values(self) -> list[str]:
        """Every stored secret, to scrub from any text shown or logged."""
        return [getattr(self, name) for name in self.SECRET_FIELDS]


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
# DailyRollup keeps one row per report, day and source: too fine
# for a year of 50,000 sources. These coarser tables let every page read a few
# thousand rows, or at most one row per source and period.


# SQL for "one of the addresses", whose parameter is ip_list(addresses). The addresses go as one text
# parameter: a list of 250,000 passes through Django's and psycopg's checks and conversions one
# address at a time, which takes longer than the query.
ANY_IP = "ANY(string_to_array(%s, ',')::inet[])"


def ip_list(ips) -> str:
    """The parameter of ANY_IP: addresses as PostgreSQL prints them (host(), or the ORM's)."""
    return ",".join(set(ips))


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


# --- Naming sources (issue 16): the network of a source, and its service and category per domain ---


class SourceNetwork(models.Model):
    """The origin network of a source from Team Cymru's IP-to-ASN service, resolved by a Celery task.

    `asn` is None when the address is not routed (or the lookup failed: see
    `error`); `expires` follows the answer's TTL within bounds.
    """

    ip = models.GenericIPAddressField(unique=True)
    asn = models.BigIntegerField(null=True, blank=True)
    prefix = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=8, blank=True)
    as_name = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=255, blank=True)
    fetched = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        indexes = [
            # The sources page's network filter: the addresses of one AS.
            models.Index(fields=["asn"], name="sourcenetwork_asn"),
        ]

    def __str__(self):
        return f"{self.ip} AS{self.asn}"


class SourceService(models.Model):
    """The service behind a source of a policy domain and its rollout category, as the last readiness
    assessment of the domain found them (over its window). The sources table, the Senders page and the
    overview read these instead of the records."""

    domain = models.CharField(max_length=255)
    ip = models.GenericIPAddressField()
    service = models.CharField(max_length=64, blank=True)  # senders.json id, "own", or "" (unidentified)
    service_name = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=32, blank=True)
    by_network = models.BooleanField(default=False)  # named by its AS alone
    category = models.CharField(max_length=16)
    evidence = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True)
    fixes = models.JSONField(default=list, blank=True)
    messages = models.BigIntegerField(default=0)  # in the assessment's window
    assessed = models.DateTimeField()

    class Meta:
        constraints = [
            # Also serves the pages' lookups by domain (and ip).
            models.UniqueConstraint(fields=["domain", "ip"], name="sourceservice_identity"),
        ]
        indexes = [
            # The sources page's service and category filters.
            models.Index(fields=["domain", "service"], name="sourceservice_service"),
        ]

    def __str__(self):
        return f"{self.domain} {self.ip} {self.service_name or '-'}"


# --- Untrusted input (issue 11) ---


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


# --- Alerts and digests (reports/alerts/) ---


class Alert(models.Model):
    """One episode of an alert condition: opened when the condition starts, resolved when it clears.

    The key (domain, rule, subject) is stable across evaluations; the database
    keeps at most one open episode per key, so two evaluations running at once
    cannot fire the same alert twice.
    """

    CRITICAL, WARNING, INFO = "critical", "warning", "info"

    key = models.CharField(max_length=700)
    domain = models.CharField(max_length=255, blank=True)  # "" for what is no one domain's (a mailbox)
    rule = models.CharField(max_length=32)
    subject = models.CharField(max_length=400)
    severity = models.CharField(max_length=16)
    title = models.CharField(max_length=500)
    text = models.TextField(blank=True)  # what fired it: figures, diagnosis, fix
    facts = models.JSONField(default=dict, blank=True)  # sources, record, links, as the rule gave them
    opened = models.DateTimeField()
    resolved = models.DateTimeField(null=True, blank=True)
    # Events (a record changed, a source appeared) end without a "resolved" message.
    announce_resolved = models.BooleanField(default=True)
    # When its firing and resolved messages were queued; empty while the hourly cap holds them back.
    notified = models.DateTimeField(null=True, blank=True)
    resolved_notified = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(resolved__isnull=True), name="alert_one_open_per_key"
            ),
        ]
        indexes = [
            # Alerts page: one domain's alerts, newest first.
            models.Index(fields=["domain", "-opened"], name="alert_domain_opened"),
            # Evaluation and the overview: the open alerts of a domain.
            models.Index(fields=["domain"], name="alert_open", condition=models.Q(resolved__isnull=True)),
        ]

    def __str__(self):
        return self.key


class Delivery(models.Model):
    """One message to one recipient (an alert's firing or resolved notice, or a digest).

    Written in the transaction that records the alert's transition, sent after
    it: a failed send stays here, retried with backoff, its error on the status
    page. The key makes a second write of the same message a no-op.
    """

    FIRING, RESOLVED, DIGEST = "firing", "resolved", "digest"
    EMAIL, APPRISE = "email", "apprise"
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    key = models.CharField(max_length=1000, unique=True)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16)
    channel = models.CharField(max_length=16)
    # An address or an Apprise URL (which may hold a token): encrypted at rest, like mailbox secrets.
    target = EncryptedTextField()
    label = models.CharField(max_length=500)  # the target with its secrets hidden, for pages and logs
    subject = models.CharField(max_length=500)
    text = models.TextField()
    html = models.TextField(blank=True)
    unsubscribe = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=16, default=PENDING)
    attempts = models.IntegerField(default=0)
    next_attempt = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The sender's claim: pending deliveries that are due.
            models.Index(fields=["next_attempt"], name="delivery_due", condition=models.Q(state="pending")),
            # Status page: deliveries that failed or are being retried, newest first.
            models.Index(fields=["-created"], name="delivery_trouble", condition=~models.Q(last_error="")),
            # Hourly cap: what a domain's alerts sent lately.
            models.Index(fields=["alert", "created"], name="delivery_alert_created"),
        ]

    def __str__(self):
        return f"{self.kind} {self.channel} {self.label}"


class AlertPreference(models.Model):
    """What one user hears about one domain, and how. No row: every rule, by email."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="alert_preferences")
    domain = models.CharField(max_length=255)
    rules = models.JSONField(default=list, blank=True)  # rule names; see reports.alerts.rules.RULES
    email = models.BooleanField(default=True)
    # Apprise URLs hold tokens and passwords: encrypted at rest, shown masked (reports.alerts.forms).
    urls = EncryptedTextField(blank=True, help_text="Apprise URLs, one a line.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "domain"], name="alertpreference_identity")]

    def __str__(self):
        return f"{self.user} {self.domain}"


class DigestSubscription(models.Model):
    """Whether a user gets the weekly digest. No row: subscribed."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="digest_subscription")
    enabled = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.user} {'on' if self.enabled else 'off'}"


class AlertThresholds(models.Model):
    """A domain's own alert thresholds; an empty field takes the setting's default."""

    domain = models.CharField(max_length=255, unique=True)
    silent_days = models.PositiveIntegerField(null=True, blank=True)
    min_messages = models.PositiveIntegerField(null=True, blank=True)
    recent_days = models.PositiveIntegerField(null=True, blank=True)
    hourly_cap = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "alert thresholds"

    def __str__(self):
        return self.domain


class AlertMemory(models.Model):
    """What the alerts last saw of a domain (its DMARC record), to tell a change from a first sight."""

    domain = models.CharField(max_length=255)
    name = models.CharField(max_length=64)
    value = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["domain", "name"], name="alertmemory_identity")]

    def __str__(self):
        return f"{self.domain} {self.name}"


# --- Access (reports/access/) ---


class AccessGrant(models.Model):
    """A role on a set of monitored domains, given to one user or to a group of users (a team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    team = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
        help_text="Instead of a user: every member of this group.",
    )
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="role_grants",
        help_text="viewer or operator (or a group of your own): its permissions are what the grant allows.",
    )
    domains = models.ManyToManyField(Domain, related_name="grants", help_text="Subdomains are included.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = access_rules.PERMISSIONS
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="accessgrant_user_or_team",
            ),
            # One grant per holder and role: `manage.py grant` adds domains to it.
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(user__isnull=False), name="accessgrant_user_role"
            ),
            models.UniqueConstraint(
                fields=["team", "role"], condition=models.Q(team__isnull=False), name="accessgrant_team_role"
            ),
        ]

    def __str__(self):
        return f"{self.user or self.team}: {self.role}"


class AuditEntry(models.Model):
    """Who did what, and when: uploads, retries, DNS refreshes, marks, mailbox, access, alert and
    monitored-domain changes, and report deletions."""

    UPLOAD = "upload"
    RETRY = "retry"
    REFRESH_DNS = "refresh_dns"
    MAILBOX = "mailbox"
    ACCESS = "access"
    ALERTS = "alerts"
    MARK = "mark"
    REPORTS = "reports"
    DOMAINS = "domains"
    ACTION_CHOICES = [
        (UPLOAD, "Uploaded a file"),
        (RETRY, "Retried a message"),
        (REFRESH_DNS, "Refreshed DNS"),
        (MAILBOX, "Changed a mailbox"),
        (ACCESS, "Changed access"),
        (ALERTS, "Changed alert settings"),
        (MARK, "Marked a sender"),
        (REPORTS, "Deleted reports"),
        (DOMAINS, "Changed monitored domains"),
    ]

    when = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the entry outlives the account.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    target = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            # The admin's list: newest first.
            models.Index(fields=["-when"], name="auditentry_when"),
        ]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M} {self.username or '(system)'} {self.action} {self.target}"


# --- Uploads (reports/ingest/uploads.py) ---


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


# --- Stored readiness summaries (reports/rollout/summaries.py) ---


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

    class Meta:
        verbose_name_plural = "readiness summaries"
        constraints = [
            # Also serves the pages: one domain's summary for one window.
            models.UniqueConstraint(fields=["domain", "days"], name="readinesssummary_identity"),
        ]

    def __str__(self):
        return f"{self.domain} ({self.days} days)"


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

    def __str__(self):
        return f"{self.domain} {self.kind} {self.value}: {self.verdict}"
