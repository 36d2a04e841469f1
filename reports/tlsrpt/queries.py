"""What the TLS pages read: sums over one domain's policy and failure rows, through their indexes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Max, Sum

from reports.tlsrpt.models import TlsFailure, TlsPolicyResult
from reports.tlsrpt.results import explain


@dataclass
class Sessions:
    successful: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.successful + self.failed

    @property
    def rate(self) -> float | None:
        """The share of sessions that succeeded, in percent; None without sessions."""
        return round(100 * self.successful / self.total, 2) if self.total else None


@dataclass
class TlsSummary:
    domain: str
    start: date
    end: date
    totals: Sessions = field(default_factory=Sessions)
    days: list[tuple[date, Sessions]] = field(default_factory=list)
    by_type: list[dict] = field(default_factory=list)
    by_mx: list[dict] = field(default_factory=list)
    by_reporter: list[dict] = field(default_factory=list)


def _policies(domain: str, start: date, end: date):
    return TlsPolicyResult.objects.filter(domain=domain, day__gte=start, day__lte=end)


def _failures(domain: str, start: date, end: date):
    return TlsFailure.objects.filter(domain=domain, day__gte=start, day__lte=end)


def summary(domain: str, start: date, end: date) -> TlsSummary:
    out = TlsSummary(domain, start, end)
    per_day = {
        r["day"]: Sessions(r["ok"], r["failed"])
        for r in _policies(domain, start, end)
        .values("day")
        .annotate(ok=Sum("successful_sessions"), failed=Sum("failed_sessions"))
    }
    day = start
    while day <= end:
        out.days.append((day, per_day.get(day, Sessions())))
        day += timedelta(days=1)
    out.totals = Sessions(
        sum(s.successful for s in per_day.values()), sum(s.failed for s in per_day.values())
    )
    failures = _failures(domain, start, end)
    out.by_type = [
        {**r, "explained": explain(r["result_type"])}
        for r in failures.values("result_type")
        .annotate(sessions=Sum("failed_sessions"), mx=Count("receiving_mx_hostname", distinct=True))
        .order_by("-sessions", "result_type")
    ]
    out.by_mx = list(
        failures.values("receiving_mx_hostname")
        .annotate(sessions=Sum("failed_sessions"), types=Count("result_type", distinct=True), last=Max("day"))
        .order_by("-sessions", "receiving_mx_hostname")
    )
    out.by_reporter = [
        {**r, "rate": Sessions(r["ok"], r["failed"]).rate}
        for r in _policies(domain, start, end)
        .values("reporter")
        .annotate(
            ok=Sum("successful_sessions"), failed=Sum("failed_sessions"), days=Count("day", distinct=True)
        )
        .order_by("-failed", "reporter")
    ]
    return out


def mx_detail(domain: str, mx: str, start: date, end: date) -> dict:
    """One receiving MX's failures: by type, reporter, sending and receiving IP, reason code, and per day."""
    rows = _failures(domain, start, end).filter(receiving_mx_hostname=mx)
    groups = (
        rows.values("result_type", "reporter", "sending_mta_ip", "receiving_ip", "failure_reason_code")
        .annotate(sessions=Sum("failed_sessions"), days=Count("day", distinct=True), last=Max("day"))
        .order_by("-sessions")[:200]
    )
    daily = dict(rows.values_list("day").annotate(s=Sum("failed_sessions")))
    types = sorted({g["result_type"] for g in groups})
    info = list(
        rows.exclude(additional_information="")
        .values_list("additional_information", flat=True)
        .distinct()
        .order_by("additional_information")[:20]
    )
    return {
        "groups": [{**g, "explained": explain(g["result_type"])} for g in groups],
        "types": [explain(t) for t in types],
        "daily": daily,
        "total": sum(daily.values()),
        "information": info,
    }


def rates(domains: list[str], start: date, end: date) -> dict[str, Sessions]:
    """The TLS sessions of each domain over a range: one grouped query for a list of domains."""
    rows = (
        TlsPolicyResult.objects.filter(domain__in=domains, day__gte=start, day__lte=end)
        .values("domain")
        .annotate(ok=Sum("successful_sessions"), failed=Sum("failed_sessions"))
    )
    return {r["domain"]: Sessions(r["ok"], r["failed"]) for r in rows}


def reported_modes(domains: list[str]) -> dict[str, str]:
    """The MTA-STS mode in the newest report of each domain: what senders saw, before our own check."""
    found: dict[str, str] = {}
    for domain in domains:
        row = (
            TlsPolicyResult.objects.filter(domain=domain)
            .order_by("-day")
            .values_list("policy_type", "policy_string")
            .first()
        )
        if row is None:
            continue
        kind, lines = row
        mode = next((ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("mode:")), "")
        found[domain] = mode if kind == "sts" and mode else "none"
    return found


def has_reports(domain: str) -> bool:
    return TlsPolicyResult.objects.filter(domain=domain).exists()


def window(domain: str, start: date, end: date) -> dict:
    """What the rollout assistant weighs: reporters, days with reports, sessions, and failures
    by (result type, MX, reporter)."""
    policies = _policies(domain, start, end)
    totals = policies.aggregate(ok=Sum("successful_sessions"), failed=Sum("failed_sessions"))
    failures = {
        (r["result_type"], r["receiving_mx_hostname"], r["reporter"]): r["n"]
        for r in _failures(domain, start, end)
        .values("result_type", "receiving_mx_hostname", "reporter")
        .annotate(n=Sum("failed_sessions"))
    }
    return {
        "report_days": policies.values("day").distinct().count(),
        "reporters": sorted(set(policies.values_list("reporter", flat=True).distinct())),
        "successful": totals["ok"] or 0,
        "failed": totals["failed"] or 0,
        "failures": failures,
    }
