"""The daily sums trends are drawn from (reports.sources.trends).

A domain's pass rate comes from DomainDay, always current. The sums per service and those of legitimate
mail need each source's service and category (its last assessment, SourceService) joined with its days
(DailyRollup): at ten million records a year of them takes seconds, so a worker folds them into
TrendDay (refresh, after the assessments; `manage.py trends DOMAIN --refresh`) and pages read that.
The join starts from the assessed sources, so a domain's spoofers are never read one by one.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from reports.rollups.models import DomainDay
from reports.shared.dates import DateRange
from reports.shared.vocabulary import LEGITIMATE
from reports.sources.models import TrendDay
from reports.sources.trends import Sums, Trend, previous, trend

_FOLD = """
INSERT INTO reports_trendday (domain, service, day, messages, dmarc_pass, legit, legit_pass)
SELECT s.domain, {service}, d.day, sum(d.messages), sum(d.dmarc_pass),
       coalesce(sum(d.messages) FILTER (WHERE s.category = ANY(%(legit)s)), 0),
       coalesce(sum(d.dmarc_pass) FILTER (WHERE s.category = ANY(%(legit)s)), 0)
FROM reports_sourceservice s
JOIN reports_dailyrollup d ON d.domain = s.domain AND d.source_ip = s.ip
WHERE s.domain = %(domain)s AND {which}
GROUP BY 1, 2, 3
"""


def refresh(domain: str) -> int:
    """Fold the domain's days per service, and of all its legitimate sources, into TrendDay; returns how
    many rows it holds."""
    params = {"domain": domain, "legit": list(LEGITIMATE), "all": TrendDay.ALL_LEGITIMATE}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM reports_trendday WHERE domain = %s", [domain])
        cur.execute(_FOLD.format(service="s.service", which="s.service <> ''"), params)
        cur.execute(_FOLD.format(service="%(all)s", which="s.category = ANY(%(legit)s)"), params)
    return TrendDay.objects.filter(domain=domain).count()


def _span(rng: DateRange) -> tuple[date, date]:
    return previous(rng).start, rng.end


def domain_trend(domain: str, rng: DateRange, by: str | None = None) -> Trend:
    """The domain's pass rate (all its mail) and aligned share of legitimate mail over `rng`."""
    span = _span(rng)
    daily: dict[date, Sums] = {}
    rows = DomainDay.objects.filter(domain=domain, day__range=span)
    for day, messages, passed in rows.values_list("day", "messages", "dmarc_pass"):
        daily[day] = Sums(messages, passed)
    legit = TrendDay.objects.filter(domain=domain, service=TrendDay.ALL_LEGITIMATE, day__range=span)
    for day, messages, passed in legit.values_list("day", "legit", "legit_pass"):
        sums = daily.setdefault(day, Sums())
        sums.legit, sums.legit_pass = messages, passed
    return trend(daily, rng, by)


def service_trends(domain: str, rng: DateRange, service: str = "", by: str | None = None) -> dict[str, Trend]:
    """{service id: its trend over `rng`} for the domain's named services (only `service` if given)."""
    rows = TrendDay.objects.filter(domain=domain, day__range=_span(rng))
    rows = rows.filter(service=service) if service else rows.exclude(service=TrendDay.ALL_LEGITIMATE)
    daily: dict[str, dict[date, Sums]] = {}
    for sid, day, *sums in rows.values_list(
        "service", "day", "messages", "dmarc_pass", "legit", "legit_pass"
    ):
        daily.setdefault(sid, {})[day] = Sums(*sums)
    return {sid: trend(days, rng, by) for sid, days in daily.items()}
