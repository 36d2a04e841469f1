"""What the pages draw of trends (reports.sources.trends): the overview's charts by day or by week, the
Senders page's trend per service, the source page's trend of its service."""

from __future__ import annotations

from reports.shared.dates import DateRange
from reports.sources import trend_queries, trends


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def overview_chart(domain: str, rng: DateRange, daily: list) -> tuple[trends.Trend, dict]:
    """The domain's trend, and the overview's chart data: by week past three months (a year of daily
    bars cannot be read), the pass rate and aligned share of legitimate mail per bucket."""
    trend = trend_queries.domain_trend(domain, rng)
    periods = trends.fold_counts(daily, rng, trend.by)
    chart = {
        "by": trend.by,
        "days": [d.isoformat() for d, _ in periods],
        "pass": [c.dmarc_pass for _, c in periods],
        "fail": [c.dmarc_fail for _, c in periods],
        "none": [c.delivered for _, c in periods],
        "quarantine": [c.quarantined for _, c in periods],
        "reject": [c.rejected for _, c in periods],
        "trend": {
            "pass_pct": [_rounded(p.pass_pct) for p in trend.points],
            "aligned_pct": [_rounded(p.aligned_pct) for p in trend.points],
        },
    }
    return trend, chart


def source_chart(daily: list, rng: DateRange) -> dict:
    """The drill-down's chart: by day, or by week past three months, like the overview."""
    by = trends.granularity(rng)
    periods = trends.fold_counts(daily, rng, by)
    return {
        "by": by,
        "days": [d.isoformat() for d, _ in periods],
        "pass": [c.dmarc_pass for _, c in periods],
        "fail": [c.dmarc_fail for _, c in periods],
    }


def with_service_trends(rows: list, domain: str, rng: DateRange) -> list:
    """The Senders page's rows, each given the trend of its service (`trend`, None when unnamed)."""
    found = trend_queries.service_trends(domain, rng)
    for row in rows:
        row.trend = found.get(row.service)
    return rows


def service_trend(domain: str, rng: DateRange, service_id: str) -> trends.Trend | None:
    if not service_id:
        return None
    return trend_queries.service_trends(domain, rng, service_id).get(service_id)
