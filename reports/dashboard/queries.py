"""The questions the dashboard pages ask, answered from the rollup tables.

Every figure is a message count (the sum of the records' `count`), never a
count of records. Pages read the rollups kept by reports.rollups.fold; only the
drill-down of one source reads raw records: its authentication results and
override reasons, and its records one page at a time.
"""

from __future__ import annotations

import calendar
import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum

from reports.dashboard import ranking
from reports.models import AuthResult, DailyRollup, DomainDay, Record, ReporterDay, auth_results
from reports.shared.counts import FIELDS, Counts
from reports.shared.dates import DateRange
from reports.shared.names import is_domain_name
from reports.shared.sql import json_list


@dataclass
class SourceName:
    """What is known of a source beyond its counts: read from small tables filled in Celery."""

    rdns: str = ""  # forward-confirmed reverse DNS name
    asn: int | None = None
    as_name: str = ""
    country: str = ""
    service: str = ""  # the service's name, from the domain's last readiness assessment
    service_id: str = ""
    kind: str = ""
    category: str = ""  # rollout category, "" when not assessed yet
    by_network: bool = False  # the service is named by the source's network alone

    @property
    def network(self) -> str:
        return f"AS{self.asn}" + (f" {self.as_name}" if self.as_name else "") if self.asn is not None else ""


@dataclass
class SourceRow(Counts):
    ip: str = ""
    name: str = ""  # reverse DNS, when known
    # The first and last day the source was ever seen for the domain, not only within the range.
    first_seen: date | None = None
    last_seen: date | None = None
    about: SourceName = field(default_factory=SourceName)


@dataclass
class Overview:
    totals: Counts
    sources: int
    reporters: int
    daily: list[tuple[date, Counts]]
    top_sources: list[SourceRow]
    # False while a worker ranks the sources of a big domain: `sources` and `top_sources` are then unknown.
    ranked: bool = True


# --- naming sources: reverse DNS, network and service, from small tables (never the records) ---


# One row per address, its names joined from the three small tables (one query, even for an export).
_SOURCE_NAMES = """
SELECT host(a.ip), coalesce(r.hostname, ''), n.asn, coalesce(n.as_name, ''), coalesce(n.country, ''),
       coalesce(s.service_name, ''), coalesce(s.service, ''), coalesce(s.kind, ''), coalesce(s.category, ''),
       coalesce(s.by_network, false)
FROM unnest(%s::inet[]) AS a(ip)
LEFT JOIN reports_reversedns r ON r.ip = a.ip AND r.confirmed
LEFT JOIN reports_sourcenetwork n ON n.ip = a.ip AND n.asn IS NOT NULL
LEFT JOIN reports_sourceservice s ON s.domain = %s AND s.ip = a.ip
"""


def source_names(domain: str, ips: list[str]) -> dict[str, SourceName]:
    """What is known of these sources of `domain`, {ip: SourceName}; every ip gets one."""
    names = {ip: SourceName() for ip in ips}
    if not ips:
        return names
    with connection.cursor() as cur:
        cur.execute(_SOURCE_NAMES, [ips, domain])
        for ip, *fields in cur.fetchall():
            # host() writes IPv6 as Python does (compressed, lower case), so the keys match.
            if ip in names:
                names[ip] = SourceName(*fields)
    return names


def services(domain: str) -> list[tuple[str, str]]:
    """(id, name) of the services seen among the domain's assessed sources, for the service filter."""
    from reports.models import SourceService

    rows = SourceService.objects.filter(domain=domain).exclude(service="")
    found = rows.values_list("service", "service_name").distinct().order_by()
    return sorted(found, key=lambda r: r[1].lower())


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Addresses whose name matches a search: reverse DNS, AS number or name, service of the domain.
# Small tables (one row per source), read as a subquery: a search that names 100,000 sources
# would otherwise send them to Python and back.
_NAMED_LIKE = """SELECT ip FROM reports_reversedns WHERE confirmed AND hostname ILIKE %s
    UNION SELECT ip FROM reports_sourcenetwork WHERE as_name ILIKE %s OR asn = %s
    UNION SELECT ip FROM reports_sourceservice WHERE domain = %s AND service_name ILIKE %s"""


def _named_like(text: str, domain: str) -> tuple[str, list]:
    """SQL for the addresses whose reverse DNS name, network (AS123 or its name) or service contains
    `text`, and its parameters."""
    number = text.upper().removeprefix("AS")
    asn = int(number) if number.isdigit() and len(number) <= 10 else -1
    like = _like(text)
    return _NAMED_LIKE, [like, like, asn, domain, like]


# --- domains and ranges ---


def domains() -> list[str]:
    """Policy domains with data, the busiest first."""
    rows = DomainDay.objects.values("domain").annotate(n=Sum("messages")).order_by("-n", "domain")
    # Defence in depth: a name stored before names were validated would break every link to it.
    return [r["domain"] for r in rows if is_domain_name(r["domain"])]


