"""Do the stored counts still equal what a rebuild from the records gives?

Every rollup is compared with the same rows computed afresh, in SQL:

- Report.record_count and message_count with the report's records;
- DailyRollup with the records, per report and source (its split over days is
  Python's, reports.ingest.days, but the days of a report and source must add up
  to the source's records);
- DomainDay, ReporterDay and SourcePeriod with a fold of DailyRollup, as
  rebuild() makes them;
- and no record or DailyRollup row may outlive its report.

A key missing on one side counts as zeros: the rollups drop rows that fall to
zero messages, while a report can hold records of count 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db import connection, transaction

from reports.ingest.models import Report
from reports.ingest.store import Escaped, RollupRows, copy_escape
from reports.rollups.fold import PERIODS, SUMS, add_reports
from reports.rollups.models import DomainDay, ReporterDay, SourcePeriod
from reports.shared import events


@dataclass
class Difference:
    table: str
    key: dict
    expected: dict
    found: dict

    def as_json(self) -> dict:
        return {"table": self.table, "key": self.key, "expected": self.expected, "found": self.found}

    def __str__(self) -> str:
        key = " ".join(f"{k}={v}" for k, v in self.key.items())
        cols = [c for c in self.expected if self.expected[c] != self.found.get(c)]
        diffs = ", ".join(f"{c}: expected {self.expected[c]}, found {self.found.get(c)}" for c in cols)
        return f"{self.table} {key}: {diffs}"


def _sums(prefix: str) -> str:
    return ", ".join(f"sum({prefix}{c}) AS {c}" for c in SUMS)


RECORD_SUMS = """sum(r.count) AS messages,
    sum(r.count) FILTER (WHERE r.dkim = 'pass' OR r.spf = 'pass') AS dmarc_pass,
    sum(r.count) FILTER (WHERE r.dkim = 'pass') AS dkim_pass,
    sum(r.count) FILTER (WHERE r.spf = 'pass') AS spf_pass,
    sum(r.count) FILTER (WHERE r.disposition = 'quarantine') AS quarantined,
    sum(r.count) FILTER (WHERE r.disposition = 'reject') AS rejected"""

# (table, key columns, compared columns, expected rows, stored rows)
COMPARISONS = [
    (
        "Report",
        ("id",),
        ("record_count", "message_count"),
        "SELECT r.report_id AS id, count(*) AS record_count, sum(r.count) AS message_count"
        " FROM reports_record r GROUP BY 1",
        "SELECT id, record_count, message_count FROM reports_report",
    ),
    (
        "DailyRollup",
        ("report_id", "source_ip"),
        SUMS,
        f"SELECT r.report_id, r.source_ip, {RECORD_SUMS} FROM reports_record r GROUP BY 1, 2",
        f"SELECT d.report_id, d.source_ip, {_sums('d.')} FROM reports_dailyrollup d GROUP BY 1, 2",
    ),
    (
        "DomainDay",
        ("domain", "day"),
        SUMS,
        f"SELECT d.domain, d.day, {_sums('d.')} FROM reports_dailyrollup d GROUP BY 1, 2",
        f"SELECT domain, day, {', '.join(SUMS)} FROM reports_domainday",
    ),
    (
        "ReporterDay",
        ("domain", "day", "reporter"),
        ("messages",),
        "SELECT d.domain, d.day, d.reporter, sum(d.messages) AS messages"
        " FROM reports_dailyrollup d GROUP BY 1, 2, 3",
        "SELECT domain, day, reporter, messages FROM reports_reporterday",
    ),
    (
        "SourcePeriod",
        ("domain", "period", "start", "source_ip"),
        (*SUMS, "first_day", "last_day"),
        f"""SELECT d.domain, p.period, p.start, d.source_ip, {_sums("d.")},
            min(d.day) AS first_day, max(d.day) AS last_day
            FROM reports_dailyrollup d {PERIODS} GROUP BY 1, 2, 3, 4""",
        f"SELECT domain, period, start, source_ip, {', '.join(SUMS)}, first_day, last_day"
        " FROM reports_sourceperiod",
    ),
]

ORPHANS = [
    ("Record", "reports_record"),
    ("DailyRollup", "reports_dailyrollup"),
]


def _compare_sql(keys, columns, expected, found) -> str:
    on = " AND ".join(f"e.{k} = f.{k}" for k in keys)
    # Dates are compared only where both sides hold the row: a missing row is zeros.
    numbers = [c for c in columns if c not in ("first_day", "last_day")]
    dates = [c for c in columns if c in ("first_day", "last_day")]
    differs = [f"coalesce(e.{c}, 0) <> coalesce(f.{c}, 0)" for c in numbers]
    differs += [f"(e.{c} IS NOT NULL AND f.{c} IS NOT NULL AND e.{c} <> f.{c})" for c in dates]
    pick = ", ".join(f"coalesce(e.{k}, f.{k})" for k in keys)
    cols = ", ".join([f"coalesce(e.{c}, 0)" for c in numbers] + [f"e.{c}" for c in dates])
    fcols = ", ".join([f"coalesce(f.{c}, 0)" for c in numbers] + [f"f.{c}" for c in dates])
    return (
        f"SELECT {pick}, {cols}, {fcols} FROM ({expected}) e FULL OUTER JOIN ({found}) f ON {on}"
        f" WHERE {' OR '.join(differs)} ORDER BY 1"
    )


def _plain(value):
    if isinstance(value, Decimal):  # sum() of bigints
        return int(value)
    return value if isinstance(value, int | str) or value is None else str(value)


def differences() -> list[Difference]:
    """Every difference between the stored counts and a rebuild from the records."""
    out = []
    with connection.cursor() as cur:
        for table, keys, columns, expected, found in COMPARISONS:
            numbers = [c for c in columns if c not in ("first_day", "last_day")]
            ordered = numbers + [c for c in columns if c in ("first_day", "last_day")]
            cur.execute(_compare_sql(keys, columns, expected, found))
            for row in cur.fetchall():
                row = [_plain(v) for v in row]
                k, rest = row[: len(keys)], row[len(keys) :]
                out.append(
                    Difference(
                        table,
                        dict(zip(keys, k, strict=True)),
                        dict(zip(ordered, rest[: len(ordered)], strict=True)),
                        dict(zip(ordered, rest[len(ordered) :], strict=True)),
                    )
                )
        for table, db_table in ORPHANS:
            cur.execute(
                f"SELECT t.report_id, count(*) FROM {db_table} t"
                " WHERE NOT EXISTS (SELECT 1 FROM reports_report r WHERE r.id = t.report_id)"
                " GROUP BY 1 ORDER BY 1"
            )
            for report_id, rows in cur.fetchall():
                out.append(Difference(table, {"report_id": report_id}, {"rows": 0}, {"rows": rows}))
    return out


def rebuild(domain: str | None = None, batch: int = 200) -> None:
    """Recompute the coarser rollups from the DailyRollup rows (after a migration or a repair)."""
    with transaction.atomic():
        for model in (DomainDay, ReporterDay, SourcePeriod):
            rows = model.objects.all()
            (rows.filter(domain=domain) if domain else rows).delete()
        reports = Report.objects.filter(domain=domain) if domain else Report.objects.all()
        ids = list(reports.order_by("id").values_list("id", flat=True))
        with connection.cursor() as cur:
            for i in range(0, len(ids), batch):
                add_reports(cur, ids[i : i + batch])


@dataclass
class Repaired:
    """What `check_rollups --repair` changed."""

    reports: list[int] = field(default_factory=list)  # record and message counts set from the records
    daily_rollups: list[int] = field(default_factory=list)  # reports whose DailyRollup rows were rewritten
    orphans: dict[str, int] = field(default_factory=dict)  # rows of reports that are gone, deleted
    domains: list[str] = field(default_factory=list)  # whose coarser rollups were rebuilt

    def as_json(self) -> dict:
        return {
            "reports": self.reports,
            "daily_rollups": self.daily_rollups,
            "orphans": self.orphans,
            "domains": self.domains,
        }


def repair() -> tuple[list[Difference], Repaired]:
    """Rebuild what differs from the records, in one transaction: a report's counts, a report's
    DailyRollup rows (split over its days again), rows of reports that are gone, and the coarser rollups
    of every domain touched. Returns the differences found and what was changed; reports_changed
    follows the commit, so that what is derived from the rollups is computed again."""
    done = Repaired()
    with transaction.atomic(), connection.cursor() as cur:
        # Imports and deletions write DailyRollup rows first: they wait for the repair to commit, so
        # that nothing folds into the rows being rebuilt. Pages keep reading meanwhile.
        cur.execute("LOCK TABLE reports_dailyrollup IN SHARE ROW EXCLUSIVE MODE")
        found = differences()
        domains: set[str] = set()
        done.reports = sorted({d.key["id"] for d in found if d.table == "Report"})
        if done.reports:
            cur.execute(
                "UPDATE reports_report p SET record_count = c.n, message_count = c.m FROM ("
                " SELECT q.id, count(r.id) AS n, coalesce(sum(r.count), 0) AS m FROM reports_report q"
                " LEFT JOIN reports_record r ON r.report_id = q.id WHERE q.id = ANY(%s) GROUP BY q.id"
                ") c WHERE p.id = c.id",
                [done.reports],
            )
        done.daily_rollups = sorted({d.key["report_id"] for d in found if d.table == "DailyRollup"})
        for table, db_table in ORPHANS:
            cur.execute(
                f"DELETE FROM {db_table} t WHERE NOT EXISTS"
                " (SELECT 1 FROM reports_report r WHERE r.id = t.report_id) RETURNING t.domain"
            )
            gone = [row[0] for row in cur.fetchall()]
            domains.update(gone)
            if gone:
                done.orphans[table] = len(gone)
        for pk in done.daily_rollups:
            domain = _rewrite_daily_rollups(cur, pk)
            if domain:
                domains.add(domain)
        domains.update(d.key["domain"] for d in found if "domain" in d.key)
        done.domains = sorted(domains)
        for domain in done.domains:
            rebuild(domain)
        events.send_reports_changed(__name__, done.domains, ())
    return found, done


def _rewrite_daily_rollups(cur, report_pk: int) -> str | None:
    """Write a report's DailyRollup rows again from its records, as the import did; its domain (None
    when the report is gone: its rows were orphans)."""
    cur.execute('SELECT domain, "begin", "end", org_name FROM reports_report WHERE id = %s', [report_pk])
    row = cur.fetchone()
    cur.execute("DELETE FROM reports_dailyrollup WHERE report_id = %s", [report_pk])
    if row is None:
        return None
    domain, begin, end, org_name = row
    header = SimpleNamespace(begin=begin, end=end, org_name=org_name, policy=SimpleNamespace(domain=domain))
    rows = RollupRows(cur, report_pk, header, Escaped(copy_escape))
    with connection.cursor() as records:
        records.execute(
            "SELECT host(source_ip), count, dkim, spf, disposition FROM reports_record WHERE report_id = %s",
            [report_pk],
        )
        while batch := records.fetchmany(5000):
            for ip, count, dkim, spf, disposition in batch:
                rows.add(
                    SimpleNamespace(source_ip=ip, count=count, dkim=dkim, spf=spf, disposition=disposition)
                )
    rows.write()
    return domain
