"""Spreading a report's message counts over the UTC days it covers.

Reports usually cover one UTC day, but some reporters send periods of several
weeks or periods that start mid-day. Charting such a report on its first day
distorts the daily series, so each record's count is shared out over the days
in proportion to the seconds of the period that fall in each day. Shares are
whole numbers and always add up to the count (largest remainder), so daily
totals add up exactly to the report's total.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def day_weights(begin: datetime, end: datetime) -> list[tuple[date, int]]:
    """The UTC days of [begin, end) with the seconds of the period in each.

    The end is exclusive: Outlook's end = begin + 86400 and Google's inclusive
    end = begin + 86399 both cover exactly one day. A period with begin == end
    (seen in the wild) counts wholly on its day.
    """
    begin = begin.astimezone(UTC)
    end = end.astimezone(UTC)
    if end <= begin:
        return [(begin.date(), 1)]
    weights = []
    day = begin.date()
    cursor = begin
    while cursor < end:
        next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
        stop = min(next_midnight, end)
        seconds = int((stop - cursor).total_seconds())
        if seconds > 0:
            weights.append((day, seconds))
        cursor = stop
        day = day + timedelta(days=1)
    return weights or [(begin.date(), 1)]


def counted_period(begin: datetime, end: datetime, max_days: int) -> tuple[datetime, bool]:
    """The start of the part of [begin, end) that counts are spread over, and whether it was cut.

    A period of years (a converter's test report, or a forged one) would write a
    row per day and source for every day of it; its counts go to its last
    `max_days` days instead, so the totals stay exact and the rows bounded.
    """
    if end - begin > timedelta(days=max_days):
        return end - timedelta(days=max_days), True
    return begin, False


def covered_days(begin: datetime, end: datetime, max_days: int) -> tuple[date, ...]:
    """The UTC days a report's counts are spread over."""
    start, _ = counted_period(begin, end, max_days)
    return tuple(day for day, _ in day_weights(start, end))


class DaySplitter:
    """Splits counts over the days of one report period; build once per report."""

    def __init__(self, begin: datetime, end: datetime, max_days: int | None = None):
        if max_days is not None:
            begin, _ = counted_period(begin, end, max_days)
        self.weights = day_weights(begin, end)
        self.total = sum(w for _, w in self.weights)
        self.single_day = self.weights[0][0] if len(self.weights) == 1 else None

    def split(self, count: int) -> list[tuple[date, int]]:
        if self.single_day is not None:
            return [(self.single_day, count)]
        shares = []
        remainders = []
        given = 0
        for i, (day, w) in enumerate(self.weights):
            q, r = divmod(count * w, self.total)
            shares.append([day, q])
            remainders.append((-r, i))  # biggest remainder first, earlier day on ties
            given += q
        for _, i in sorted(remainders)[: count - given]:
            shares[i][1] += 1
        return [(day, n) for day, n in shares if n]
