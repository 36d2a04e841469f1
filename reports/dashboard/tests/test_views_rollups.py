"""The pages read rollups: they must agree to the message with DailyRollup, whatever the range."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from reports.dashboard import queries
from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, day_start, import_ok
from reports.ingest import consistency as rollup
from reports.ingest import store
from reports.models import DailyRollup, DomainDay, Record, ReporterDay, SourcePeriod


def truth(domain, rng):
    """Per-source message counts straight from DailyRollup."""
    rows = (
        DailyRollup.objects.filter(domain=domain, day__range=(rng.start, rng.end))
        .values("source_ip")
        .annotate(m=Sum("messages"), p=Sum("dmarc_pass"), q=Sum("quarantined"))
    )
    return {r["source_ip"]: (r["m"], r["p"], r["q"]) for r in rows}


def shown(domain, rng):
    rows, total = queries.sources(domain, rng, queries.SourceFilter(), limit=None)
    assert total == len(rows)
    return {s.ip: (s.messages, s.dmarc_pass, s.quarantined) for s in rows}


@pytest.fixture
def spread_out(db):
    """Reports over more than a year, one of them spanning three days with odd counts."""
    for days_ago in (0, 1, 13, 31, 45, 59, 88, 120, 200, 364, 365, 400, 500):
        import_ok(
            daily_report(
                days_ago,
                [record_xml(ip=f"192.0.2.{days_ago % 7}", count=days_ago + 1),
                 record_xml(ip="198.51.100.1", count=3, dkim="fail", spf="fail", disposition="quarantine")],
            )
        )  # fmt: skip
    begin = day_start(9) + 3600 * 5
    xml = daily_report(9, [record_xml(ip="203.0.113.5", count=7), record_xml(ip="203.0.113.6", count=1000)])
    period = f"<begin>{day_start(9)}</begin><end>{day_start(9) + 86399}</end>".encode()
    import_ok(xml.replace(period, f"<begin>{begin}</begin><end>{begin + 2 * 86400 + 600}</end>".encode()))


def test_the_sources_table_matches_dailyrollup_for_any_range(spread_out):
    today = timezone.now().date()
    ranges = [
        (0, 6),
        (0, 29),
        (0, 89),
        (0, 364),
        (0, 600),
        (3, 40),
        (10, 100),
        (35, 370),
        (8, 10),
        (366, 366),
    ]
    for newest, oldest in ranges:
        rng = queries.DateRange(today - timedelta(days=oldest), today - timedelta(days=newest))
        assert shown("example.com", rng) == truth("example.com", rng), (newest, oldest)


def test_a_range_ending_today_reads_whole_months_and_years(spread_out):
    today = timezone.now().date()
    years, months, days = queries.period_pieces(
        "example.com", queries.DateRange(today - timedelta(days=600), today)
    )
    assert days == []  # no data before the range start nor after today: every period is whole
    assert years


def test_the_day_split_matches_dailyrollup_day_by_day(spread_out):
    for ip in ("203.0.113.5", "203.0.113.6"):
        days = dict(SourcePeriod.objects.filter(source_ip=ip, period="d").values_list("start", "messages"))
        expected = dict(
            DailyRollup.objects.filter(source_ip=ip)
            .values("day")
            .annotate(n=Sum("messages"))
            .values_list("day", "n")
        )
        assert days == expected and len(days) == 3
    per_day = dict(DomainDay.objects.values_list("day", "messages"))
    expected = dict(DailyRollup.objects.values("day").annotate(n=Sum("messages")).values_list("day", "n"))
    assert per_day == expected


def _rollup_state():
    return (
        sorted(
            SourcePeriod.objects.values_list(
                "period", "start", "source_ip", "messages", "first_day", "last_day"
            )
        ),
        sorted(DomainDay.objects.values_list("day", "messages", "dmarc_pass", "quarantined", "rejected")),
        sorted(ReporterDay.objects.values_list("day", "reporter", "messages")),
    )


def test_removing_a_report_takes_it_back_out_and_rebuild_agrees(spread_out):
    untouched = _rollup_state()
    xml = daily_report(2, [record_xml(ip="192.0.2.200", count=40), record_xml(ip="192.0.2.1", count=2)],
                       org="second.example")  # fmt: skip
    pk = import_ok(xml)[0].report_pk
    assert SourcePeriod.objects.filter(source_ip="192.0.2.200").count() == 3
    imported = _rollup_state()
    assert imported != untouched
    rollup.rebuild()  # from the DailyRollup rows: the same as the import kept up
    assert _rollup_state() == imported
    store.remove_report(pk)
    assert not SourcePeriod.objects.filter(source_ip="192.0.2.200").exists()
    assert not Record.objects.filter(source_ip="192.0.2.200").exists()
    assert not DailyRollup.objects.filter(source_ip="192.0.2.200").exists()
    assert not ReporterDay.objects.filter(reporter="second.example").exists()
    # Every sum, first and last day is back where it was, and a rebuild agrees.
    assert _rollup_state() == untouched
    rollup.rebuild()
    assert _rollup_state() == untouched
    assert imported != untouched
