"""What is known of a sending address: its reverse DNS name, its network, and the service and category
the last readiness assessment of a domain found for it."""

from django.db import models

from reports.sources.own import check


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
    service = models.CharField(max_length=64, blank=True)  # services.json id, "own", or "" (unidentified)
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


class OperatorService(models.Model):
    """A service the operator defines (an in-house system, a vendor the catalogue lacks): named from its
    signals like the catalogue's services (reports.sources.services), and before them on a tie.

    The signals are kept as typed in, one or more per field separated by spaces, commas or new lines;
    clean() checks every domain and AS number (reports.sources.own)."""

    slug = models.SlugField(max_length=48, unique=True, help_text="Its id, shown as user-<slug>.")
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32)
    dkim = models.TextField(blank=True, help_text="DKIM d= domains.")
    spf = models.TextField(blank=True, help_text="MAIL FROM (return-path) domains.")
    rdns = models.TextField(blank=True, help_text="Reverse DNS suffixes.")
    asn = models.TextField(blank=True, help_text="AS numbers.")
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "service of your own"
        verbose_name_plural = "services of your own"

    def __str__(self):
        return self.name

    def clean(self):
        check(self)


class DkimSelector(models.Model):
    """A DKIM selector seen in a policy domain's reports: who signed (d=), first and last day, messages,
    those passing, and the service its busiest source was named; recomputed by a worker from the records
    (reports.sources.selectors), read by the selectors page."""

    domain = models.CharField(max_length=255)
    signing_domain = models.CharField(max_length=255)
    selector = models.CharField(max_length=255)
    first_seen = models.DateField()
    last_seen = models.DateField()
    messages = models.BigIntegerField(default=0)
    passed = models.BigIntegerField(default=0)
    service = models.CharField(max_length=255, blank=True)
    refreshed = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "signing_domain", "selector"], name="dkimselector_identity"
            )
        ]

    def __str__(self):
        return f"{self.domain}: {self.selector}._domainkey.{self.signing_domain}"


class DkimKey(models.Model):
    """The key a selector publishes in the DNS, looked up by a worker and kept until `expires`."""

    signing_domain = models.CharField(max_length=255)
    selector = models.CharField(max_length=255)
    key_type = models.CharField(max_length=16, blank=True)
    bits = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    fetched = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signing_domain", "selector"], name="dkimkey_identity")
        ]

    def __str__(self):
        return f"{self.selector}._domainkey.{self.signing_domain}"


class TrendDay(models.Model):
    """Daily sums per service of a domain (service "*": all its legitimate sources), as the sources' last
    assessment names and classifies them: messages, those passing DMARC, and of them the mail of
    legitimate sources. Recomputed from the rollups by a worker (reports.sources.trend_queries.refresh):
    a year of a big domain's sources is too much to join on a page."""

    ALL_LEGITIMATE = "*"
    domain = models.CharField(max_length=255)
    service = models.CharField(max_length=64)
    day = models.DateField()
    messages = models.BigIntegerField(default=0)
    dmarc_pass = models.BigIntegerField(default=0)
    legit = models.BigIntegerField(default=0)
    legit_pass = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Also serves the pages: one domain's services over a range of days.
            models.UniqueConstraint(fields=["domain", "service", "day"], name="trendday_identity"),
        ]

    def __str__(self):
        return f"{self.domain} {self.service} {self.day}"
