"""The sources table's SQL: each source of a domain summed over a range of days, filtered and ordered,
from the SourcePeriod rollups (whole years and months where the range covers them, days at its edges).
The pages (reports.dashboard.queries) and the worker that ranks big domains (reports.dashboard.ranking)
both build their queries here."""

from __future__ import annotations

import calendar
import ipaddress
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from reports.rollups.queries import data_span
from reports.shared.counts import FIELDS
from reports.shared.dates import DateRange
from reports.shared.sql import like_pattern
from reports.sources.models import SourceNetwork, SourceService
from reports.sources.queries import named_like


@dataclass
class SourceFilter:
    search: str = ""
    failing: bool = False  # only sources with DMARC-failing messages
    new: bool = False  # only sources first seen (ever) within the range
    sort: str = "messages"
    descending: bool = True
    service: str = ""  # a services.json id, or UNIDENTIFIED
    category: str = ""  # aligned, forwarded, misconfigured, unknown
    asn: int | None = None
    country: str = ""

    @property
    def narrowed(self) -> bool:
        """Whether a filter by text or name applies (queries.narrowing)."""
        return bool(
            self.search.strip() or self.service or self.category or self.asn is not None or self.country
        )

    @property
    def order_key(self) -> str:
        """The order and the "failing" and "new" filters as text, the key of a stored ranking (the
        filters by text or name are applied to it as it is read)."""
        sort = self.sort if self.sort in SORTS else "messages"
        flags = [f for f, on in (("failing", self.failing), ("new", self.new)) if on]
        return ":".join([sort, "desc" if self.descending else "asc", *flags])

    @classmethod
    def from_order_key(cls, key: str) -> SourceFilter:
        sort, direction, *flags = key.split(":")
        if sort not in SORTS or direction not in ("asc", "desc") or not set(flags) <= {"failing", "new"}:
            raise ValueError(f"not an order of the sources table: {key!r}")
        return cls(sort=sort, descending=direction == "desc", failing="failing" in flags, new="new" in flags)

    @property
    def reads_outside_range(self) -> bool:
        """First and last seen ever, and "new in this range", depend on days outside the range too."""
        return self.new or self.sort in SEEN


UNIDENTIFIED = "-"  # the service filter's value for sources without a known service


# Sort keys of the sources table: SQL over the summed columns, and the columns each needs.
SORTS = {
    "ip": ("source_ip", ()),
    "messages": ("messages", ("messages",)),
    "failing": ("messages - dmarc_pass", ("messages", "dmarc_pass")),
    "dmarc": ("dmarc_pass::float8 / nullif(messages, 0)", ("messages", "dmarc_pass")),
    "dkim": ("dkim_pass::float8 / nullif(messages, 0)", ("messages", "dkim_pass")),
    "spf": ("spf_pass::float8 / nullif(messages, 0)", ("messages", "spf_pass")),
    "quarantined": ("quarantined", ("quarantined",)),
    "rejected": ("rejected", ("rejected",)),
    "first_seen": ("first_seen", ("first_seen",)),
    "last_seen": ("last_seen", ("last_seen",)),
}


# Every count of a source, summed over the pieces of a range.
SUMMED = {f: f"sum({f})" for f in FIELDS}


PIECES = """domain = %s AND ((period = 'y' AND start = ANY(%s::date[]))
    OR (period = 'm' AND start = ANY(%s::date[])) OR (period = 'd' AND start = ANY(%s::date[])))"""


# First and last day ever seen, from the year rows: one row per source and year of data, whatever the range.
SEEN = ("first_seen", "last_seen")


EVER = """SELECT source_ip, min(first_day) AS first_seen, max(last_day) AS last_seen
    FROM reports_sourceperiod WHERE domain = %s AND period = 'y' AND start = ANY(%s::date[]) {only}
    GROUP BY source_ip"""


def data_years(domain: str) -> list[date]:
    lo, hi = data_span(domain)
    return [] if lo is None else [date(y, 1, 1) for y in range(lo.year, hi.year + 1)]


