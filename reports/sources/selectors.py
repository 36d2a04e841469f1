"""The DKIM selectors of a policy domain: recomputed from the records and their keys looked up in the DNS
by a worker (refresh), read by the selectors page and `manage.py selectors` (selectors). The rules are
in reports.sources.selector_rules.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from reports.rollups.models import DomainDay
from reports.shared import dns
from reports.sources.models import DkimKey, DkimSelector, SourceService
from reports.sources.selector_rules import M365_PAIR, KeyInfo, Selector, flag, guess_service, parse_key

# Every DKIM result of the domain's records, per signature and source: the worker's one pass over them.
_SEEN = """
SELECT lower(a->>1), lower(a->>2), host(r.source_ip), min(r.begin)::date, max(r.begin)::date,
       sum(r.count), coalesce(sum(r.count) FILTER (WHERE a->>4 = 'pass'), 0)
FROM reports_record r CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(r.auth) = 'array' THEN r.auth ELSE '[]'::jsonb END) a
WHERE r.domain = %s AND jsonb_typeof(a) = 'array' AND a->>0 = 'dkim'
    AND coalesce(a->>1, '') <> '' AND coalesce(a->>2, '') <> ''
GROUP BY 1, 2, 3
"""
# A key is looked up again after this long (a rotated key shows within a day).
KEY_TTL = (timedelta(hours=1), timedelta(days=1))
MAX_LEN = 255


def refresh_selectors(domain: str) -> int:
    """Recompute the domain's DkimSelector rows from its records; returns how many there are."""
    with connection.cursor() as cur:
        cur.execute(_SEEN, [domain])
        rows = cur.fetchall()
    found: dict[tuple[str, str], dict] = {}
    for d, sel, ip, first, last, messages, passed in rows:
        if len(d) > MAX_LEN or len(sel) > MAX_LEN:
            continue  # hostile input: no DNS name is that long
        s = found.setdefault((d, sel), {"first": first, "last": last, "messages": 0, "passed": 0, "ips": {}})
        s["first"], s["last"] = min(s["first"], first), max(s["last"], last)
        s["messages"] += int(messages)
        s["passed"] += int(passed)
        s["ips"][ip] = s["ips"].get(ip, 0) + int(messages)
    busiest = {key: max(s["ips"], key=lambda ip: (s["ips"][ip], ip)) for key, s in found.items()}
    names = dict(
        SourceService.objects.filter(domain=domain, ip__in=set(busiest.values())).values_list(
            "ip", "service_name"
        )
    )
    now = timezone.now()
    with transaction.atomic():
        DkimSelector.objects.filter(domain=domain).delete()
        DkimSelector.objects.bulk_create(
            DkimSelector(
                domain=domain,
                signing_domain=d,
                selector=sel,
                first_seen=s["first"],
                last_seen=s["last"],
                messages=s["messages"],
                passed=s["passed"],
                service=names.get(busiest[(d, sel)]) or guess_service(sel),
                refreshed=now,
            )
            for (d, sel), s in found.items()
        )
    return len(found)


def _wanted(domain: str) -> set[tuple[str, str]]:
    """The keys to know: every selector seen, and Microsoft 365's other selector of each pair."""
    wanted = set(DkimSelector.objects.filter(domain=domain).values_list("signing_domain", "selector"))
    for d, sel in list(wanted):
        if sel in M365_PAIR:
            wanted.add((d, M365_PAIR[1 - M365_PAIR.index(sel)]))
    return wanted


def refresh_keys(domain: str, force: bool = False) -> int:
    """Look up the keys of the domain's selectors that are not cached (or all, `force`); returns how many."""
    now = timezone.now()
    fresh = set(
        DkimKey.objects.filter(expires__gt=now).values_list("signing_domain", "selector") if not force else ()
    )
    done = 0
    for d, sel in sorted(_wanted(domain) - fresh):
        answer = dns.live_lookup(f"{sel}._domainkey.{d}", "TXT")
        if answer.failed:
            info = KeyInfo(error=f"DNS lookup failed ({answer.error})")
        else:
            info = parse_key(answer.records)
        ttl = min(max(timedelta(seconds=answer.ttl), KEY_TTL[0]), KEY_TTL[1])
        DkimKey.objects.update_or_create(
            signing_domain=d,
            selector=sel,
            defaults={
                "key_type": info.key_type,
                "bits": info.bits,
                "error": info.error[:255],
                "fetched": now,
                "expires": now + ttl,
            },
        )
        done += 1
    return done


def selectors(domain: str) -> list[Selector]:
    """The domain's selectors with their keys and flags, busiest first (reads the two small tables)."""
    keys = {
        (k.signing_domain, k.selector): KeyInfo(k.key_type, k.bits, k.error)
        for k in DkimKey.objects.filter(
            signing_domain__in=DkimSelector.objects.filter(domain=domain).values("signing_domain")
        )
    }
    found = [
        Selector(s.signing_domain, s.selector, s.first_seen, s.last_seen, s.messages, s.passed, s.service)
        for s in DkimSelector.objects.filter(domain=domain)
    ]
    for s in found:
        s.key = keys.get((s.signing_domain, s.selector))
    last_day = DomainDay.objects.filter(domain=domain).aggregate(last=Max("day"))["last"]
    flag(found, last_day, keys)
    return sorted(found, key=lambda s: (-s.messages, s.signing_domain, s.selector))
