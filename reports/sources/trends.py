"""Trends: the DMARC pass rate and the aligned share of legitimate mail over time, by day or by week,
and their change from the previous period. Plain Python over daily sums (reports.sources.trend_queries
reads them from the rollups).

Legitimate mail is the mail of sources whose last assessment found them aligned or misconfigured
(reports.shared.vocabulary.LEGITIMATE): what the domain sends itself, whether it passes or not, and
not spoofing or forwarded mail. A source keeps its category over the whole trend: the category says
what the source is, which does not change when its setup is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from reports.shared.dates import DateRange

DAY, WEEK = "day", "week"
# Ranges longer than this are drawn by week: a year of daily bars is 365 bars no one can read.
DAILY_UP_TO = 92


def granularity(rng: DateRange) -> str:
    return WEEK if rng.days > DAILY_UP_TO else DAY


def previous(rng: DateRange) -> DateRange:
    """The range of the same length that ends the day before `rng` starts."""
    return DateRange(rng.start - timedelta(days=rng.days), rng.start - timedelta(days=1))


@dataclass
class Sums:
    """Messages, of them those passing DMARC; mail of legitimate sources, of it the aligned."""

    messages: int = 0
    dmarc_pass: int = 0
    legit: int = 0
    legit_pass: int = 0

    def add(self, other: Sums) -> None:
        self.messages += other.messages
        self.dmarc_pass += other.dmarc_pass
        self.legit += other.legit
        self.legit_pass += other.legit_pass

    @property
    def pass_pct(self) -> float | None:
        return 100.0 * self.dmarc_pass / self.messages if self.messages else None

    @property
    def aligned_pct(self) -> float | None:
        return 100.0 * self.legit_pass / self.legit if self.legit else None


@dataclass
class Point(Sums):
    start: date | None = None  # first day of the bucket within the range
    end: date | None = None
    pass_change: float | None = None  # percentage points since the bucket before (None: no data)
    aligned_change: float | None = None


@dataclass
class Trend:
    by: str
    points: list[Point] = field(default_factory=list)
    current: Sums = field(default_factory=Sums)  # the whole range
    before: Sums = field(default_factory=Sums)  # the previous range of the same length

    @property
    def pass_change(self) -> float | None:
        return _change(self.before.pass_pct, self.current.pass_pct)

    @property
    def aligned_change(self) -> float | None:
        return _change(self.before.aligned_pct, self.current.aligned_pct)

    @property
    def pass_change_text(self) -> str:
        return change_text(self.pass_change)

    @property
    def aligned_change_text(self) -> str:
        return change_text(self.aligned_change)

    @property
    def sparkline(self) -> str:
        """The pass rate of each bucket as the points of an SVG polyline, 100 by 20 (0% at the bottom);
        buckets without mail are left out."""
        n = len(self.points)
        xs = [(100.0 * i / (n - 1) if n > 1 else 50.0, p.pass_pct) for i, p in enumerate(self.points)]
        return " ".join(f"{x:.1f},{20 - y / 5:.1f}" for x, y in xs if y is not None)

    def as_json(self) -> dict:
        return {
            "by": self.by,
            "pass_pct": _round(self.current.pass_pct),
            "aligned_pct": _round(self.current.aligned_pct),
            "pass_change": _round(self.pass_change),
            "aligned_change": _round(self.aligned_change),
            "points": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "messages": p.messages,
                    "pass_pct": _round(p.pass_pct),
                    "aligned_pct": _round(p.aligned_pct),
                }
                for p in self.points
            ],
        }


def change_text(value: float | None) -> str:
    """A change in percentage points as a page shows it: "+1.2 pp", "−0.4 pp", "no change"."""
    if value is None:
        return ""
    if abs(value) < 0.05:
        return "no change"
    return f"{'+' if value > 0 else '−'}{abs(value):.1f} pp"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _change(before: float | None, now: float | None) -> float | None:
    return None if before is None or now is None else now - before


def bucket_start(day: date, rng: DateRange, by: str) -> date:
    """The first day of `day`'s bucket within `rng`: the day itself, or its week's Monday (the range's
    first day for the first, partial week)."""
    if by == DAY:
        return day
    return max(day - timedelta(days=day.weekday()), rng.start)


def buckets(rng: DateRange, by: str) -> list[tuple[date, date]]:
    """(first, last day) of every bucket of the range, in order."""
    starts = sorted({bucket_start(d, rng, by) for d in rng.each_day()})
    ends = [s - timedelta(days=1) for s in starts[1:]] + [rng.end]
    return list(zip(starts, ends, strict=True))


def trend(daily: dict[date, Sums], rng: DateRange, by: str | None = None) -> Trend:
    """The trend over `rng` of the daily sums `daily` (which may hold days of the previous range too)."""
    by = by or granularity(rng)
    out = Trend(by)
    points = {start: Point(start=start, end=end) for start, end in buckets(rng, by)}
    before = previous(rng)
    for day, sums in daily.items():
        if rng.start <= day <= rng.end:
            points[bucket_start(day, rng, by)].add(sums)
            out.current.add(sums)
        elif before.start <= day <= before.end:
            out.before.add(sums)
    out.points = list(points.values())
    for prior, p in zip(out.points, out.points[1:], strict=False):
        p.pass_change = _change(prior.pass_pct, p.pass_pct)
        p.aligned_change = _change(prior.aligned_pct, p.aligned_pct)
    return out


def fold_counts(daily: list, rng: DateRange, by: str) -> list:
    """[(day, Counts)] of a range summed into its buckets: [(first day of the bucket, Counts)]."""
    if by == DAY:
        return daily
    out: dict[date, object] = {}
    for day, counts in daily:
        start = bucket_start(day, rng, by)
        if start not in out:
            out[start] = type(counts)()
        total = out[start]
        for name, value in vars(counts).items():
            setattr(total, name, getattr(total, name) + value)
    return list(out.items())
