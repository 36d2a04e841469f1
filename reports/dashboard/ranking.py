"""Source rankings and sender totals: what a big domain's pages would sum over every source, computed
by a worker and read by the pages.

The overview's top sources and count, the sources table in any order (and with
the "failing" and "new" filters), and the senders page sum every source of the
range. That is quick up to a few tens of thousands of sources, and takes seconds
at a few hundred thousand (a spoofing botnet gives a domain that many). For such
a domain a worker ranks the sources once per order a page asks for, and totals
the senders once per range (reports.dashboard.tasks), and the pages read that.
The filters by text or name (search, service, category, network, country)
depend on the source alone, so they are applied to a stored order as it is read.

What is stored must stay exact, so it is only read while nothing it was computed
from has changed. Every change to the records of a domain and day writes or
deletes that day's DomainDay row in the same transaction, and every write of a
row gives it a new row version (its xmin). The fingerprint of a set of rows is
their number and the sum of a 64-bit hash of each row's key and version: equal
fingerprints mean the same row versions, whatever order transactions committed
in. The worker takes the fingerprint and the sums in one snapshot; a page reads
what is stored only while the fingerprint of the rows now is the same. Rankings
by first or last seen ever, and "new in this range", depend on every day of the
domain, so their fingerprint covers all of its DomainDay rows; the senders' rows
also depend on the services the last assessment found (SourceService).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from reports.dashboard import source_table as table
from reports.dashboard.models import SenderTotals, SourceRanking
from reports.shared.dates import DateRange

# The range picker's preset lengths (reports.dashboard.forms.PRESETS), each ending today: what pages
# keep reading. Any other range is a custom one, computed when asked and dropped soon after its last read.
PRESET_DAYS = (7, 30, 90, 365)
CUSTOM_KEPT = timedelta(hours=2)  # more than the hour between two marks of a row as read


class NotRankedYet(Exception):
    """The domain is too big to sum within a request, and nothing exact is stored for this page."""


def _fingerprint(sql: str, args: list) -> str:
    with connection.cursor() as cur:
        cur.execute(sql, args)
        count, hashed = cur.fetchone()
    return f"{count}:{hashed}"


def fingerprint(domain: str, rng: DateRange | None) -> str:
    """Of the domain's DomainDay rows within the range, or of all of them (None)."""
    sql = (
        "SELECT count(*), coalesce(sum(hashtextextended(day::text || ':' || xmin::text, 0)), 0)"
        " FROM reports_domainday WHERE domain = %s"
    )
    args = [domain]
    if rng is not None:
        sql += " AND day BETWEEN %s AND %s"
        args += [rng.start, rng.end]
    return _fingerprint(sql, args)


def services_fingerprint(domain: str) -> str:
    """Of the domain's SourceService rows (rewritten by readiness assessments where they changed)."""
    return _fingerprint(
        "SELECT count(*), coalesce(sum(hashtextextended(host(ip) || ':' || xmin::text, 0)), 0)"
        " FROM reports_sourceservice WHERE domain = %s",
        [domain],
    )


def _scope(rng: DateRange, flt: table.SourceFilter) -> DateRange | None:
    # First and last seen ever, and "new in this range", change with reports outside the range too.
    return None if flt.reads_outside_range else rng


def is_large(domain: str) -> bool:
    """Whether the domain has more sources than a request may sum itself."""
    limit = settings.DMARC_RANK_IN_REQUEST_SOURCES
    with connection.cursor() as cur:
        # A source counts once per year of data: an upper bound, read from the index alone.
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM reports_sourceperiod WHERE domain = %s AND period = 'y'"
            " LIMIT %s) x",
            [domain, limit + 1],
        )
        return cur.fetchone()[0] > limit


def _stored(model, fingerprints: dict, fields: tuple, **key) -> tuple:
    """The row of `model` for `key`, as `fields`, if its fingerprints are those now; marks it read.

    Raises NotRankedYet when there is none, or when what it was computed from has changed."""
    row = model.objects.filter(**key).values_list("id", "read", *fingerprints, *fields).first()
    if row is None or row[2 : 2 + len(fingerprints)] != tuple(fingerprints.values()):
        raise NotRankedYet(key["domain"])
    if row[1] < timezone.now() - timedelta(hours=1):
        # At most one write an hour per row, to tell which ones pages still read.
        model.objects.filter(id=row[0]).update(read=timezone.now())
    return (row[0], *row[2 + len(fingerprints) :])


# --- source rankings ---


def ranked_page(
    domain: str, rng: DateRange, flt: table.SourceFilter, offset: int, limit: int
) -> tuple[list[str], int]:
    """The addresses of one page in the filter's order, and how many sources pass the filter.

    The filters by text or name depend on the source alone: they are applied to the stored order as
    it is read. Raises NotRankedYet when no ranking of this range and order is stored, or when the
    one stored no longer matches the records.
    """
    ranking_id, total = _stored(
        SourceRanking,
        {"fingerprint": fingerprint(domain, _scope(rng, flt))},
        ("sources",),
        domain=domain,
        start=rng.start,
        end=rng.end,
        order_key=flt.order_key,
    )
    with connection.cursor() as cur:
        if not flt.narrowed:
            cur.execute(
                "SELECT ips[%s:%s] FROM reports_sourceranking WHERE id = %s",
                [offset + 1, offset + limit, ranking_id],
            )
            return [str(ip) for ip in cur.fetchone()[0]], total
        clauses, params = table.narrowing(domain, flt, "u.ip")
        walk = (
            "FROM reports_sourceranking r CROSS JOIN LATERAL unnest(r.ips) WITH ORDINALITY AS u(ip, n)"
            f" WHERE r.id = %s{''.join(f' AND {clause}' for clause in clauses)}"
        )
        cur.execute(
            f"SELECT host(u.ip), count(*) OVER () {walk} ORDER BY u.n LIMIT %s OFFSET %s",
            [ranking_id, *params, limit, offset],
        )
        rows = cur.fetchall()
        if rows or not offset:
            return [ip for ip, _ in rows], rows[0][1] if rows else 0
        # A page past the end: only the count.
        cur.execute(f"SELECT count(*) {walk}", [ranking_id, *params])
        return [], cur.fetchone()[0]


