"""The questions the dashboard pages ask, answered from the rollup tables.

Every figure is a message count (the sum of the records' `count`), never a
count of records. Pages read the rollups kept by reports.rollups.fold (the sources table through
reports.dashboard.source_table); only the
drill-down of one source reads raw records: its authentication results and
override reasons, and its records one page at a time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Sum

from reports.dashboard import ranking
from reports.dashboard.source_table import (
    SEEN,
    SERVICE_IPS,
    SourceFilter,
    ordered_sources,
    period_pieces,
    seen_ever,
    service_rows,
    source_sums,
)
from reports.ingest.models import AuthResult, Record, auth_results
from reports.rollups.models import DailyRollup, DomainDay, ReporterDay
from reports.shared.counts import FIELDS, Counts
from reports.shared.dates import DateRange
from reports.shared.sql import json_list
from reports.sources.models import SourceService
from reports.sources.queries import SourceName, source_names


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


def _rows(domain, years, months, days, ips) -> list[SourceRow]:
    """The rows of one page of sources: their full sums over the range, first/last seen and names."""
    sums = source_sums(domain, years, months, days, ips)
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


@dataclass
class ServiceSummary(Counts):
    service: str = ""  # services.json id, "" for unidentified sources
    name: str = ""
    kind: str = ""
    by_network: bool = False
    sources: int = 0
    category: str = ""  # the category with most messages ("" when not assessed)
    categories: dict[str, int] = field(default_factory=dict)  # messages by category
    problems: list[str] = field(default_factory=list)  # of its busiest assessed source
    fixes: list[str] = field(default_factory=list)
    ips: list[SourceRow] = field(default_factory=list)  # its busiest sources


def service_summaries(domain: str, rng: DateRange) -> list[ServiceSummary]:
    """The domain's sources over the range, one row per service (and one for unidentified sources),
    busiest first; names, categories and diagnoses come from the last readiness assessment."""
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
        # Unidentified sources make one row per category: spoofing never shares a row (and its
        # "nothing to fix") with forwarded mail.
        key = service or f":{category}"
        row = by_service.setdefault(key, ServiceSummary(service=service))
        for f, value in zip(FIELDS, sums, strict=True):
            setattr(row, f, getattr(row, f) + int(value))
        row.sources += n
        row.categories[category] = row.categories.get(category, 0) + int(sums[0])
        leads.setdefault(key, []).extend(ips or [])
    assessed = {
        s.ip: s
        for s in SourceService.objects.filter(domain=domain, ip__in=[ips[0] for ips in leads.values() if ips])
    }
    for key, row in by_service.items():
        row.category = max(row.categories, key=lambda c: (row.categories[c], c))
        ips = sorted(leads[key])
        sums = source_sums(domain, years, months, days, ips)
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
        if not row.service:
            row.name = "Unidentified sources"
    return sorted(by_service.values(), key=lambda r: (not r.service, -r.messages, r.name))
