"""Writing one parsed report into PostgreSQL.

1. Insert the report row with ON CONFLICT DO NOTHING on its identity (reporter
   org, report_id, policy domain, date range). If it is already there, the
   report is a duplicate and nothing else is read: the database decides, so two
   workers importing the same report at once still store it once.
2. Stream the records in batches and COPY them, each with its DKIM and SPF
   results in its own row (Record.auth).
3. Spread each record's count over the UTC days of the period, sum the shares
   per day and source over the report and COPY them into DailyRollup. The sums
   are written early when a huge report has very many sources, so memory stays
   flat however large the report is.
4. Fold the report's DailyRollup rows into the coarser rollups (reports.rollups.fold)
   and store the counts, the warnings and the compressed original on the report.

The caller wraps all of it in one transaction.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import date

import psycopg
from django.conf import settings
from django.db import connection, transaction

from reports.ingest.alignment import evaluate
from reports.ingest.days import DaySplitter, counted_period, covered_days
from reports.ingest.errors import ReportError
from reports.ingest.parser import MAX_COUNT
from reports.ingest.report import ParsedReport
from reports.ingest.reporter import UNSIGNED_FILE, Verdict
from reports.rollups import fold
from reports.shared import events

BATCH = 5000
# DailyRollup sums held before they are written: one row per day and source.
ROLLUP_KEYS = 20_000


@dataclass
class Stored:
    report_pk: int
    created: bool
    records: int = 0
    messages: int = 0
    warnings: list[str] = field(default_factory=list)
    days: tuple[date, ...] = ()  # of a report stored now: the UTC days its counts went to


def _compress(data: bytes, gzipped: bool) -> bytes:
    # Level 1: reports are repetitive XML, so it already gets most of the gain,
    # at a fraction of the time level 6 would add to every import.
    return data if gzipped else gzip.compress(data, compresslevel=1, mtime=0)


def store_report(
    parsed: ParsedReport,
    *,
    original: bytes,
    gzipped: bool,
    name: str,
    origin: str,
    recovered: bool = False,
    verdict: Verdict = UNSIGNED_FILE,
    trusted: bool = False,
) -> Stored:
    h = parsed.header
    p = h.policy
    vouch = (verdict.verified, verdict.signing_domain[:253], trusted)
    with connection.cursor() as cur:
        pk = _insert_report(cur, parsed, name, origin, recovered, vouch)
        if pk is None:
            cur.execute(
                "SELECT id, record_count, message_count, recovered FROM reports_report WHERE org_name = %s"
                ' AND report_id = %s AND domain = %s AND "begin" = %s AND "end" = %s',
                [h.org_name, h.report_id, p.domain, h.begin, h.end],
            )
            pk, records, messages, stored_recovered = cur.fetchone()
            _vouch_again(cur, pk, *vouch)
            if not (stored_recovered and not recovered):
                return Stored(pk, created=False, records=records, messages=messages)
            # The copy we hold was damaged and only partly recovered; this one
            # parsed cleanly, so its values are the ones to keep.
            remove_report(pk)
            parsed.warnings.append("This copy replaced a damaged copy of the same report stored earlier.")
            pk = _insert_report(cur, parsed, name, origin, recovered, vouch)

        records, messages = _write_records(cur, pk, parsed)
        # A plain psycopg cursor sends the bytes as a bound binary parameter; Django's
        # client-side binding would spell them out in hex inside the SQL text, which
        # costs several times their size in memory.
        with psycopg.Cursor(connection.connection) as raw:
            raw.execute(
                "UPDATE reports_report SET record_count = %s, message_count = %s, warnings = %s,"
                " original = %s WHERE id = %s",
                [records, messages, json.dumps(parsed.warnings), _compress(original, gzipped), pk],
            )
        # Last: the fold locks rollup rows that other reports of the same domain and day
        # also need, until this transaction commits.
        fold.add_reports(cur, [pk])
    days = covered_days(h.begin, h.end, settings.DMARC_MAX_PERIOD_DAYS)
    return Stored(pk, True, records, messages, list(parsed.warnings), days)


# The report's identity must fit its columns and its unique index (at most 2,704
# bytes an entry) whole: cutting it could make two reports one.
_IDENTITY_CHARS, _IDENTITY_BYTES = 255, 600
# Other header values only describe the report: longer ones are cut, with a warning.
_HEADER_LIMITS = {"email": 255, "version": 16, "generator": 255}
_POLICY_LIMITS = {"p": 16, "sp": 16, "np": 16, "fo": 32, "testing": 8, "discovery_method": 16}


def _fit_header(parsed: ParsedReport) -> None:
    h = parsed.header
    for what, value in (
        ("org_name", h.org_name),
        ("report_id", h.report_id),
        ("policy domain", h.policy.domain),
    ):
        if len(value) > _IDENTITY_CHARS or len(value.encode()) > _IDENTITY_BYTES:
            raise ReportError(
                f"The report's {what} is longer than {_IDENTITY_CHARS} characters: {value[:60]!r}..."
            )
    for obj, limits, prefix in ((h, _HEADER_LIMITS, ""), (h.policy, _POLICY_LIMITS, "policy_published ")):
        for field_name, limit in limits.items():
            value = getattr(obj, field_name)
            if len(value) > limit:
                setattr(obj, field_name, value[:limit])
                parsed.warnings.append(
                    f"The report's {prefix}{field_name} was longer than {limit} characters and was cut"
                )


def _check_period(parsed: ParsedReport) -> None:
    h = parsed.header
    limit = settings.DMARC_MAX_PERIOD_DAYS
    start, cut = counted_period(h.begin, h.end, limit)
    if cut:
        days = (h.end - h.begin).total_seconds() / 86400
        warning = (
            f"The report's date range spans {days:,.0f} days ({h.begin:%Y-%m-%d} to {h.end:%Y-%m-%d}),"
            f" more than DMARC_MAX_PERIOD_DAYS ({limit}): its counts are spread over its last {limit} days,"
            f" from {start:%Y-%m-%d}"
        )
        if warning not in parsed.warnings:
            parsed.warnings.append(warning)


def _vouch_again(cur, pk: int, verified: bool | None, signing_domain: str, trusted: bool) -> None:
    """A copy of a stored report that a verified reporter signed (or a user uploaded)
    vouches for the copy already stored: the same identity, the same report."""
    if verified:
        cur.execute(
            "UPDATE reports_report SET reporter_verified = true, signing_domain = %s, trusted = true"
            " WHERE id = %s AND reporter_verified IS NOT TRUE",
            [signing_domain, pk],
        )
    elif trusted:
        cur.execute("UPDATE reports_report SET trusted = true WHERE id = %s AND NOT trusted", [pk])


def _insert_report(cur, parsed: ParsedReport, name: str, origin: str, recovered: bool, vouch) -> int | None:
    """Insert the report row; None when a report with the same identity is already stored."""
    _fit_header(parsed)
    _check_period(parsed)
    h = parsed.header
    p = h.policy
    cur.execute(
            """
            INSERT INTO reports_report (org_name, email, extra_contact_info, report_id, domain, "begin",
                "end", version, generator, schema, errors, adkim, aspf, p, sp, np, pct, fo, testing,
                discovery_method, record_count, message_count, warnings, recovered, original, original_name,
                origin, created, reporter_verified, signing_domain, trusted)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                0, 0, '[]', %s, '', %s, %s, now(), %s, %s, %s)
            ON CONFLICT ON CONSTRAINT report_identity DO NOTHING
            RETURNING id
            """,
            [
                h.org_name, h.email, h.extra_contact_info, h.report_id, p.domain, h.begin, h.end,
                h.version, h.generator, h.schema, json.dumps(h.errors), p.adkim, p.aspf, p.p, p.sp, p.np,
                p.pct, p.fo, p.testing, p.discovery_method, recovered, name[:512], origin[:512], *vouch,
            ],
        )  # fmt: skip
    row = cur.fetchone()
    return row[0] if row else None


def _write_records(cur, report_pk: int, parsed: ParsedReport) -> tuple[int, int]:
    h = parsed.header
    adkim, aspf = h.policy.adkim, h.policy.aspf
    esc = Escaped(copy_escape)
    js = Escaped(_json_copy_escape)
    head = f"{report_pk}\t{esc[h.policy.domain]}\t{h.begin.isoformat()}\t"
    rows = RollupRows(cur, report_pk, h, esc)
    total_records = 0
    total_messages = 0
    batch = []
    for record in parsed.records:
        evaluate(record, adkim, aspf)
        batch.append(record)
        total_records += 1
        total_messages += record.count
        if total_messages > MAX_COUNT:
            # Each count fits a bigint (the parser checks), but their sum must too: it is
            # stored on the report and summed again in every rollup.
            raise ReportError("The report's message counts add up to more than 2^63-1")
        if len(batch) >= BATCH:
            _write_batch(cur, head, esc, js, batch, rows.add)
            batch = []
    if batch:
        _write_batch(cur, head, esc, js, batch, rows.add)
    rows.write()
    return total_records, total_messages


class Escaped(dict):
    """Strings converted for a COPY row, cached: domains and result words repeat from
    record to record, and report values are hostile (a tab or backslash in a domain
    must not shift the columns)."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, value: str) -> str:
        out = self.convert(value)
        if len(self) < 50_000:
            self[value] = out
        return out


