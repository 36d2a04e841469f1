"""Report builders, and the dashboard's scenario of real reports, imported through ingest_bytes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from reports.demo.report_xml import record_xml, report_xml
from reports.ingest import pipeline as ingest

# The scenario's two domains, and a source of each (192.0.2.77 sends for other.example only).
OWN, OTHER = "example.com", "other.example"
OWN_IP, OTHER_IP = "192.0.2.10", "192.0.2.77"

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


def dashboard_scenario() -> None:
    """example.com over the last days, seen by two reporters, plus an older report and a second domain.

    Sources: 192.0.2.10 aligned (two records of 100 per report), 198.51.100.7 failing and
    quarantined (5), 203.0.113.9 a mailing list let through by local_policy arc=pass (3).
    other.example: 192.0.2.77 (11).
    """
    for days_ago in (1, 2, 3):
        import_ok(
            daily_report(
                days_ago,
                [
                    record_xml(ip=OWN_IP, count=100, header_from=OWN,
                               dkim_results=((OWN, "s1", "pass"),)),
                    record_xml(ip=OWN_IP, count=100, header_from="news.example.com",
                               dkim_results=((OWN, "s2", "pass"),)),
                    record_xml(ip="198.51.100.7", count=5, disposition="quarantine", dkim="fail", spf="fail",
                               dkim_results=(), spf_results=(("spoof.invalid", "mfrom", "fail"),)),
                    record_xml(ip="203.0.113.9", count=3, dkim="fail", spf="fail",
                               dkim_results=(("lists.example.net", "list", "pass"),),
                               spf_results=(("lists.example.net", "mfrom", "pass"),),
                               reasons=(("local_policy", "arc=pass"),)),
                ],
            )
        )  # fmt: skip
    import_ok(daily_report(2, [record_xml(ip=OWN_IP, count=50)], org="Yahoo"))
    # Outside the default 30 days, inside 90.
    import_ok(daily_report(60, [record_xml(ip="192.0.2.99", count=7000)]))
    from reports.models import Domain

    # A second domain with data: monitored too when the test set up monitored domains (a grant does).
    if Domain.objects.exists():
        Domain.objects.get_or_create(name=OTHER)
    import_ok(daily_report(1, [record_xml(ip=OTHER_IP, count=11, header_from=OTHER)], domain=OTHER))
    tls_scenario()


def tls_scenario() -> None:
    """SMTP TLS reports: example.com from Google (clean) and Microsoft (7 certificate failures at
    mx1), yesterday; other.example from Google."""
    from reports.demo import tls_json

    day = timezone.now().date() - timedelta(days=1)
    import_ok(tls_json.dumps(tls_json.google(OWN, day, ok=900)))
    failures = [tls_json.failure("certificate-expired", f"mx1.{OWN}", 7)]
    import_ok(tls_json.dumps(tls_json.microsoft(OWN, day, ok=93, failures=failures)))
    import_ok(tls_json.dumps(tls_json.google(OTHER, day, ok=50)))


def hostile_report():
    """A report whose reporter name and report ID are markup, as a forged report may carry."""
    outcomes = import_ok(
        daily_report(
            1,
            [record_xml(ip="192.0.2.66", count=4, dkim="fail", spf="fail",
                        reasons=(("other", xml_text("<b>bold</b>")),))],
            org=xml_text(HOSTILE_ORG),
            report_id=xml_text(HOSTILE_ID),
        )
    )  # fmt: skip
    from reports.demo import tls_json

    failures = [tls_json.failure(HOSTILE_ID, f"mx1.{OWN}", 2, **{"additional-information": HOSTILE_ORG})]
    doc = tls_json.microsoft(
        OWN, timezone.now().date() - timedelta(days=1), report_id=HOSTILE_ID, failures=failures
    )
    doc["organization-name"] = HOSTILE_ORG
    import_ok(tls_json.dumps(doc))
    return outcomes[0]
