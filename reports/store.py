"""Writing one parsed report into PostgreSQL.

1. Insert the report row with ON CONFLICT DO NOTHING on its identity (reporter
   org, report_id, policy domain, date range). If it is already there, the
   report is a duplicate and nothing else is read: the database decides, so two
   workers importing the same report at once still store it once.
2. Stream the records in batches: COPY records and auth results, with ids
   taken from the sequences up front so that auth results can point at their
   record without a round trip per row.
3. Spread each record's count over the UTC days of the period and COPY those
   shares into a temporary table; one INSERT ... SELECT ... GROUP BY folds them
   into DailyRollup. Memory stays flat however large the report is.
4. Store the counts, the warnings and the compressed original on the report.

The caller wraps all of it in one transaction.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field

from django.db import connection

from .alignment import evaluate
from .days import DaySplitter
from .dmarc import ParsedReport

BATCH = 5000

ROLLUP_COLUMNS = "messages, dmarc_pass, dkim_pass, spf_pass, quarantined, rejected"


@dataclass
class Stored:
    report_pk: int
    created: bool
    records: int = 0
    messages: int = 0
    warnings: list[str] = field(default_factory=list)


def _compress(data: bytes, gzipped: bool) -> bytes:
    # Level 1: reports are repetitive XML, so it already gets most of the gain,
    # at a fraction of the time level 6 would add to every import.
    return data if gzipped else gzip.compress(data, compresslevel=1, mtime=0)


def store_report(
    parsed: ParsedReport, *, original: bytes, gzipped: bool, name: str, source: str, recovered: bool = False
) -> Stored:
    h = parsed.header
    p = h.policy
    with connection.cursor() as cur:
        pk = _insert_report(cur, parsed, name, source, recovered)
        if pk is None:
            cur.execute(
                "SELECT id, record_count, message_count, recovered FROM reports_report WHERE org_name = %s"
                ' AND report_id = %s AND domain = %s AND "begin" = %s AND "end" = %s',
                [h.org_name, h.report_id, p.domain, h.begin, h.end],
            )
            pk, records, messages, stored_recovered = cur.fetchone()
            if not (stored_recovered and not recovered):
                return Stored(pk, created=False, records=records, messages=messages)
            # The copy we hold was damaged and only partly recovered; this one
            # parsed cleanly, so its values are the ones to keep.
            remove_report(pk)
            parsed.warnings.append("This copy replaced a damaged copy of the same report stored earlier.")
            pk = _insert_report(cur, parsed, name, source, recovered)

        records, messages = _write_records(cur, pk, parsed)
        cur.execute(
            "UPDATE reports_report SET record_count = %s, message_count = %s, warnings = %s, original = %s"
            " WHERE id = %s",
            [records, messages, json.dumps(parsed.warnings), _compress(original, gzipped), pk],
        )
    return Stored(pk, created=True, records=records, messages=messages, warnings=list(parsed.warnings))


def _insert_report(cur, parsed: ParsedReport, name: str, source: str, recovered: bool) -> int | None:
    """Insert the report row; None when a report with the same identity is already stored."""
    h = parsed.header
    p = h.policy
    cur.execute(
            """
            INSERT INTO reports_report (org_name, email, extra_contact_info, report_id, domain, "begin",
                "end", version, generator, schema, errors, adkim, aspf, p, sp, np, pct, fo, testing,
                discovery_method, record_count, message_count, warnings, recovered, original, original_name,
                source, created)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                0, 0, '[]', %s, '', %s, %s, now())
            ON CONFLICT ON CONSTRAINT report_identity DO NOTHING
            RETURNING id
            """,
            [
                h.org_name, h.email, h.extra_contact_info, h.report_id, p.domain, h.begin, h.end,
                h.version, h.generator, h.schema, json.dumps(h.errors), p.adkim, p.aspf, p.p, p.sp, p.np,
                p.pct, p.fo, p.testing, p.discovery_method, recovered, name[:512], source[:512],
            ],
        )  # fmt: skip
    row = cur.fetchone()
    return row[0] if row else None


def _write_records(cur, report_pk: int, parsed: ParsedReport) -> tuple[int, int]:
    h = parsed.header
    domain = h.policy.domain
    adkim, aspf = h.policy.adkim, h.policy.aspf
    splitter = DaySplitter(h.begin, h.end)
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS rollup_in (day date, source_ip inet, header_from text,"
        " messages bigint, dmarc_pass bigint, dkim_pass bigint, spf_pass bigint,"
        " quarantined bigint, rejected bigint) ON COMMIT DELETE ROWS"
    )
    total_records = 0
    total_messages = 0
    batch = []
    for record in parsed.records:
        evaluate(record, adkim, aspf)
        batch.append(record)
        total_records += 1
        total_messages += record.count
        if len(batch) >= BATCH:
            _write_batch(cur, report_pk, domain, h.begin, splitter, batch)
            batch = []
    if batch:
        _write_batch(cur, report_pk, domain, h.begin, splitter, batch)
    # Sorted so that concurrent imports touching the same rollup rows take
    # their row locks in the same order and cannot deadlock.
    cur.execute(
        f"""
        INSERT INTO reports_dailyrollup (domain, day, source_ip, reporter, header_from, {ROLLUP_COLUMNS})
        SELECT %s, day, source_ip, %s, header_from, sum(messages), sum(dmarc_pass), sum(dkim_pass),
               sum(spf_pass), sum(quarantined), sum(rejected)
        FROM rollup_in GROUP BY day, source_ip, header_from ORDER BY day, source_ip, header_from
        ON CONFLICT ON CONSTRAINT rollup_identity DO UPDATE SET
            messages = reports_dailyrollup.messages + EXCLUDED.messages,
            dmarc_pass = reports_dailyrollup.dmarc_pass + EXCLUDED.dmarc_pass,
            dkim_pass = reports_dailyrollup.dkim_pass + EXCLUDED.dkim_pass,
            spf_pass = reports_dailyrollup.spf_pass + EXCLUDED.spf_pass,
            quarantined = reports_dailyrollup.quarantined + EXCLUDED.quarantined,
            rejected = reports_dailyrollup.rejected + EXCLUDED.rejected
        """,
        [domain, h.org_name],
    )
    cur.execute("TRUNCATE rollup_in")
    return total_records, total_messages


class _CopyText(dict):
    """Strings escaped for COPY's text format, cached: domains and result words repeat
    from record to record, and report values are hostile (a tab or backslash in a
    domain must not shift the columns)."""

    def __missing__(self, value: str) -> str:
        out = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        if len(self) < 50_000:
            self[value] = out
        return out


def _write_batch(cur, report_pk, domain, begin, splitter, batch):
    # COPY rows are formatted here rather than by psycopg's write_row(): on this
    # hot path that is about three times faster, and it is the bulk of an import.
    esc = _CopyText()
    cur.execute("SELECT nextval('reports_record_id_seq') FROM generate_series(1, %s)", [len(batch)])
    ids = [r[0] for r in cur.fetchall()]
    head = f"\t{report_pk}\t{esc[domain]}\t{begin.isoformat()}\t"
    flag = {True: "t", False: "f"}
    records = []
    results = []
    rollup = {}
    for rid, r in zip(ids, batch, strict=True):
        reasons = (
            esc[json.dumps([{"type": x.type, "comment": x.comment} for x in r.reasons])]
            if r.reasons
            else "[]"
        )
        records.append(
            f"{rid}{head}{r.source_ip}\t{r.count}\t{esc[r.disposition]}\t{esc[r.dkim]}\t{esc[r.spf]}\t"
            f"{esc[r.header_from]}\t{esc[r.envelope_from]}\t{esc[r.envelope_to]}\t{reasons}\t"
            f"{flag[r.dkim_aligned]}\t{flag[r.spf_aligned]}\t{flag[r.disagrees]}\n"
        )
        for d in r.dkim_results:
            results.append(
                f"{rid}\tdkim\t{esc[d.domain]}\t{esc[d.selector]}\t\t{esc[d.result]}\t{esc[d.human_result]}\t"
                f"{flag[d.aligned]}\n"
            )
        for x in r.spf_results:
            results.append(
                f"{rid}\tspf\t{esc[x.domain]}\t\t{esc[x.scope]}\t{esc[x.result]}\t\t{flag[x.aligned]}\n"
            )
        dkim_pass = r.dkim == "pass"
        spf_pass = r.spf == "pass"
        for day, n in splitter.split(r.count):
            acc = rollup.get(key := (day, r.source_ip, r.header_from))
            if acc is None:
                acc = rollup[key] = [0, 0, 0, 0, 0, 0]
            acc[0] += n
            if dkim_pass or spf_pass:
                acc[1] += n
            if dkim_pass:
                acc[2] += n
            if spf_pass:
                acc[3] += n
            if r.disposition == "quarantine":
                acc[4] += n
            elif r.disposition == "reject":
                acc[5] += n
    with cur.copy(
        'COPY reports_record (id, report_id, domain, "begin", source_ip, count, disposition, dkim, spf,'
        " header_from, envelope_from, envelope_to, reasons, dkim_aligned, spf_aligned, disagrees) FROM STDIN"
    ) as copy:
        copy.write("".join(records).encode())
    if results:
        with cur.copy(
            "COPY reports_authresult (record_id, kind, domain, selector, scope, result, human_result,"
            " aligned) FROM STDIN"
        ) as copy:
            copy.write("".join(results).encode())
    with cur.copy(
        "COPY rollup_in (day, source_ip, header_from, messages, dmarc_pass, dkim_pass, spf_pass,"
        " quarantined, rejected) FROM STDIN"
    ) as copy:
        copy.write(
            "".join(
                f"{day}\t{ip}\t{esc[hf]}\t{a[0]}\t{a[1]}\t{a[2]}\t{a[3]}\t{a[4]}\t{a[5]}\n"
                for (day, ip, hf), a in rollup.items()
            ).encode()
        )


def remove_report(report_pk: int) -> None:
    """Delete a report and take its counts back out of the rollup (for reprocess)."""
    with connection.cursor() as cur:
        cur.execute(
            'SELECT domain, org_name, "begin", "end" FROM reports_report WHERE id = %s FOR UPDATE',
            [report_pk],
        )
        row = cur.fetchone()
        if row is None:
            return
        domain, org_name, begin, end = row
        splitter = DaySplitter(begin, end)
        cur.execute(
            "SELECT source_ip, header_from, count, disposition, dkim, spf FROM reports_record"
            " WHERE report_id = %s",
            [report_pk],
        )
        shares = {}
        for ip, hf, count, disp, dkim, spf in cur.fetchall():
            passed = dkim == "pass" or spf == "pass"
            for day, n in splitter.split(count):
                acc = shares.setdefault((day, str(ip), hf), [0, 0, 0, 0, 0, 0])
                acc[0] += n
                acc[1] += n if passed else 0
                acc[2] += n if dkim == "pass" else 0
                acc[3] += n if spf == "pass" else 0
                acc[4] += n if disp == "quarantine" else 0
                acc[5] += n if disp == "reject" else 0
        for (day, ip, hf), acc in sorted(shares.items()):
            cur.execute(
                "UPDATE reports_dailyrollup SET messages = messages - %s, dmarc_pass = dmarc_pass - %s,"
                " dkim_pass = dkim_pass - %s, spf_pass = spf_pass - %s, quarantined = quarantined - %s,"
                " rejected = rejected - %s WHERE domain = %s AND day = %s AND source_ip = %s"
                " AND reporter = %s AND header_from = %s",
                [*acc, domain, day, ip, org_name, hf],
            )
        cur.execute("DELETE FROM reports_dailyrollup WHERE domain = %s AND messages <= 0", [domain])
        cur.execute(
            "DELETE FROM reports_authresult"
            " WHERE record_id IN (SELECT id FROM reports_record WHERE report_id = %s)",
            [report_pk],
        )
        cur.execute("DELETE FROM reports_record WHERE report_id = %s", [report_pk])
        cur.execute("DELETE FROM reports_report WHERE id = %s", [report_pk])
