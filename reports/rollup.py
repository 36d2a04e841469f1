"""Keeping the dashboard's rollup tables in step with the stored reports.

The store calls add_reports() after writing a report's records, in the same
transaction, and remove_report() before deleting them. Both read the report's
records back from the database and share each record's count out over the
UTC days of the report period exactly as DailyRollup does (reports.days), so
all rollups agree to the message.

1. Each record's count is split into (record, day, messages) shares in a
   temporary table: one share for a one-day report (nearly all of them), the
   largest-remainder split of DaySplitter, in SQL, for longer periods.
2. One INSERT ... SELECT ... ON CONFLICT per table folds the shares into
   DomainDay, ReporterDay and SourcePeriod (day, month and year rows). Rows
   are inserted in key order, so that concurrent imports take their row locks
   in the same order. SourceAuth and SourceReason, like DailyRollup, get rows
   appended per report instead.
3. Removal adds the same shares negated, deletes the rows that reach zero,
   and recomputes first/last seen of the month and year rows it touched; the
   per-report rows are simply deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from .days import day_weights

SUMS = "messages, dmarc_pass, dkim_pass, spf_pass, quarantined, rejected"
ADD_SUMS = ", ".join(f"{c} = {{t}}.{c} + EXCLUDED.{c}" for c in SUMS.split(", "))
# Columns computed from a share `s` of record `r`; the verdicts are the reporter's (policy_evaluated).
SHARE_SUMS = """sum(s.n),
    sum(CASE WHEN r.dkim = 'pass' OR r.spf = 'pass' THEN s.n ELSE 0 END),
    sum(CASE WHEN r.dkim = 'pass' THEN s.n ELSE 0 END),
    sum(CASE WHEN r.spf = 'pass' THEN s.n ELSE 0 END),
    sum(CASE WHEN r.disposition = 'quarantine' THEN s.n ELSE 0 END),
    sum(CASE WHEN r.disposition = 'reject' THEN s.n ELSE 0 END)"""
SHARES = """dash_share s JOIN reports_record r ON r.id = s.record_id
    JOIN reports_report rep ON rep.id = r.report_id"""


def add_reports(cursor, report_ids: Iterable[int]) -> None:
    """Fold the records of newly stored reports into the rollups (call once per report)."""
    _apply(cursor, list(report_ids), sign=1)


def remove_report(cursor, report_pk: int) -> None:
    """Take a report's records back out of the rollups; call before deleting them."""
    _apply(cursor, [report_pk], sign=-1)


def rebuild(domain: str | None = None, batch: int = 200) -> None:
    """Recompute every rollup from the stored reports (after a migration or a repair)."""
    from .models import DomainDay, Report, ReporterDay, SourceAuth, SourcePeriod, SourceReason

    with transaction.atomic():
        for model in (DomainDay, ReporterDay, SourcePeriod, SourceAuth, SourceReason):
            rows = model.objects.all()
            (rows.filter(domain=domain) if domain else rows).delete()
        reports = Report.objects.filter(domain=domain) if domain else Report.objects.all()
        ids = list(reports.order_by("id").values_list("id", flat=True))
        with connection.cursor() as cur:
            for i in range(0, len(ids), batch):
                add_reports(cur, ids[i : i + batch])


def _apply(cur, report_ids: list[int], sign: int) -> None:
    if not report_ids:
        return
    with transaction.atomic():
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS dash_share (record_id bigint, day date, n bigint)"
            " ON COMMIT DELETE ROWS"
        )
        _share_out(cur, report_ids, sign)
        # A temporary table has no statistics: without them the planner guesses its size and may
        # scan whole tables for a report of a few records.
        cur.execute("ANALYZE dash_share")
        if sign < 0:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS dash_touched (period char(1), start date, source_ip inet)"
                " ON COMMIT DELETE ROWS"
            )
            cur.execute(
                f"INSERT INTO dash_touched SELECT DISTINCT p.period, p.start, r.source_ip FROM {SHARES}"
                f" CROSS JOIN LATERAL ({PERIODS}) p(period, start)"
            )
        for sql in (DOMAIN_DAY, REPORTER_DAY, SOURCE_PERIOD):
            cur.execute(sql)
        if sign > 0:
            cur.execute(SOURCE_AUTH)
            cur.execute(SOURCE_REASON)
        else:
            # Appended per report: taking a report out is deleting its rows.
            for table in ("reports_sourceauth", "reports_sourcereason"):
                cur.execute(f"DELETE FROM {table} WHERE report_id = ANY(%s)", [report_ids])
        if sign < 0:
            for sql in CLEAN_UP:
                cur.execute(sql)
            cur.execute("TRUNCATE dash_touched")
        cur.execute("TRUNCATE dash_share")


