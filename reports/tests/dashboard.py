"""A small scenario of real reports for the dashboard tests, imported through ingest_bytes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from reports.demo.report_xml import report_xml
from reports.ingest import pipeline as ingest

HOSTILE_ORG = "<script>alert(1)</script>"
HOSTILE_ID = "<img src=x onerror=alert(1)>"


def xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def day_start(days_ago: int) -> int:
    day = timezone.now().date() - timedelta(days=days_ago)
    return int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())


def daily_report(days_ago, records, org="google.com", report_id=None, domain="example.com", **kw) -> bytes:
    begin = day_start(days_ago)
    return report_xml(
        records=records,
        org_name=org,
        report_id=report_id or f"{org}-{domain}-{days_ago}",
        domain=domain,
        begin=begin,
        end=begin + 86399,
        **kw,
    )


def import_ok(data: bytes, source="test") -> list:
    outcomes = ingest.ingest_bytes(data, source)
    assert [o.status for o in outcomes] == ["imported"] * len(outcomes), [o.error for o in outcomes]
    return outcomes
