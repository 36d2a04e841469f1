"""SMTP TLS reports (RFC 8460 JSON) shaped like the real reporters': for tests, the demo and the bench.

rfc8460_example() is the RFC's own example; google() and microsoft() follow what those reporters
send: Google with mx-host omitted and no failure details when all went well, Microsoft with
mx-host as a list and a report-id that is not a UUID.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

RFC8460_EXAMPLE = {
    "organization-name": "Company-X",
    "date-range": {"start-datetime": "2016-04-01T00:00:00Z", "end-datetime": "2016-04-01T23:59:59Z"},
    "contact-info": "sts-reporting@company-x.example",
    "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
    "policies": [
        {
            "policy": {
                "policy-type": "sts",
                "policy-string": [
                    "version: STSv1",
                    "mode: testing",
                    "mx: *.mail.company-y.example",
                    "max_age: 86400",
                ],
                "policy-domain": "company-y.example",
                "mx-host": "*.mail.company-y.example",
            },
            "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
            "failure-details": [
                {
                    "result-type": "certificate-expired",
                    "sending-mta-ip": "2001:db8:abcd:0012::1",
                    "receiving-mx-hostname": "mx1.mail.company-y.example",
                    "failed-session-count": 100,
                },
                {
                    "result-type": "starttls-not-supported",
                    "sending-mta-ip": "2001:db8:abcd:0013::1",
                    "receiving-mx-hostname": "mx2.mail.company-y.example",
                    "receiving-ip": "203.0.113.56",
                    "failed-session-count": 200,
                    "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported",
                },
                {
                    "result-type": "validation-failure",
                    "sending-mta-ip": "198.51.100.62",
                    "receiving-ip": "203.0.113.58",
                    "receiving-mx-hostname": "mx-backup.mail.company-y.example",
                    "failed-session-count": 3,
                    "failure-error-code": "X509_V_ERR_PROOF_OF_POSSESSION",
                },
            ],
        }
    ],
}


def policy_lines(mode: str, mx: list[str], max_age: int = 86400) -> list[str]:
    return ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]


def _range(day: date) -> dict:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1) - timedelta(seconds=1)
    return {
        "start-datetime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end-datetime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def report(
    domain: str,
    day: date,
    *,
    org: str = "Google Inc.",
    contact: str = "smtp-tls-reporting@google.com",
    report_id: str | None = None,
    mode: str = "testing",
    mx: list[str] | None = None,
    ok: int = 100,
    failures: list[dict] | None = None,
    mx_host_as: str = "omit",  # omit | string | list
    policy_type: str = "sts",
) -> dict:
    mx = mx or [f"mx1.{domain}"]
    policy: dict = {"policy-type": policy_type, "policy-domain": domain}
    if policy_type == "sts":
        policy["policy-string"] = policy_lines(mode, mx)
    if mx_host_as == "string":
        policy["mx-host"] = mx[0]
    elif mx_host_as == "list":
        policy["mx-host"] = mx
    failures = failures or []
    item = {
        "policy": policy,
        "summary": {
            "total-successful-session-count": ok,
            "total-failure-session-count": sum(f["failed-session-count"] for f in failures),
        },
    }
    if failures:
        item["failure-details"] = failures
    doc = {
        "organization-name": org,
        "date-range": _range(day),
        "report-id": report_id or f"{day.isoformat()}T00:00:00Z_{domain}_{org}",
        "policies": [item],
    }
    if contact:
        doc["contact-info"] = contact
    return doc


def google(domain: str, day: date, **kw) -> dict:
    return report(domain, day, org="Google Inc.", contact="smtp-tls-reporting@google.com", **kw)


def microsoft(domain: str, day: date, **kw) -> dict:
    kw.setdefault("mx_host_as", "list")
    kw.setdefault("report_id", f"133{day.toordinal()}+{domain}")
    return report(domain, day, org="Microsoft Corporation", contact="tlsrpt-noreply@microsoft.com", **kw)


def failure(result_type: str, mx: str, count: int, *, ip: str | None = "192.0.2.10", **extra) -> dict:
    item = {"result-type": result_type, "receiving-mx-hostname": mx, "failed-session-count": count}
    if ip:
        item["sending-mta-ip"] = ip
    item.update(extra)
    return item


def dumps(doc: dict) -> bytes:
    return json.dumps(doc, indent=1).encode()