def _share_out(cur, report_ids: list[int], sign: int) -> None:
    cur.execute('SELECT id, "begin", "end" FROM reports_report WHERE id = ANY(%s)', [report_ids])
    single, spread = [], []
    for pk, begin, end in cur.fetchall():
        weights = day_weights(begin, end)
        if len(weights) == 1:
            single.append((pk, weights[0][0]))
        else:
            spread.append((pk, weights))
    if single:
        cur.execute(
            "INSERT INTO dash_share (record_id, day, n)"
            " SELECT r.id, d.day, r.count * %s FROM reports_record r"
            " JOIN unnest(%s::bigint[], %s::date[]) AS d(report_id, day) ON d.report_id = r.report_id",
            [sign, [pk for pk, _ in single], [day for _, day in single]],
        )
    for pk, weights in spread:
        # reports.days.DaySplitter in SQL: whole shares by weight, then the
        # remainder one by one to the biggest remainders, earlier day on ties.
        cur.execute(
            """
            INSERT INTO dash_share (record_id, day, n)
            SELECT id, day, (q + CASE WHEN rn <= left_over THEN 1 ELSE 0 END) * %(sign)s FROM (
                SELECT r.id, w.day, (r.count * w.weight) / %(total)s AS q,
                       row_number() OVER (PARTITION BY r.id
                                          ORDER BY (r.count * w.weight) %% %(total)s DESC, w.idx) AS rn,
                       r.count - sum((r.count * w.weight) / %(total)s) OVER (PARTITION BY r.id) AS left_over
                FROM reports_record r
                CROSS JOIN unnest(%(days)s::date[], %(weights)s::bigint[])
                    WITH ORDINALITY AS w(day, weight, idx)
                WHERE r.report_id = %(pk)s
            ) x WHERE q + CASE WHEN rn <= left_over THEN 1 ELSE 0 END > 0
            """,
            {
                "sign": sign,
                "total": sum(w for _, w in weights),
                "days": [d for d, _ in weights],
                "weights": [w for _, w in weights],
                "pk": pk,
            },
        )


PERIODS = """VALUES ('d', s.day), ('m', date_trunc('month', s.day::timestamp)::date),
    ('y', date_trunc('year', s.day::timestamp)::date)"""

DOMAIN_DAY = f"""
INSERT INTO reports_domainday (domain, day, {SUMS})
SELECT r.domain, s.day, {SHARE_SUMS} FROM {SHARES}
GROUP BY r.domain, s.day ORDER BY 1, 2
ON CONFLICT ON CONSTRAINT domainday_identity DO UPDATE SET {ADD_SUMS.format(t="reports_domainday")}
"""

REPORTER_DAY = """
INSERT INTO reports_reporterday (domain, day, reporter, messages)
SELECT r.domain, s.day, rep.org_name, sum(s.n) FROM dash_share s JOIN reports_record r ON r.id = s.record_id
    JOIN reports_report rep ON rep.id = r.report_id
GROUP BY r.domain, s.day, rep.org_name ORDER BY 1, 2, 3
ON CONFLICT ON CONSTRAINT reporterday_identity DO UPDATE
    SET messages = reports_reporterday.messages + EXCLUDED.messages
"""