def domain_of_source(ip: str, visible: list[str] | None = None) -> str | None:
    """The busiest domain with data from this source, or None (one index probe per domain)."""
    for domain in domains():
        if visible is not None and domain not in visible:
            continue
        if DailyRollup.objects.filter(domain=domain, source_ip=ip).exists():
            return domain
    return None


def data_span(domain: str) -> tuple[date | None, date | None]:
    span = DomainDay.objects.filter(domain=domain).aggregate(lo=Min("day"), hi=Max("day"))
    return span["lo"], span["hi"]


# --- overview ---


def overview(domain: str, rng: DateRange, top: int = 10) -> Overview:
    days = DomainDay.objects.filter(domain=domain, day__range=(rng.start, rng.end))
    by_day = {d.day: Counts(**{f: getattr(d, f) for f in FIELDS}) for d in days}
    daily = [(day, by_day.get(day, Counts())) for day in rng.each_day()]
    totals = Counts(**{f: sum(getattr(c, f) for _, c in daily) for f in FIELDS})
    reporters = ReporterDay.objects.filter(domain=domain, day__range=(rng.start, rng.end)).aggregate(
        n=Count("reporter", distinct=True)
    )["n"]
    try:
        top_sources, n_sources = sources(domain, rng, SourceFilter(), limit=top)
    except ranking.NotRankedYet:
        return Overview(totals, 0, reporters, daily, [], ranked=False)
    return Overview(totals, n_sources, reporters, daily, top_sources)


# --- sources table ---


@dataclass
class SourceFilter:
    search: str = ""
    failing: bool = False  # only sources with DMARC-failing messages
    new: bool = False  # only sources first seen (ever) within the range
    sort: str = "messages"
    descending: bool = True
    service: str = ""  # a senders.json id, or UNIDENTIFIED
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


def _data_years(domain: str) -> list[date]:
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


def sources(
    domain: str, rng: DateRange, flt: SourceFilter, *, offset: int = 0, limit: int | None = 50
) -> tuple[list[SourceRow], int]:
    """One page of sources with their counts over the range, and how many match the filter."""
    years, months, days = period_pieces(domain, rng)
    if not (years or months or days):
        return [], 0
    if limit is not None and ranking.is_large(domain):
        # Too many sources to sum here: a worker ranked them in this order (or this raises NotRankedYet).
        ips, total = ranking.ranked_page(domain, rng, flt, offset, limit)
        return _rows(domain, years, months, days, ips), total
    # A page needs only the sort and filter columns of every source (the
    # hash table over up to 50,000 sources is the cost); the full sums are
    # then read for the page's sources alone. An export reads them all at once.
    q = ordered_sources(domain, rng, flt, (years, months, days), every_column=limit is None)
    sql = f"SELECT {', '.join(['source_ip', *q.columns, 'count(*) OVER ()'])} {q.source} ORDER BY {q.order}"
    args = list(q.args)
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        args += [limit, offset]
    with transaction.atomic(), connection.cursor() as cur:
        # Summing per source over a year is one hash table of up to ~50,000
        # sources; the default 4MB would spill it to disk.
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(sql, args)
        rows = cur.fetchall()
    total = rows[0][-1] if rows else _count_sources(domain, rng, flt) if offset else 0
    # Addresses come back as ipaddress objects (host() in SQL would run for every source, not 50).
    ips = [str(row[0]) for row in rows]
    if limit is not None:
        return _rows(domain, years, months, days, ips), total
    sums = {str(row[0]): dict(zip(q.columns, row[1:-1], strict=True)) for row in rows}
    return _named([_source(ip, sums[ip]) for ip in ips], domain), total


def narrowing(domain: str, flt: SourceFilter, column: str) -> tuple[list[str], list]:
    """The filters by text or name as SQL conditions on an address column, with their parameters: the
    search (an address, a network, or a name, network or service containing the text) and the
    service, category, AS and country filters. They depend on the source alone, not on the range."""
    clauses, params = [], []
    search = flt.search.strip()
    if search:
        matches = [f"host({column}) LIKE %s"]
        params.append(_like(search))
        try:
            # An IPv6 zone ("fe80::1%eth0") parses, but PostgreSQL's inet has no zones.
            network = ipaddress.ip_network(search, strict=False) if "%" not in search else None
        except ValueError:
            network = None
        if network is not None:
            matches.append(f"{column} <<= %s::inet")
            params.append(str(network))
        named, named_params = _named_like(search, domain)
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
        params += [domain, [y for y in _data_years(domain) if y <= rng.start], rng.start]
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
    ever_params = [domain, _data_years(domain)] if ever else []
    return OrderedSources(
        source=source,
        args=[domain, years, months, days, *inner_params, *ever_params, *params],
        order=f"{order} {direction}, source_ip",
        columns=[*columns, *(SEEN if ever else ())],
    )


