"""The rollups: message counts summed per report, day and source, and the coarser tables folded from them.

DailyRollup, and the coarser rollups derived from it, are what the dashboard's charts and tables
read; raw records are read only for one source or one report at a time. reports.rollups.fold keeps
them in step with the reports, in the transaction that stores or deletes a report.
"""

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


class DailyRollup(MessageCounts):
    """Message counts per UTC day and source, per report (and so per reporter).

    A report spanning several days has its counts spread over the days it
    covers (see reports.ingest.days); the day totals add up exactly to the report's.
    Rows are appended per report rather than merged into one row per key: an
    upsert per key cost more than the rest of an import, readers sum anyway,
    and taking a report back out is a plain delete of its rows. The coarser
    rollups below (DomainDay, ReporterDay, SourcePeriod) are folded from these
    rows by reports.rollups.fold, so all of them share one split of every count.
    """

    # No database-level constraint: see Record.report.
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, db_constraint=False)
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
