"""Spreading counts over the days of a period (plain data, no database)."""

from datetime import UTC, date, datetime

from reports.ingest.days import DaySplitter, counted_period


def at(y, m, d, h=0):
    return datetime(y, m, d, h, tzinfo=UTC)


def test_a_period_within_the_limit_is_spread_over_all_its_days():
    split = DaySplitter(at(2024, 1, 1), at(2024, 1, 4), max_days=92).split(30)
    assert split == [(date(2024, 1, 1), 10), (date(2024, 1, 2), 10), (date(2024, 1, 3), 10)]


def test_a_period_of_three_years_is_spread_over_its_last_days_with_the_total_exact():
    begin, end = at(2019, 1, 1), at(2022, 1, 1)
    assert counted_period(begin, end, 92) == (at(2021, 10, 1), True)
    split = DaySplitter(begin, end, max_days=92).split(12)
    assert sum(n for _, n in split) == 12
    assert all(date(2021, 10, 1) <= day <= date(2021, 12, 31) for day, _ in split)
    big = DaySplitter(begin, end, max_days=92).split(10**15 + 7)
    assert len(big) == 92 and sum(n for _, n in big) == 10**15 + 7


def test_without_a_limit_every_day_counts():
    assert counted_period(at(2024, 1, 1), at(2024, 1, 2), 1) == (at(2024, 1, 1), False)
    assert len(DaySplitter(at(2023, 1, 1), at(2024, 1, 1)).split(365 * 3)) == 365