def period_pieces(domain: str, rng: DateRange) -> tuple[list[date], list[date], list[date]]:
    """The years, months and single days of SourcePeriod rows whose sum is exactly the range.

    A whole calendar year or month is used when all of its data lies within
    the range, which includes the usual case of a range ending today: the
    current month holds no data after today. Only the rest is read day by day.
    """
    lo, hi = data_span(domain)
    if lo is None or rng.end < lo or rng.start > hi:
        return [], [], []

    def covered(first: date, last: date) -> bool:
        return max(first, lo) >= rng.start and min(last, hi) <= rng.end

    start, end = max(rng.start, lo), min(rng.end, hi)
    years, months, days = [], [], []
    for year in range(start.year, end.year + 1):
        if covered(date(year, 1, 1), date(year, 12, 31)):
            years.append(date(year, 1, 1))
            continue
        for month in range(1, 13):
            first = date(year, month, 1)
            last = date(year, month, calendar.monthrange(year, month)[1])
            if last < start or first > end:
                continue
            if covered(first, last):
                months.append(first)
            else:
                day = max(first, start)
                while day <= min(last, end):
                    days.append(day)
                    day += timedelta(days=1)
    return years, months, days


def narrowing(domain: str, flt: SourceFilter, column: str) -> tuple[list[str], list]:
    """The filters by text or name as SQL conditions on an address column, with their parameters: the
    search (an address, a network, or a name, network or service containing the text) and the
    service, category, AS and country filters. They depend on the source alone, not on the range."""
    clauses, params = [], []
    search = flt.search.strip()
    if search:
        matches = [f"host({column}) LIKE %s"]
        params.append(like_pattern(search))
        try:
            # An IPv6 zone ("fe80::1%eth0") parses, but PostgreSQL's inet has no zones.
            network = ipaddress.ip_network(search, strict=False) if "%" not in search else None
        except ValueError:
            network = None
        if network is not None:
            matches.append(f"{column} <<= %s::inet")
            params.append(str(network))
        named, named_params = named_like(search, domain)
        matches.append(f"{column} IN ({named})")
        params += named_params
        clauses.append("(" + " OR ".join(matches) + ")")
    # The name filters read the small per-source tables first: a join of those tables with the
    # aggregate leaves the planner to guess, and it may guess badly.
    only, exclude = _named_ips(domain, flt)
    if only is not None:
        clauses.append(f"{column} = ANY(%s::inet[])")
        params.append(only)
    elif exclude:
        clauses.append(f"NOT {column} = ANY(%s::inet[])")
        params.append(exclude)
    return clauses, params


@dataclass
class OrderedSources:
    """The sources of a range that pass a filter, in its order, as SQL:
    SELECT source_ip, {columns} {source} ORDER BY {order}."""

    source: str  # FROM ... WHERE ...
    args: list
    order: str
    columns: list[str]  # the sums (and first/last seen) that `source` gives beside source_ip


def ordered_sources(
    domain: str, rng: DateRange, flt: SourceFilter, pieces, every_column: bool
) -> OrderedSources:
    """The SQL that sums each source over the range's pieces (period_pieces) and filters and orders them;
    with `every_column`, every sum and first/last seen, otherwise only what the filter and order need."""
    years, months, days = pieces
    where, params = [], []
    if flt.failing:
        where.append("messages > dmarc_pass")
    if flt.new:
        # Seen before the range: a year row of the range's first year or earlier that starts before it.
        # An anti-join probes the key per source, instead of summing every source's years.
        where.append(
            "NOT EXISTS (SELECT 1 FROM reports_sourceperiod e WHERE e.domain = %s AND e.period = 'y'"
            " AND e.start = ANY(%s::date[]) AND e.source_ip = agg.source_ip AND e.first_day < %s)"
        )
        params += [domain, [y for y in data_years(domain) if y <= rng.start], rng.start]
    # The search and the name filters narrow the rows before they are summed.
    narrowed, inner_params = narrowing(domain, flt, "source_ip")
    inner = "".join(f" AND {clause}" for clause in narrowed)
    order, needed = SORTS.get(flt.sort, SORTS["messages"])
    if flt.failing:
        needed = {*needed, "messages", "dmarc_pass"}
    columns = list(SUMMED) if every_column else [c for c in SUMMED if c in needed]
    # First/last seen ever are joined in only when the sort, the filter or an export needs them.
    ever = every_column or any(c in needed for c in SEEN)
    direction = "DESC NULLS LAST" if flt.descending else "ASC NULLS FIRST"
    source = f"""FROM (
            SELECT {", ".join(["source_ip", *(f"{SUMMED[c]} AS {c}" for c in columns)])}
            FROM reports_sourceperiod WHERE {PIECES}{inner}
            GROUP BY source_ip
        ) agg
        {f"JOIN ({EVER.format(only='')}) ever USING (source_ip)" if ever else ""}
        {"WHERE " + " AND ".join(where) if where else ""}"""
    ever_params = [domain, data_years(domain)] if ever else []
    return OrderedSources(
        source=source,
        args=[domain, years, months, days, *inner_params, *ever_params, *params],
        order=f"{order} {direction}, source_ip",
        columns=[*columns, *(SEEN if ever else ())],
    )


