"""Trends of the pass rate and of the aligned share of legitimate mail, by day or by week: the buckets on
plain data, then a year of real reports whose pages must agree with sums computed from the records."""

import json
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import Flow, build, google_workspace, unknown_network
from reports.ingest import consistency as rollup
from reports.ingest.models import Record
from reports.shared.dates import DateRange
from reports.shared.vocabulary import LEGITIMATE
from reports.sources.models import SourceService
from reports.sources.trends import DAY, WEEK, Sums, buckets, change_text, granularity, trend


def test_a_year_is_drawn_by_week_and_a_month_by_day():
    year = DateRange(date(2026, 1, 1), date(2026, 12, 31))  # a Thursday to a Thursday
    assert granularity(year) == WEEK and granularity(DateRange.last(30, date(2026, 6, 30))) == DAY
    weeks = buckets(year, WEEK)
    assert len(weeks) == 53
    assert weeks[0] == (date(2026, 1, 1), date(2026, 1, 4))  # the first week is cut at the range
    assert all(start.weekday() == 0 for start, _ in weeks[1:])
    assert weeks[-1] == (date(2026, 12, 28), date(2026, 12, 31))
    days = sum((end - start).days + 1 for start, end in weeks)
    assert days == year.days


def test_a_trend_sums_its_buckets_and_compares_with_the_previous_range():
    rng = DateRange(date(2026, 3, 2), date(2026, 3, 15))  # two whole weeks
    daily = {
        date(2026, 3, 2): Sums(100, 50, 80, 40),
        date(2026, 3, 8): Sums(100, 100, 100, 100),
        date(2026, 3, 9): Sums(10, 9, 10, 9),
        date(2026, 2, 20): Sums(100, 25, 100, 25),  # the previous range
        date(2026, 1, 1): Sums(999, 0, 999, 0),  # before it: ignored
    }
    t = trend(daily, rng, WEEK)
    assert [p.start for p in t.points] == [date(2026, 3, 2), date(2026, 3, 9)]
    first, second = t.points
    assert (first.messages, first.dmarc_pass, first.legit, first.legit_pass) == (200, 150, 180, 140)
    assert second.pass_pct == 90.0 and round(second.pass_change, 2) == 15.0
    assert t.current.messages == 210 and t.before.messages == 100
    assert round(t.pass_change, 2) == round(100 * 159 / 210 - 25, 2)
    assert t.pass_change_text.startswith("+") and change_text(-0.44) == "−0.4 pp"
    assert change_text(0.01) == "no change" and change_text(None) == ""
    # A bucket without mail has no rate, and the next one no change.
    empty = trend({date(2026, 3, 9): Sums(10, 5)}, rng, WEEK)
    assert empty.points[0].pass_pct is None and empty.points[1].pass_change is None
    assert empty.before.messages == 0 and empty.pass_change is None


D = "trend.example"
CHIMP = "205.201.131.7"
YEAR = 365


def chimp(domain, fixed: bool):
    """Mailchimp before domain authentication (until 60 days ago), then signing with the domain too."""
    if fixed:
        signatures = ((domain, "k2", "pass"), ("mcsv.net", "k1", "pass"))
        return Flow([CHIMP], 40, dkim_results=signatures, since_days=60)
    return Flow(
        [CHIMP], 40, dkim="fail", spf="fail", dkim_results=(("mcsv.net", "k1", "pass"),), until_days=60
    )


@pytest.fixture
def year(settings):
    """A year of daily reports from one reporter, the sources assessed as the worker would."""
    cache.clear()
    with DnsServer() as server:
        server.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
        server.txt(D, "v=spf1 include:_spf.google.com -all")
        server.serve(settings)
        flows = [google_workspace(D), chimp(D, False), chimp(D, True), unknown_network(D)]
        build(D, flows, days=YEAR, reporters=("google.com",))
        rollup.rebuild(D)
        call_command("rollout", D, "--json", stdout=StringIO())
        call_command("trends", D, "--refresh", stdout=StringIO())
        yield
    cache.clear()


def from_records(rng: DateRange, by_week: bool) -> dict:
    """{bucket start: [messages, passing, legitimate, legitimate passing]} summed from the raw records."""
    legit = set(SourceService.objects.filter(domain=D, category__in=LEGITIMATE).values_list("ip", flat=True))
    sums = defaultdict(lambda: [0, 0, 0, 0])
    for r in Record.objects.filter(domain=D):
        day = r.begin.date()
        if not rng.start <= day <= rng.end:
            continue
        start = max(day - timedelta(days=day.weekday()), rng.start) if by_week else day
        s = sums[start]
        s[0] += r.count
        s[1] += r.count if r.dmarc_pass else 0
        if r.source_ip in legit:
            s[2] += r.count
            s[3] += r.count if r.dmarc_pass else 0
    return sums


def pct(a, b):
    return round(100.0 * a / b, 2) if b else None