def copy_escape(value: str) -> str:
    """A string in COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json_copy_escape(value: str) -> str:
    """A string as a JSON string literal, in COPY's text format."""
    return copy_escape(json.dumps(value, ensure_ascii=False))


class RollupRows(dict):
    """A report's DailyRollup sums, (day, source_ip) -> [messages, dmarc_pass, dkim_pass,
    spf_pass, quarantined, rejected], summed over all its records: one row per day and
    source, however many records and header_from domains the source has. Past
    ROLLUP_KEYS sums they are written out, so memory stays flat on any report."""

    def __init__(self, cur, report_pk: int, header, esc: Escaped):
        super().__init__()
        self.split = DaySplitter(header.begin, header.end, settings.DMARC_MAX_PERIOD_DAYS).split
        self.cur = cur
        self.head = f"{report_pk}\t{esc[header.policy.domain]}\t"
        self.reporter = esc[header.org_name]

    def add(self, r) -> None:
        dkim_pass = r.dkim == "pass"
        spf_pass = r.spf == "pass"
        for day, n in self.split(r.count):
            acc = self.get(key := (day, r.source_ip))
            if acc is None:
                acc = self[key] = [0, 0, 0, 0, 0, 0]
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
        if len(self) > ROLLUP_KEYS:
            self.write()

    def write(self) -> None:
        # After an early write the same (day, source) can get a second row: readers and the
        # coarser rollups sum the rows anyway.
        if not self:
            return
        head, reporter = self.head, self.reporter
        with self.cur.copy(
            "COPY reports_dailyrollup (report_id, domain, day, source_ip, reporter, messages,"
            " dmarc_pass, dkim_pass, spf_pass, quarantined, rejected) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{head}{day}\t{ip}\t{reporter}\t{a[0]}\t{a[1]}\t{a[2]}\t{a[3]}\t{a[4]}\t{a[5]}\n"
                    for (day, ip), a in self.items()
                ).encode()
            )
        self.clear()


