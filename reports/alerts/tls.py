"""Alert rules about inbound TLS (plain data in, conditions out, like reports.alerts.rules): TLS
failures appearing or rising at an MX, an MTA-STS policy senders cannot use or that leaves an MX
out, and a domain ready for MTA-STS enforce."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.alerts.facts import Condition, DomainEvidence, Thresholds

TLS_FAILURES = "tls-failures"
MTA_STS = "mta-sts"
MTA_STS_READY = "mta-sts-ready"
TITLES = {
    TLS_FAILURES: "TLS failures at an MX",
    MTA_STS: "MTA-STS policy broken or incomplete",
    MTA_STS_READY: "Ready for MTA-STS enforce",
}
RISING = 2.0  # recent failures a day at least this many times the earlier rate


@dataclass
class MxFailures:
    earlier: int = 0  # failed sessions in the earlier days of the window
    recent: int = 0  # in the recent days
    types: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)


@dataclass
class TlsEvidence:
    """What the TLS reports and the last MTA-STS check say; None on DomainEvidence: no TLS reports."""

    earlier_days: int
    recent_days: int
    mode: str = "none"
    checked: bool = False
    fetch_error: str = ""  # the policy cannot be fetched or read (a check ran)
    uncovered: list[str] = field(default_factory=list)
    by_mx: dict[str, MxFailures] = field(default_factory=dict)
    ready: bool = False
    next_stage: str | None = None
    next_policy: str = ""
    next_txt: str = ""


def conditions(ev: DomainEvidence, tls: TlsEvidence, limits: Thresholds) -> list[Condition]:
    found = []
    severity = "critical" if tls.mode == "enforce" else "warning"
    for mx, f in sorted(tls.by_mx.items()):
        if f.recent < limits.min_messages:
            continue
        earlier_rate = f.earlier / max(1, tls.earlier_days)
        recent_rate = f.recent / max(1, tls.recent_days)
        if f.earlier and recent_rate < RISING * earlier_rate:
            continue
        how = "appeared" if not f.earlier else f"rose from {earlier_rate:,.1f} to {recent_rate:,.1f} a day"
        where = f"MX {mx}" if mx else "an MX the reporters did not name"
        found.append(
            Condition(
                ev.domain,
                TLS_FAILURES,
                mx or "-",
                severity,
                f"{ev.domain}: TLS failures at {where} ({', '.join(f.types)})",
                f"TLS failures {how} at {where}: {f.recent:,} failed sessions since"
                f" {ev.recent_start.isoformat()} ({', '.join(f.types)}),"
                f" reported by {', '.join(f.reporters)}."
                " Under MTA-STS enforce, each is a message that was not delivered. See the TLS page.",
                {"mx": mx, "recent": f.recent, "earlier": f.earlier, "types": f.types},
            )
        )
    if tls.checked and tls.fetch_error:
        found.append(
            Condition(
                ev.domain,
                MTA_STS,
                "policy",
                severity,
                f"{ev.domain}: the MTA-STS policy cannot be fetched",
                f"{tls.fetch_error}. Senders that cached the policy keep it until max_age runs out; new"
                " senders deliver without MTA-STS.",
                {"error": tls.fetch_error},
            )
        )
    for host in tls.uncovered:
        found.append(
            Condition(
                ev.domain,
                MTA_STS,
                f"mx:{host}",
                severity,
                f"{ev.domain}: MX {host} is not covered by the MTA-STS policy",
                f"MX {host} is matched by no mx: line of the policy: under enforce, senders refuse to deliver"
                f" there. Add 'mx: {host}' to the policy and publish a new id in the _mta-sts TXT.",
                {"mx": host},
            )
        )
    if tls.ready and tls.next_stage == "enforce":
        found.append(
            Condition(
                ev.domain,
                MTA_STS_READY,
                "enforce",
                "info",
                f"{ev.domain} is ready for MTA-STS enforce",
                f"The policy is valid, every MX is covered, and the TLS reports show no failure that enforce"
                f" would turn into a bounce. Publish this policy at https://mta-sts.{ev.domain}/.well-known/"
                f"mta-sts.txt:\n\n{tls.next_policy}\nthen the TXT _mta-sts.{ev.domain}: {tls.next_txt}\n\n"
                "max_age decides how long a mistake lasts: start at a day, raise it once clean.",
                {"next_policy": tls.next_policy, "next_txt": tls.next_txt},
            )
        )
    return found