def _named_ips(domain: str, flt: SourceFilter) -> tuple[list[str] | None, list[str]]:
    """The addresses the service, category, AS and country filters allow (None: no such filter), and
    those the "unidentified" filter excludes."""
    sets = []
    services = SourceService.objects.filter(domain=domain)
    if flt.service and flt.service != UNIDENTIFIED:
        sets.append(set(services.filter(service=flt.service).values_list("ip", flat=True)))
    if flt.category:
        sets.append(set(services.filter(category=flt.category).values_list("ip", flat=True)))
    if flt.asn is not None:
        sets.append(set(SourceNetwork.objects.filter(asn=flt.asn).values_list("ip", flat=True)))
    if flt.country:
        sets.append(
            set(SourceNetwork.objects.filter(country=flt.country.upper()).values_list("ip", flat=True))
        )
    only = sorted(set.intersection(*sets)) if sets else None
    exclude = []
    if flt.service == UNIDENTIFIED:
        identified = set(services.exclude(service="").values_list("ip", flat=True))
        if only is not None:
            only = [ip for ip in only if ip not in identified]
        else:
            exclude = sorted(identified)
    return only, exclude


def source_sums(domain, years, months, days, ips) -> dict[str, dict]:
    if not ips:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT host(source_ip), {', '.join(SUMMED.values())} FROM reports_sourceperiod"
            f" WHERE {PIECES} AND source_ip = ANY(%s::inet[]) GROUP BY source_ip",
            [domain, years, months, days, ips],
        )
        return {row[0]: dict(zip(SUMMED, row[1:], strict=True)) for row in cur.fetchall()}


def seen_ever(domain: str, ips: list[str]) -> dict[str, dict]:
    """{ip: {"first_seen", "last_seen"}}: the days these sources were first and last seen for the domain."""
    if not ips:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT host(source_ip), first_seen, last_seen FROM ("
            + EVER.format(only="AND source_ip = ANY(%s::inet[])")
            + ") ever",
            [domain, data_years(domain), ips],
        )
        return {row[0]: dict(zip(SEEN, row[1:], strict=True)) for row in cur.fetchall()}


SERVICE_IPS = 10  # addresses listed per service; the sources page filtered by service lists them all


_SERVICES_SQL = f"""
WITH agg AS (
    SELECT source_ip, sum(messages) AS messages, sum(dmarc_pass) AS dmarc_pass, sum(dkim_pass) AS dkim_pass,
           sum(spf_pass) AS spf_pass, sum(quarantined) AS quarantined, sum(rejected) AS rejected
    FROM reports_sourceperiod WHERE {PIECES} GROUP BY source_ip
), named AS (
    SELECT agg.*, coalesce(ss.service, '') AS service, coalesce(ss.category, '') AS category,
           row_number() OVER (
               PARTITION BY coalesce(ss.service, '') ORDER BY agg.messages DESC, agg.source_ip
           ) AS rank
    FROM agg LEFT JOIN reports_sourceservice ss ON ss.domain = %s AND ss.ip = agg.source_ip
)
SELECT service, category, count(*), sum(messages), sum(dmarc_pass), sum(dkim_pass), sum(spf_pass),
       sum(quarantined), sum(rejected),
       array_agg(host(source_ip) ORDER BY messages DESC, source_ip) FILTER (WHERE rank <= {SERVICE_IPS})
FROM named GROUP BY service, category
"""


def service_rows(domain: str, pieces) -> list[list]:
    """Per service and category over a range's pieces (period_pieces): [service, category, sources,
    the sums of FIELDS..., the busiest addresses], as plain values (reports.dashboard.ranking
    stores them for big domains)."""
    years, months, days = pieces
    if not (years or months or days):
        return []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(_SERVICES_SQL, [domain, years, months, days, domain])
        return [
            [service, category, n, *(int(v) for v in sums), list(ips or [])]
            for service, category, n, *sums, ips in cur.fetchall()
        ]