def _write_batch(cur, head, esc, js, batch, add_to_rollup):
    # COPY rows are formatted here rather than by psycopg's write_row(): on this
    # hot path that is about three times faster, and it is the bulk of an import.
    # `head` is the columns every record of the report shares.
    flag = {True: "t", False: "f"}
    boolean = {True: "true", False: "false"}
    records = []
    for r in batch:
        reasons = (
            esc[json.dumps([{"type": x.type, "comment": x.comment} for x in r.reasons])]
            if r.reasons
            else "[]"
        )
        # Record.auth: [kind, domain, selector, scope, result, human_result, aligned] each.
        auth = ",".join(
            [
                f'["dkim",{js[d.domain]},{js[d.selector]},"",{js[d.result]},{js[d.human_result]},{boolean[d.aligned]}]'
                for d in r.dkim_results
            ]
            + [
                f'["spf",{js[x.domain]},"",{js[x.scope]},{js[x.result]},"",{boolean[x.aligned]}]'
                for x in r.spf_results
            ]
        )
        records.append(
            f"{head}{r.source_ip}\t{r.count}\t{esc[r.disposition]}\t{esc[r.dkim]}\t{esc[r.spf]}\t"
            f"{esc[r.header_from]}\t{esc[r.envelope_from]}\t{esc[r.envelope_to]}\t{reasons}\t[{auth}]\t"
            f"{flag[r.dkim_aligned]}\t{flag[r.spf_aligned]}\t{flag[r.disagrees]}\n"
        )
        add_to_rollup(r)
    with cur.copy(
        'COPY reports_record (report_id, domain, "begin", source_ip, count, disposition, dkim, spf,'
        " header_from, envelope_from, envelope_to, reasons, auth, dkim_aligned, spf_aligned, disagrees)"
        " FROM STDIN"
    ) as copy:
        copy.write("".join(records).encode())


