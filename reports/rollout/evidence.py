"""The evidence the rollout rules judge, loaded from the database: groups of messages, first sightings,
the policy the reports saw, how much the reporters cover."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from reports.dashboard.queries import DateRange, json_list
from reports.models import DailyRollup, Record, Report, ReporterDay, SourceService
from reports.rollout import lint, trust
from reports.rollout.rules import Group, SenderSource


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
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for ip_, hfrom, efrom, dkim, spf, reasons, auth, disposition, messages in cur.fetchall():
            reason_list = tuple(
                ((r.get("type") or "").lower(), r.get("comment") or "")
                for r in json_list(reasons)
                if isinstance(r, dict)
            )
            results = [a for a in json_list(auth) if isinstance(a, list) and len(a) >= 5]
            group = Group(
                ip=ip_,
                header_from=hfrom or domain,
                envelope_from=efrom or "",
                dkim_verdict=dkim or "",
                spf_verdict=spf or "",
                reasons=reason_list,
                dkim=tuple(
                    sorted(
                        (str(d).lower(), s, str(r).lower()) for k, d, s, _, r, *_ in results if k == "dkim"
                    )
                ),
                spf=tuple(
                    sorted(
                        (str(d).lower(), str(sc).lower(), str(r).lower())
                        for k, d, _, sc, r, *_ in results
                        if k == "spf"
                    )
                ),
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


def first_seen(domain: str, sources: list[SenderSource]) -> None:
    """Set each source's first day in the domain's data (all time, not only the window)."""
    ips = [s.ip for s in sources]
    firsts = {}
    for i in range(0, len(ips), 5000):
        rows = (
            DailyRollup.objects.filter(domain=domain, source_ip__in=ips[i : i + 5000])
            .values("source_ip")
            .annotate(first=Min("day"))
        )
        firsts.update({r["source_ip"]: r["first"] for r in rows})
    for s in sources:
        s.first_seen = firsts.get(s.ip)


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


STORED = ("service", "service_name", "kind", "by_network", "category", "evidence", "problems", "fixes",
          "messages", "assessed")  # fmt: skip


def store_services(domain: str, sources: list[SenderSource]) -> None:
    """Keep each source's service and category for the pages that list sources (they never assess).
    Sources gone from the window are dropped: the pages then show them as not assessed."""
    now = timezone.now()
    rows = [
        SourceService(
            domain=domain, ip=s.ip, service=s.sender.id if s.sender else "", service_name=s.service[:255],
            kind=s.sender.kind if s.sender else "", by_network=s.by_network, category=s.category,
            evidence=s.evidence, problems=s.problems, fixes=s.fixes, messages=s.messages, assessed=now,
        )
        for s in sources
    ]  # fmt: skip
    with transaction.atomic():
        SourceService.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["domain", "ip"],
            update_fields=[f.name for f in SourceService._meta.concrete_fields if f.name in STORED],
        )
        SourceService.objects.filter(domain=domain, assessed__lt=now).delete()
