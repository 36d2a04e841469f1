"""Keeping the dashboard's coarser rollups in step with the stored reports.

The store writes each report's DailyRollup rows itself: the report's counts
shared out over the UTC days of its period (reports.ingest.days), per source (and,
being per report, per reporter). Everything coarser is folded from those rows, so
all rollups agree to the message and nothing here reads the raw records:

- DomainDay: per domain and day (the overview's totals and charts);
- ReporterDay: per domain, day and reporter (who reports, and how much);
- SourcePeriod: per source and day, calendar month and calendar year (the
  sources table sums whole months and years instead of days).

add_reports() adds a report's rows with one INSERT ... SELECT ... ON CONFLICT
per table, always in the same order of tables and keys, so that concurrent
imports take their row locks in the same order. The tables go from the least
to the most shared rows: every report of a domain and day updates the same
DomainDay row, so that one is locked last, for the shortest time before the
commit. subtract_reports() adds the rows negated, deletes those that reach zero
and recomputes first/last seen of the month and year rows it touched; call it
before the report's DailyRollup rows are deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from reports.shared.counts import FIELDS

SUMS = FIELDS
SIGNED_SUMS = ", ".join(f"sum(d.{c}) * %(sign)s" for c in SUMS)
ADD_SUMS = ", ".join(f"{c} = {{t}}.{c} + EXCLUDED.{c}" for c in SUMS)
ROWS = "reports_dailyrollup d WHERE d.report_id = ANY(%(ids)s)"
PERIODS = """CROSS JOIN LATERAL (VALUES ('d', d.day), ('m', date_trunc('month', d.day::timestamp)::date),
    ('y', date_trunc('year', d.day::timestamp)::date)) p(period, start)"""

DOMAIN_DAY = f"""
INSERT INTO reports_domainday (domain, day, {", ".join(SUMS)})
SELECT d.domain, d.day, {SIGNED_SUMS} FROM {ROWS}
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT ON CONSTRAINT domainday_identity DO UPDATE SET {ADD_SUMS.format(t="reports_domainday")}
"""

REPORTER_DAY = f"""
INSERT INTO reports_reporterday (domain, day, reporter, messages)
SELECT d.domain, d.day, d.reporter, sum(d.messages) * %(sign)s FROM {ROWS}
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT ON CONSTRAINT reporterday_identity DO UPDATE
    SET messages = reports_reporterday.messages + EXCLUDED.messages
"""

# Grouped and ordered by address first: the domain is nearly always the same for
# all rows, and sorting on it first costs a text comparison per step.
SOURCE_PERIOD = f"""
INSERT INTO reports_sourceperiod (source_ip, period, start, domain, {", ".join(SUMS)}, first_day, last_day)
SELECT d.source_ip, p.period, p.start, d.domain, {SIGNED_SUMS}, min(d.day), max(d.day)
FROM reports_dailyrollup d {PERIODS}
WHERE d.report_id = ANY(%(ids)s)
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (domain, period, start, source_ip) DO UPDATE SET {ADD_SUMS.format(t="reports_sourceperiod")},
    first_day = LEAST(reports_sourceperiod.first_day, EXCLUDED.first_day),
    last_day = GREATEST(reports_sourceperiod.last_day, EXCLUDED.last_day)
"""

FOLDS = (SOURCE_PERIOD, REPORTER_DAY, DOMAIN_DAY)

# After a removal: rows that fell to zero go, and the month and year rows
# touched get their first/last seen again from the other reports' days.
TOUCHED = (
    f"SELECT DISTINCT d.domain, p.period, p.start, d.source_ip FROM reports_dailyrollup d {PERIODS}"
    " WHERE d.report_id = ANY(%(ids)s)"
)
CLEAN_UP = [
    f"""DELETE FROM reports_domainday x USING (SELECT DISTINCT d.domain, d.day FROM {ROWS}) k
    WHERE x.domain = k.domain AND x.day = k.day AND x.messages <= 0""",
    f"""DELETE FROM reports_reporterday x USING (SELECT DISTINCT d.domain, d.day, d.reporter FROM {ROWS}) k
    WHERE x.domain = k.domain AND x.day = k.day AND x.reporter = k.reporter AND x.messages <= 0""",
    f"""DELETE FROM reports_sourceperiod x USING ({TOUCHED}) t
    WHERE x.domain = t.domain AND x.period = t.period AND x.start = t.start AND x.source_ip = t.source_ip
        AND x.messages <= 0""",
    f"""UPDATE reports_sourceperiod x SET first_day = f.first_day, last_day = f.last_day FROM (
        SELECT t.domain, t.period, t.start, t.source_ip, min(o.day) AS first_day, max(o.day) AS last_day
        FROM ({TOUCHED}) t
        JOIN reports_dailyrollup o ON o.domain = t.domain AND o.source_ip = t.source_ip
            AND o.day >= t.start
            AND o.day < t.start + CASE WHEN t.period = 'm' THEN interval '1 month' ELSE interval '1 year' END
            AND o.report_id <> ALL(%(ids)s)
        WHERE t.period <> 'd'
        GROUP BY 1, 2, 3, 4
    ) f
    WHERE x.domain = f.domain AND x.period = f.period AND x.start = f.start AND x.source_ip = f.source_ip""",
]


def add_reports(cursor, report_ids: Iterable[int]) -> None:
    """Fold the DailyRollup rows of newly stored reports into the coarser rollups."""
    ids = list(report_ids)
    if ids:
        for sql in FOLDS:
            cursor.execute(sql, {"ids": ids, "sign": 1})


def subtract_reports(cursor, report_ids: Iterable[int]) -> None:
    """Take reports back out of the coarser rollups; call before deleting their DailyRollup rows."""
    params = {"ids": list(report_ids), "sign": -1}
    if params["ids"]:
        with transaction.atomic():
            for sql in (*FOLDS, *CLEAN_UP):
                cursor.execute(sql, params)