def remove_report(report_pk: int) -> None:
    """Delete a report and take its counts back out of the rollups (for reprocess)."""
    remove_reports([report_pk])


# Reports taken out per statement: ANY(ids) stays a short array, and each
# statement's sort of the DailyRollup rows stays small.
REMOVE_CHUNK = 100


def remove_reports(report_ids) -> Removed:
    """Delete reports, their records and DailyRollup rows, and take their counts back out of
    the coarser rollups, all in one transaction (the caller's, if any).

    Rows are deleted by the database, never loaded: a report can hold millions of records.
    """
    ids = sorted(set(report_ids))
    removed = Removed()
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, len(ids), REMOVE_CHUNK):
            chunk = ids[i : i + REMOVE_CHUNK]
            # Lock the reports first, in id order: two removals of one report must not both
            # take its counts out of the rollups, and two removals must not deadlock.
            cur.execute(
                'SELECT id, domain, "begin", "end" FROM reports_report WHERE id = ANY(%s) ORDER BY id'
                " FOR UPDATE",
                [chunk],
            )
            rows = cur.fetchall()
            chunk = [row[0] for row in rows]
            for _, domain, begin, end in rows:
                removed.domains.add(domain)
                removed.days.update(covered_days(begin, end, settings.DMARC_MAX_PERIOD_DAYS))
            if not chunk:
                continue
            fold.subtract_reports(cur, chunk)
            cur.execute("DELETE FROM reports_dailyrollup WHERE report_id = ANY(%s)", [chunk])
            removed.rollup_rows += cur.rowcount
            cur.execute("DELETE FROM reports_record WHERE report_id = ANY(%s)", [chunk])
            removed.records += cur.rowcount
            cur.execute("DELETE FROM reports_report WHERE id = ANY(%s)", [chunk])
            removed.reports += cur.rowcount
    # What counts the deleted reports (readiness, rankings, alerts) is computed again once this commits.
    events.send_reports_changed(__name__, removed.domains, removed.days)
    return removed


@dataclass
class Removed:
    reports: int = 0
    records: int = 0
    rollup_rows: int = 0
    domains: set[str] = field(default_factory=set)
    days: set[date] = field(default_factory=set)

    def as_django(self) -> tuple[int, dict[str, int]]:
        """What Django's delete() returns: the total, and the count per model."""
        per_model = {
            "reports.Report": self.reports,
            "reports.Record": self.records,
            "reports.DailyRollup": self.rollup_rows,
        }
        return sum(per_model.values()), {k: v for k, v in per_model.items() if v}
