"""Ranges of UTC days, and the window every verdict is judged over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# The window of a readiness verdict, of the alerts' history and of the pages' default range, in days.
WINDOW_DAYS = 30
# The readiness page's windows: the only ones whose assessment is stored and kept up to date. Any
# other is computed when asked, kept a few minutes for the page, and stored nowhere.
STORED_WINDOWS = (14, 30, 60, 90)


@dataclass(frozen=True)
class DateRange:
    """UTC days from start to end, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self):
        return (self.start + timedelta(days=i) for i in range(self.days))

    def moments(self) -> tuple[datetime, datetime]:
        """[first midnight, the midnight after the last day): which reports begin inside."""
        start = datetime.combine(self.start, time.min, tzinfo=UTC)
        return start, datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @classmethod
    def last(cls, days: int, today: date) -> DateRange:
        """The `days` days that end with `today`."""
        return cls(today - timedelta(days=days - 1), today)
