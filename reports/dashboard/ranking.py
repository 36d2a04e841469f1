"""Source rankings: the sources of a big domain over a range, ordered by a worker, read by the pages.

The overview's top sources and count, and the sources table in any order (and
with the "failing" and "new" filters), sum every source of the range.
That is quick up to a few tens of thousands of sources, and takes seconds at a
few hundred thousand (a spoofing botnet gives a domain that many). For such a
domain a worker ranks the sources once per order a page asks for
(reports.dashboard.tasks.rank_sources), and the pages read a slice of it. The
filters by text or name (search, service, category, network, country) narrow
the sources first and are summed within the request.

A ranking must stay exact, so it is only read while nothing in its range has
changed. Every write of a DomainDay row takes a new value of one sequence
(reports.models.DomainDay.revision), and every change to the records of a
domain and day writes or deletes that DomainDay row. So as long as the range's
largest revision and its number of rows are those the ranking was computed
from (all the domain's rows for an order by first or last seen ever, or for
"new in this range"), no record it depends on has changed: rows can only have been deleted,
which lowers the count, or written, which raises the largest revision, and a
row once deleted cannot come back with its old revision.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

# queries imports this module too: only its functions use queries' names.
from reports.dashboard import queries


class NotRankedYet(Exception):
    """The domain is too big to rank within a request, and no exact ranking of the range is stored."""


@dataclass(frozen=True)
class Fingerprint:
    revision: int
    days: int


def fingerprint(domain: str, rng: queries.DateRange | None) -> Fingerprint:
    """Of the domain's DomainDay rows within the range, or all of them (None)."""
    sql = "SELECT coalesce(max(revision), 0), count(*) FROM reports_domainday WHERE domain = %s"
    args = [domain]
    if rng is not None:
        sql += " AND day BETWEEN %s AND %s"
        args += [rng.start, rng.end]
    with connection.cursor() as cur:
        cur.execute(sql, args)
        revision, days = cur.fetchone()
    return Fingerprint(revision, days)


def _scope(rng: queries.DateRange, flt: queries.SourceFilter) -> queries.DateRange | None:
    # First and last seen ever, and "new in this range", change with reports outside the range too.
    return None if flt.reads_outside_range else rng


def is_large(domain: str) -> bool:
    """Whether the domain has more sources than a request may rank itself."""
    limit = settings.DMARC_RANK_IN_REQUEST_SOURCES
    with connection.cursor() as cur:
        # A source counts once per year of data: an upper bound, read from the index alone.
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM reports_sourceperiod WHERE domain = %s AND period = 'y'"
            " LIMIT %s) x",
            [domain, limit + 1],
        )
        return cur.fetchone()[0] > limit


def ranked_page(
    domain: str, rng: queries.DateRange, flt: queries.SourceFilter, offset: int, limit: int
) -> tuple[list[str], int]:
    """The addresses of one page in the filter's order, and how many sources pass the filter.

    Raises NotRankedYet when no ranking of this range and order is stored, or when the one stored no
    longer matches the records.
    """
    now = fingerprint(domain, _scope(rng, flt))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, revision, days, sources, ips[%s:%s], read < now() - interval '1 hour'"
            ' FROM reports_sourceranking WHERE domain = %s AND start = %s AND "end" = %s AND order_key = %s',
            [offset + 1, offset + limit, domain, rng.start, rng.end, flt.order_key],
        )
        row = cur.fetchone()
        if row is None or Fingerprint(row[1], row[2]) != now:
            raise NotRankedYet(domain)
        if row[5]:
            # At most one write an hour per ranking, to tell which ones pages still read.
            cur.execute("UPDATE reports_sourceranking SET read = now() WHERE id = %s", [row[0]])
    return [str(ip) for ip in row[4]], row[3]


# Each source summed, filtered and ordered as the sources table would, and the order stored, in one
# statement: 250,000 addresses never pass through Python.
RANK = """
INSERT INTO reports_sourceranking
    (domain, start, "end", order_key, revision, days, sources, ips, computed, seconds, read)
SELECT %s, %s, %s, %s, %s, %s, count(*), coalesce(array_agg(source_ip ORDER BY n), '{{}}'), now(), 0, now()
FROM (SELECT source_ip, row_number() OVER (ORDER BY {order}) AS n {source}) ranked
ON CONFLICT ON CONSTRAINT sourceranking_identity DO UPDATE SET revision = EXCLUDED.revision,
    days = EXCLUDED.days, sources = EXCLUDED.sources, ips = EXCLUDED.ips, computed = EXCLUDED.computed
RETURNING id
"""


def compute(domain: str, rng: queries.DateRange, flt: queries.SourceFilter) -> int:
    """Rank the sources of the range in the filter's order and store it; returns how many there are."""
    started = time.perf_counter()
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cur:
        if not outer:
            # The fingerprint, the data span and the sums all from one snapshot: an import that
            # commits meanwhile leaves a ranking marked with the state it was computed from.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        now = fingerprint(domain, _scope(rng, flt))
        pieces = queries.period_pieces(domain, rng)
        q = queries.ordered_sources(domain, rng, flt, pieces, every_column=False)
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(
            RANK.format(order=q.order, source=q.source),
            [domain, rng.start, rng.end, flt.order_key, now.revision, now.days, *q.args],
        )
        ranking_id = cur.fetchone()[0]
        cur.execute(
            "UPDATE reports_sourceranking SET seconds = %s WHERE id = %s RETURNING sources",
            [round(time.perf_counter() - started, 3), ranking_id],
        )
        return cur.fetchone()[0]


def still_read(domain: str) -> list[tuple[queries.DateRange, queries.SourceFilter]]:
    """The ranges and orders of the domain whose rankings pages read lately: computed again after
    imports."""
    from reports.models import SourceRanking

    rows = SourceRanking.objects.filter(domain=domain, read__gte=_since(days=1))
    return [
        (queries.DateRange(start, end), queries.SourceFilter.from_order_key(key))
        for start, end, key in rows.values_list("start", "end", "order_key")
    ]


def prune() -> int:
    """Drop the rankings no page read for two days."""
    from reports.models import SourceRanking

    return SourceRanking.objects.filter(read__lt=_since(days=2)).delete()[0]


def _since(days: int):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(days=days)
