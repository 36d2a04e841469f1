"""The evidence the rollout rules judge, loaded from the database: groups of messages, first sightings,
the policy the reports saw, how much the reporters cover."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Max, Min

from reports.ingest.models import Record, Report
from reports.rollout import lint, trust
from reports.rollout.rules.classification import AssessedSource, Group
from reports.rollups.models import ReporterDay
from reports.shared.dates import DateRange
from reports.shared.sql import ANY_IP, ip_list, json_list


def load_groups(domain: str, start: date, end: date, ip: str | None = None) -> list[Group]:
    """Records whose report begins within [start, end], grouped by source and evidence, in SQL."""
    params = [domain, *DateRange(start, end).moments()]
    only_ip = ""
    if ip:
        only_ip = "AND r.source_ip = %s"
        params.append(ip)
    sql = f"""
        SELECT host(r.source_ip), lower(r.header_from), lower(r.envelope_from), lower(r.dkim),
               lower(r.spf), r.reasons::text, r.auth::text, lower(r.disposition), SUM(r.count)
        FROM {Record._meta.db_table} r
        WHERE r.domain = %s AND r.begin >= %s AND r.begin < %s {only_ip} {trust.records_filter("r")}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """
    # The same evidence can still arrive in several shapes (results in another
    # order, a human_result): the database groups the exact text, this the meaning.
    merged: dict[tuple, Group] = {}
    # Many sources carry the same text (every spoofer of a botnet the same failing SPF result): each
    # distinct text is read once.
    reasons_read: dict[str, tuple] = {}
    auth_read: dict[str, tuple[tuple, tuple]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for ip_, hfrom, efrom, dkim, spf, reasons, auth, disposition, messages in cur.fetchall():
            if reasons not in reasons_read:
                reasons_read[reasons] = _reasons(reasons)
            if auth not in auth_read:
                auth_read[auth] = _auth_results(auth)
            dkim_results, spf_results = auth_read[auth]
            group = Group(
                ip=ip_,
                header_from=hfrom or domain,
                envelope_from=efrom or "",
                dkim_verdict=dkim or "",
                spf_verdict=spf or "",
                reasons=reasons_read[reasons],
                dkim=dkim_results,
                spf=spf_results,
                messages=int(messages),
                disposition=disposition or "none",
            )
            key = (group.ip, group.header_from, group.envelope_from, group.dkim_verdict, group.spf_verdict,
                   group.reasons, group.dkim, group.spf, group.disposition)  # fmt: skip
            if key in merged:
                merged[key].messages += group.messages
            else:
                merged[key] = group
    return list(merged.values())


def _reasons(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple(
        ((r.get("type") or "").lower(), r.get("comment") or "")
        for r in json_list(text)
        if isinstance(r, dict)
    )


def _auth_results(text: str | None) -> tuple[tuple, tuple]:
    """(DKIM results as (domain, selector, result), SPF results as (domain, scope, result)), sorted."""
    results = [a for a in json_list(text) if isinstance(a, list) and len(a) >= 5]
    dkim = sorted((str(d).lower(), s, str(r).lower()) for k, d, s, _, r, *_ in results if k == "dkim")
    spf = sorted(
        (str(d).lower(), str(sc).lower(), str(r).lower()) for k, d, _, sc, r, *_ in results if k == "spf"
    )
    return tuple(dkim), tuple(spf)


def record_from_reports(domain: str) -> lint.DmarcRecord:
    """No usable DNS record: read the policy the latest report says was published."""
    report = Report.objects.filter(domain=domain).order_by("-begin").first()
    if report is None:
        return lint.DmarcRecord(raw="", tags={"v": "DMARC1", "p": "none"})
    tags = {"v": "DMARC1", "p": report.p or "none"}
    for tag in ("sp", "np", "adkim", "aspf", "fo"):
        value = getattr(report, tag)
        if value and not (tag in ("adkim", "aspf") and value == "r"):
            tags[tag] = value
    if report.testing == "y":
        tags["t"] = "y"
    return lint.DmarcRecord(raw="", tags=tags)


def first_seen(domain: str, sources: list[AssessedSource]) -> None:
    """Set each source's first day in the domain's data (all time, not only the window)."""
    firsts = first_days(domain, [s.ip for s in sources])
    for s in sources:
        s.first_seen = firsts.get(s.ip)


def first_days(domain: str, ips) -> dict[str, date]:
    """{ip: the first day the source was seen for the domain}, all time."""
    # The year rollups keep each source's first day of the year: the earliest of them is the first ever.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT host(source_ip), min(first_day) FROM reports_sourceperiod"
            f" WHERE domain = %s AND period = 'y' AND source_ip = {ANY_IP} GROUP BY source_ip",
            [domain, ip_list(ips)],
        )
        return dict(cur.fetchall())


def days_on_none(domain: str, today: date) -> int | None:
    agg = Report.objects.filter(domain=domain).aggregate(first=Min("begin"))
    if agg["first"] is None:
        return None
    if Report.objects.filter(domain=domain).exclude(p__in=("none", "")).exists():
        return None  # it has been enforced before: not a record left at none from the start
    return (today - agg["first"].date()).days


def coverage(domain: str, start: date, end: date) -> tuple[int, int]:
    """How many reporters sent reports on how many days of [start, end]."""
    if trust.required():
        found = trust.coverage(domain, start, end)
        return found["reporters"] or 0, found["days"] or 0
    found = ReporterDay.objects.filter(domain=domain, day__range=(start, end)).aggregate(
        reporters=Count("reporter", distinct=True), days=Count("day", distinct=True)
    )
    return found["reporters"] or 0, found["days"] or 0


def last_full_day(domain: str, today: date) -> date:
    """The day a readiness window ends: the last day before today with reports for the domain.

    Today is never full (its reports arrive tomorrow), and a window that ends on days with no reports
    yet would count them against the coverage it needs: 14 days of reports would never fill 14 days.
    Staleness is judged apart, by the freshness checks, so a silent domain is not ready either way.
    """
    yesterday = today - timedelta(days=1)
    last = ReporterDay.objects.filter(domain=domain, day__lte=yesterday).aggregate(last=Max("day"))["last"]
    return last or yesterday