# One year imported once (a few seconds) for the three pages.
@pytest.mark.django_db
def test_the_trends_on_the_pages_are_the_sums_of_the_records(year, superuser_client):
    year_overview_by_week(superuser_client)
    month_overview_by_day(superuser_client)
    service_trends_on_senders_and_source(superuser_client)
    # The command prints what the overview shows.
    out = StringIO()
    call_command("trends", D, "--days", "365", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    shown = superuser_client.get(reverse("overview"), {"domain": D, "range": "365"}).context["trend"]
    assert printed["by"] == "week" and len(printed["points"]) == len(shown.points)
    assert printed["pass_pct"] == round(shown.current.pass_pct, 2)
    assert printed["services"]["mailchimp"]["points"][-1]["pass_pct"] == 100.0


def year_overview_by_week(superuser_client):
    response = superuser_client.get(reverse("overview"), {"domain": D, "range": "365"})
    chart = response.context["chart"]
    rng = response.context["rng"]
    assert chart["by"] == "week" and 52 <= len(chart["days"]) <= 54
    expected = from_records(rng, by_week=True)
    assert expected, "no records in the range"
    for i, start in enumerate(chart["days"]):
        m, p, lm, lp = expected.get(date.fromisoformat(start), [0, 0, 0, 0])
        assert chart["pass"][i] == p and chart["fail"][i] == m - p, start
        assert chart["trend"]["pass_pct"][i] == pct(p, m), start
        assert chart["trend"]["aligned_pct"][i] == pct(lm and lp, lm), start
    body = response.content.decode()
    assert 'data-trend="week"' in body and "Messages per week" in body
    # Mailchimp's fix shows: legitimate mail was partly unaligned early on, all aligned since.
    trend = response.context["trend"]
    assert trend.points[0].aligned_pct < 100 and trend.points[-1].aligned_pct == 100


def month_overview_by_day(superuser_client):
    response = superuser_client.get(reverse("overview"), {"domain": D, "range": "30"})
    trend, rng = response.context["trend"], response.context["rng"]
    assert trend.by == "day" and len(trend.points) == 30
    now, before = (
        from_records(rng, False),
        from_records(DateRange(rng.start - timedelta(30), rng.start - timedelta(1)), False),
    )
    m, p = sum(v[0] for v in now.values()), sum(v[1] for v in now.values())
    bm, bp = sum(v[0] for v in before.values()), sum(v[1] for v in before.values())
    assert round(trend.current.pass_pct, 6) == round(100 * p / m, 6)
    assert round(trend.pass_change, 6) == round(100 * p / m - 100 * bp / bm, 6)
    assert trend.pass_change_text in response.content.decode()


def service_trends_on_senders_and_source(superuser_client):
    q = {"domain": D, "range": "365"}
    senders = superuser_client.get(reverse("senders"), q)
    rows = {r.service: r for r in senders.context["rows"]}
    chimp_trend = rows["mailchimp"].trend
    rng = senders.context["rng"]
    legit_by_week = from_records(rng, True)
    assert chimp_trend.by == "week"
    # Mailchimp alone: its own records, summed by week.
    mine = defaultdict(lambda: [0, 0])
    for r in Record.objects.filter(domain=D, source_ip=CHIMP):
        day = r.begin.date()
        if rng.start <= day <= rng.end:
            w = max(day - timedelta(days=day.weekday()), rng.start)
            mine[w][0] += r.count
            mine[w][1] += r.count if r.dmarc_pass else 0
    for point in chimp_trend.points:
        m, p = mine.get(point.start, [0, 0])
        assert (point.messages, point.dmarc_pass) == (m, p), point.start
    assert set(mine) <= set(legit_by_week)
    assert chimp_trend.points[-1].pass_pct == 100.0 and chimp_trend.points[1].pass_pct == 0.0
    assert "data-trend-change" in senders.content.decode() and "<polyline points=" in senders.content.decode()
    source = superuser_client.get(reverse("source", args=[CHIMP]), q)
    body = source.content.decode()
    assert source.context["chart"]["by"] == "week" and len(source.context["chart"]["days"]) <= 54
    assert "Trend of Mailchimp" in body and source.context["service_trend"].current.messages == sum(
        v[0] for v in mine.values()
    )


@pytest.mark.django_db
def test_the_weekly_digest_has_the_aligned_share_and_each_services_pass_rate(year):
    from reports.alerts import render
    from reports.alerts.digest import Digest, domain_digest, period

    start, end = period(timezone.now().date())
    d = domain_digest(D, start, end)
    week = from_records(DateRange(start, end), by_week=False)
    lm, lp = sum(v[2] for v in week.values()), sum(v[3] for v in week.values())
    assert lm and round(d.aligned, 6) == round(100 * lp / lm, 6)
    chimp_row = next(s for s in d.services if s["name"] == "Mailchimp")
    assert chimp_row["pass_pct"] == 100.0 and chimp_row["change_text"] == "no change"
    text = render.digest(Digest(start, end, [d]), "https://example.test/u").text
    assert f"Legitimate mail aligned: {d.aligned:.1f}%" in text
    assert "  - Mailchimp: 100.0% of " in text
