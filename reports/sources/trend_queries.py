"""The daily sums trends are drawn from (reports.sources.trends), read from the rollups: DomainDay for a
domain's mail, DailyRollup joined with the sources' last assessment (SourceService) for legitimate mail
and per service. The join starts from the assessed sources, so a domain's spoofers (thousands of
addresses named by no service) are read only for the domain's total, never one by one."""

from __future__ import annotations

from datetime import date

from django.db import connection

from reports.rollups.models import DomainDay
from reports.shared.dates import DateRange
from reports.shared.vocabulary import LEGITIMATE
from reports.sources.trends import Sums, Trend, previous, trend

# Per day (and service) over both ranges: every sum, and those of legitimate sources.
_BY_SERVICE = """
SELECT s.service, d.day, sum(d.messages), sum(d.dmarc_pass),
       coalesce(sum(d.messages) FILTER (WHERE s.category = ANY(%(legit)s)), 0),
       coalesce(sum(d.dmarc_pass) FILTER (WHERE s.category = ANY(%(legit)s)), 0)
FROM reports_sourceservice s
JOIN reports_dailyrollup d ON d.domain = s.domain AND d.source_ip = s.ip
    AND d.day BETWEEN %(start)s AND %(end)s
WHERE s.domain = %(domain)s AND {which}
GROUP BY 1, 2
"""


def _span(rng: DateRange) -> dict:
    return {"start": previous(rng).start, "end": rng.end, "legit": list(LEGITIMATE)}


def domain_trend(domain: str, rng: DateRange, by: str | None = None) -> Trend:
    """The domain's pass rate (all its mail) and aligned share of legitimate mail over `rng`."""
    span = _span(rng)
    daily: dict[date, Sums] = {}
    rows = DomainDay.objects.filter(domain=domain, day__range=(span["start"], span["end"]))
    for day, messages, passed in rows.values_list("day", "messages", "dmarc_pass"):
        daily[day] = Sums(messages, passed)
    with connection.cursor() as cur:
        cur.execute(_BY_SERVICE.format(which="s.category = ANY(%(legit)s)"), {**span, "domain": domain})
        for _, day, _m, _p, legit, legit_pass in cur.fetchall():
            sums = daily.setdefault(day, Sums())
            sums.legit += int(legit)
            sums.legit_pass += int(legit_pass)
    return trend(daily, rng, by)


def service_trends(domain: str, rng: DateRange, service: str = "", by: str | None = None) -> dict[str, Trend]:
    """{service id: its trend over `rng`} for the domain's named services (only `service` if given)."""
    span = {**_span(rng), "domain": domain, "service": service}
    which = "s.service = %(service)s" if service else "s.service <> ''"
    daily: dict[str, dict[date, Sums]] = {}
    with connection.cursor() as cur:
        cur.execute(_BY_SERVICE.format(which=which), span)
        for sid, day, messages, passed, legit, legit_pass in cur.fetchall():
            daily.setdefault(sid, {})[day] = Sums(int(messages), int(passed), int(legit), int(legit_pass))
    return {sid: trend(days, rng, by) for sid, days in daily.items()}