def _rows(domain, years, months, days, ips) -> list[SourceRow]:
    """The rows of one page of sources: their full sums over the range, first/last seen and names."""
    sums = _source_sums(domain, years, months, days, ips)
    seen = seen_ever(domain, ips)
    for ip in ips:
        sums[ip].update(seen.get(ip, dict.fromkeys(SEEN)))
    return _named([_source(ip, sums[ip]) for ip in ips], domain)


def _named(rows: list[SourceRow], domain: str) -> list[SourceRow]:
    names = source_names(domain, [s.ip for s in rows])
    for s in rows:
        s.about = names[s.ip]
        s.name = s.about.rdns
    return rows


def _named_ips(domain: str, flt: SourceFilter) -> tuple[list[str] | None, list[str]]:
    """The addresses the service, category, AS and country filters allow (None: no such filter), and
    those the "unidentified" filter excludes."""
    from reports.models import SourceNetwork, SourceService

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


def _source_sums(domain, years, months, days, ips) -> dict[str, dict]:
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
            [domain, _data_years(domain), ips],
        )
        return {row[0]: dict(zip(SEEN, row[1:], strict=True)) for row in cur.fetchall()}


def _source(ip: str, sums: dict) -> SourceRow:
    return SourceRow(
        **{f: int(sums[f]) for f in FIELDS},
        ip=ip,
        first_seen=sums["first_seen"],
        last_seen=sums["last_seen"],
    )


def _count_sources(domain, rng, flt) -> int:
    # Only reached for a page past the end, which the rows cannot tell.
    _, total = sources(domain, rng, flt, offset=0, limit=1)
    return total


# --- drill-down: one source ---


@dataclass
class AuthRow:
    kind: str
    domain: str
    selector: str
    scope: str
    result: str
    aligned: bool
    messages: int


@dataclass
class SourceDetail:
    ip: str
    name: str
    totals: Counts
    daily: list[tuple[date, Counts]]
    header_from: list[tuple[str, int]] = field(default_factory=list)
    reporters: list[tuple[str, int]] = field(default_factory=list)
    # Messages per reporter from reports whose reporter's DKIM signature verified.
    reporters_verified: dict[str, int] = field(default_factory=dict)
    dkim: list[AuthRow] = field(default_factory=list)
    spf: list[AuthRow] = field(default_factory=list)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)
    about: SourceName = field(default_factory=SourceName)


def source_detail(domain: str, ip: str, rng: DateRange) -> SourceDetail:
    rollup = DailyRollup.objects.filter(domain=domain, source_ip=ip, day__range=(rng.start, rng.end))
    day_rows = rollup.values("day").annotate(**{f"sum_{f}": Sum(f) for f in FIELDS})
    by_day = {r["day"]: Counts(**{f: r[f"sum_{f}"] for f in FIELDS}) for r in day_rows}
    daily = [(day, by_day.get(day, Counts())) for day in rng.each_day()]
    totals = Counts(**{f: sum(getattr(c, f) for _, c in daily) for f in FIELDS})
    about = source_names(domain, [ip])[ip]
    detail = SourceDetail(ip, about.rdns, totals, daily, about=about)

    detail.reporters = _by(rollup, "reporter")
    detail.reporters_verified = dict(_by(rollup.filter(report__reporter_verified=True), "reporter"))

    _read_records_summary(detail, domain, ip, rng)
    return detail


# The records behind one source: those of reports beginning within the range,
# as in source_records, grouped by their exact text so that one pass over them
# serves the header_from, auth result and reason tables.
_SOURCE_SUMMARY_SQL = """
SELECT r.header_from, r.reasons::text, r.auth::text, sum(r.count) FROM reports_record r
WHERE r.domain = %s AND r.source_ip = %s AND r."begin" >= %s AND r."begin" < %s
GROUP BY 1, 2, 3
"""
_AUTH_KINDS = (AuthResult.DKIM, AuthResult.SPF)