SOURCE_PERIOD = f"""
INSERT INTO reports_sourceperiod (domain, period, start, source_ip, {SUMS}, first_day, last_day)
SELECT r.domain, p.period, p.start, r.source_ip, {SHARE_SUMS}, min(s.day), max(s.day)
FROM {SHARES} CROSS JOIN LATERAL ({PERIODS}) p(period, start)
GROUP BY r.domain, p.period, p.start, r.source_ip ORDER BY 1, 2, 3, 4
ON CONFLICT ON CONSTRAINT sourceperiod_identity DO UPDATE SET {ADD_SUMS.format(t="reports_sourceperiod")},
    first_day = LEAST(reports_sourceperiod.first_day, EXCLUDED.first_day),
    last_day = GREATEST(reports_sourceperiod.last_day, EXCLUDED.last_day)
"""

# A record with no DKIM result at all counts under an empty DKIM row: unsigned mail.
# Appended per report rather than merged per key: an upsert on this wide key
# cost more than the rest of an import. A record with no DKIM result at all
# counts under an empty DKIM row: unsigned mail.
SOURCE_AUTH = f"""
INSERT INTO reports_sourceauth (report_id, domain, source_ip, day, kind, auth_domain, selector, scope, result,
    aligned, messages)
SELECT r.report_id, r.domain, r.source_ip, s.day, a.kind, left(a.domain, 255),
       CASE WHEN a.kind = 'dkim' THEN left(a.selector, 255) ELSE '' END,
       CASE WHEN a.kind = 'spf' THEN left(a.scope, 16) ELSE '' END,
       left(a.result, 16), a.aligned, sum(s.n)
FROM {SHARES} JOIN reports_authresult a ON a.record_id = r.id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
UNION ALL
SELECT r.report_id, r.domain, r.source_ip, s.day, 'dkim', '', '', '', '', false, sum(s.n)
FROM {SHARES}
WHERE NOT EXISTS (SELECT 1 FROM reports_authresult a WHERE a.record_id = r.id AND a.kind = 'dkim')
GROUP BY 1, 2, 3, 4
"""

SOURCE_REASON = f"""
INSERT INTO reports_sourcereason (report_id, domain, source_ip, day, reason, comment, messages)
SELECT r.report_id, r.domain, r.source_ip, s.day, left(coalesce(x.reason->>'type', ''), 64),
       left(coalesce(x.reason->>'comment', ''), 255), sum(s.n)
FROM {SHARES}
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(r.reasons) = 'array' THEN r.reasons ELSE '[]'::jsonb END) AS x(reason)
GROUP BY 1, 2, 3, 4, 5, 6
"""

# After a removal: rows that fell to zero go, and the month and year rows
# touched get their first/last seen again from their remaining days.
CLEAN_UP = [
    "DELETE FROM reports_domainday d USING (SELECT DISTINCT r.domain, s.day FROM " + SHARES + ") k"
    " WHERE d.domain = k.domain AND d.day = k.day AND d.messages <= 0",
    "DELETE FROM reports_reporterday d USING (SELECT DISTINCT r.domain, s.day FROM " + SHARES + ") k"
    " WHERE d.domain = k.domain AND d.day = k.day AND d.messages <= 0",
    """DELETE FROM reports_sourceperiod p USING dash_touched t, (SELECT DISTINCT domain FROM reports_record
        WHERE id IN (SELECT record_id FROM dash_share)) dom
    WHERE p.domain = dom.domain AND p.period = t.period AND p.start = t.start AND p.source_ip = t.source_ip
        AND p.messages <= 0""",
    """UPDATE reports_sourceperiod p SET first_day = f.first_day, last_day = f.last_day FROM (
        SELECT d.domain, t.period, t.start, t.source_ip, min(d.start) AS first_day, max(d.start) AS last_day
        FROM dash_touched t JOIN reports_sourceperiod d ON d.period = 'd' AND d.source_ip = t.source_ip
            AND d.start >= t.start
            AND d.start < t.start
                + CASE WHEN t.period = 'm' THEN interval '1 month' ELSE interval '1 year' END
        WHERE t.period <> 'd' AND d.domain IN (SELECT DISTINCT domain FROM reports_record
                                               WHERE id IN (SELECT record_id FROM dash_share))
        GROUP BY d.domain, t.period, t.start, t.source_ip
    ) f
    WHERE p.domain = f.domain AND p.period = f.period AND p.start = f.start AND p.source_ip = f.source_ip""",
]