# Each source summed, filtered and ordered as the sources table would, and the order stored, in one
# statement: 250,000 addresses never pass through Python.
RANK = """
INSERT INTO reports_sourceranking
    (domain, start, "end", order_key, fingerprint, sources, ips, computed, seconds, read)
SELECT %s, %s, %s, %s, %s, count(*), coalesce(array_agg(source_ip ORDER BY n), '{{}}'), now(), 0, now()
FROM (SELECT source_ip, row_number() OVER (ORDER BY {order}) AS n {source}) ranked
ON CONFLICT ON CONSTRAINT sourceranking_identity DO UPDATE SET fingerprint = EXCLUDED.fingerprint,
    sources = EXCLUDED.sources, ips = EXCLUDED.ips, computed = EXCLUDED.computed
RETURNING id
"""


def _snapshot(cur, outer: bool) -> None:
    if not outer:
        # The fingerprints, the data span and the sums all from one snapshot: an import that commits
        # meanwhile leaves what is stored marked with the state it was computed from.
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("SET LOCAL work_mem = '64MB'")


def compute(domain: str, rng: DateRange, flt: table.SourceFilter) -> int:
    """Rank the sources of the range in the filter's order and store it; returns how many there are."""
    started = time.perf_counter()
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cur:
        _snapshot(cur, outer)
        now = fingerprint(domain, _scope(rng, flt))
        pieces = table.period_pieces(domain, rng)
        q = table.ordered_sources(domain, rng, flt, pieces, every_column=False)
        cur.execute(
            RANK.format(order=q.order, source=q.source),
            [domain, rng.start, rng.end, flt.order_key, now, *q.args],
        )
        ranking_id = cur.fetchone()[0]
        cur.execute(
            "UPDATE reports_sourceranking SET seconds = %s WHERE id = %s RETURNING sources",
            [round(time.perf_counter() - started, 3), ranking_id],
        )
        return cur.fetchone()[0]


# --- sender totals ---


def sender_rows(domain: str, rng: DateRange) -> list[list]:
    """The senders page's rows per service and category (table.service_rows), as last computed.

    Raises NotRankedYet when none are stored for the range, or when the records or the services
    changed since."""
    fingerprints = {
        "fingerprint": fingerprint(domain, rng),
        "services_fingerprint": services_fingerprint(domain),
    }
    return _stored(SenderTotals, fingerprints, ("rows",), domain=domain, start=rng.start, end=rng.end)[1]


def compute_senders(domain: str, rng: DateRange) -> int:
    """Total the senders of the range and store the rows; returns how many rows."""
    started = time.perf_counter()
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cur:
        _snapshot(cur, outer)
        now = (fingerprint(domain, rng), services_fingerprint(domain))
        rows = table.service_rows(domain, table.period_pieces(domain, rng))
        found = {
            "fingerprint": now[0],
            "services_fingerprint": now[1],
            "rows": rows,
            "computed": timezone.now(),
            "seconds": round(time.perf_counter() - started, 3),
        }
        SenderTotals.objects.update_or_create(
            domain=domain,
            start=rng.start,
            end=rng.end,
            defaults=found,
            create_defaults={**found, "read": found["computed"]},
        )
    return len(rows)


# --- what pages still read ---


def still_read(domain: str) -> list[tuple[DateRange, table.SourceFilter | None]]:
    """What pages read lately of the domain, and is no longer exact: the rankings (range and order)
    and the sender totals (range, None) to compute again after an import or an assessment."""
    since = timezone.now() - timedelta(days=1)
    now = {}  # fingerprints by scope: several orders of one range share theirs

    def current(scope) -> str:
        if scope not in now:
            now[scope] = services_fingerprint(domain) if scope == "services" else fingerprint(domain, scope)
        return now[scope]

    found = []
    rankings = SourceRanking.objects.filter(_presets(), domain=domain, read__gte=since)
    for start, end, key, stored in rankings.values_list("start", "end", "order_key", "fingerprint"):
        rng, flt = DateRange(start, end), table.SourceFilter.from_order_key(key)
        if stored != current(_scope(rng, flt)):
            found.append((rng, flt))
    totals = SenderTotals.objects.filter(_presets(), domain=domain, read__gte=since)
    for start, end, stored, services in totals.values_list(
        "start", "end", "fingerprint", "services_fingerprint"
    ):
        rng = DateRange(start, end)
        if (stored, services) != (current(rng), current("services")):
            found.append((rng, None))
    return found


def _presets() -> Q:
    """The rows of a preset range as of today."""
    today = timezone.now().date()
    return Q(end=today, start__in=[today - timedelta(days=n - 1) for n in PRESET_DAYS])


def prune() -> int:
    """Drop what no page read for two days, and custom ranges no page read for two hours."""
    now = timezone.now()
    stale = Q(read__lt=now - timedelta(days=2)) | (Q(read__lt=now - CUSTOM_KEPT) & ~_presets())
    return sum(model.objects.filter(stale).delete()[0] for model in (SourceRanking, SenderTotals))