def _read_records_summary(detail: SourceDetail, domain: str, ip: str, rng: DateRange) -> None:
    """The source's header_from domains, auth results and override reasons, in messages.
    A record without any DKIM result counts under an empty DKIM row: unsigned mail."""
    with connection.cursor() as cur:
        cur.execute(_SOURCE_SUMMARY_SQL, [domain, ip, *rng.moments()])
        groups = cur.fetchall()
    header_from: Counter[str] = Counter()
    auth: Counter[tuple] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    for hfrom, reasons_text, auth_text, n in groups:
        n = int(n)
        header_from[hfrom] += n
        results = [a for a in auth_results(json_list(auth_text)) if a.kind in _AUTH_KINDS]
        for a in results:
            auth[(a.kind, a.domain, a.selector, a.scope, a.result, a.aligned is True)] += n
        if not any(a.kind == AuthResult.DKIM for a in results):
            auth[(AuthResult.DKIM, "", "", "", "", False)] += n
        for x in json_list(reasons_text):
            if isinstance(x, dict):
                reasons[(x.get("type") or "", x.get("comment") or "")] += n
    detail.header_from = sorted(header_from.items(), key=lambda h: (-h[1], h[0]))
    rows = [AuthRow(*key, n) for key, n in auth.items()]
    rows.sort(key=lambda a: (a.kind, -a.messages, a.domain, a.selector))
    detail.dkim = [a for a in rows if a.kind == AuthResult.DKIM]
    detail.spf = [a for a in rows if a.kind == AuthResult.SPF]
    detail.reasons = sorted(((k, c, n) for (k, c), n in reasons.items()), key=lambda r: (-r[2], r[0], r[1]))


def _by(rows, column: str) -> list[tuple[str, int]]:
    grouped = rows.values(column).annotate(n=Sum("messages")).order_by("-n", column)
    return [(r[column], r["n"]) for r in grouped]


def source_records(domain: str, ip: str, rng: DateRange, *, offset: int = 0, limit: int = 50):
    """Records of one source from reports beginning within the range, newest first.

    Returns limit + 1 rows at most, so the caller can tell whether a next
    page exists without counting a busy source's possibly millions of records.
    """
    start, end = rng.moments()
    return list(
        Record.objects.filter(domain=domain, source_ip=ip, begin__gte=start, begin__lt=end)
        .select_related("report")
        .only(
            "id", "begin", "count", "disposition", "dkim", "spf", "header_from", "envelope_from",
            "reasons", "auth", "dkim_aligned", "spf_aligned", "disagrees",
            "report__id", "report__org_name", "report__report_id", "report__begin", "report__end",
        )
        .order_by("-begin", "-id")[offset : offset + limit + 1]
    )  # fmt: skip


# --- the Senders page: one row per service ---


@dataclass
class ServiceSummary(Counts):
    service: str = ""  # senders.json id, "" for unidentified sources
    name: str = ""
    kind: str = ""
    by_network: bool = False
    sources: int = 0
    category: str = ""  # the category with most messages ("" when not assessed)
    categories: dict[str, int] = field(default_factory=dict)  # messages by category
    problems: list[str] = field(default_factory=list)  # of its busiest assessed source
    fixes: list[str] = field(default_factory=list)
    ips: list[SourceRow] = field(default_factory=list)  # its busiest sources


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


def service_summaries(domain: str, rng: DateRange) -> list[ServiceSummary]:
    """The domain's sources over the range, one row per service (and one for unidentified sources),
    busiest first; names, categories and diagnoses come from the last readiness assessment."""
    from reports.models import SourceService

    years, months, days = period_pieces(domain, rng)
    if not (years or months or days):
        return []
    # Too many sources to sum here: a worker totalled them (or this raises NotRankedYet).
    rows = (
        ranking.sender_rows(domain, rng)
        if ranking.is_large(domain)
        else service_rows(domain, (years, months, days))
    )
    by_service: dict[str, ServiceSummary] = {}
    leads: dict[str, list[str]] = {}
    for service, category, n, *sums, ips in rows:
        row = by_service.setdefault(service, ServiceSummary(service=service))
        for f, value in zip(FIELDS, sums, strict=True):
            setattr(row, f, getattr(row, f) + int(value))
        row.sources += n
        row.categories[category] = row.categories.get(category, 0) + int(sums[0])
        leads.setdefault(service, []).extend(ips or [])
    assessed = {
        s.ip: s
        for s in SourceService.objects.filter(domain=domain, ip__in=[ips[0] for ips in leads.values() if ips])
    }
    for service, row in by_service.items():
        row.category = max(row.categories, key=lambda c: (row.categories[c], c))
        ips = sorted(leads[service])
        sums = _source_sums(domain, years, months, days, ips)
        seen = seen_ever(domain, ips)
        for ip in ips:
            sums[ip].update(seen.get(ip, dict.fromkeys(SEEN)))
        row.ips = sorted((_source(ip, sums[ip]) for ip in ips), key=lambda s: (-s.messages, s.ip))[
            :SERVICE_IPS
        ]
        lead = assessed.get(row.ips[0].ip) if row.ips else None
        if lead:
            row.name, row.kind, row.by_network = lead.service_name, lead.kind, lead.by_network
            row.problems, row.fixes = lead.problems, lead.fixes
        if not service:
            row.name = "Unidentified sources"
    return sorted(by_service.values(), key=lambda r: (not r.service, -r.messages, r.name))
