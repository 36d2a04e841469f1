"""What conditions hold for a domain, given its evidence: plain data in, conditions out.

No database, no DNS: reports.alerts.evidence gathers the evidence (the data classes of
reports.alerts.facts), and
reports.alerts.state turns conditions into firing and resolved alerts.

A condition's key is (domain, rule, subject); the subject names what the
condition is about (a service, a source, a DNS name, a stage), so the same
trouble keeps the same key from one evaluation to the next.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from reports.alerts import legit, tls
from reports.alerts.facts import (
    NOW_FAILING_SHARE,
    Condition,
    DomainEvidence,
    MailboxEvidence,
    SourceEvidence,
    Thresholds,
)
from reports.shared.vocabulary import FAILING, FORWARDED, MISCONFIGURED, QUARANTINE, REJECT, UNKNOWN

BLOCKED = "blocked"
STOPPED_ALIGNING = "stopped-aligning"
NEW_SOURCE = "new-source"
DNS = "dns"
SILENCE = "silence"
READY = "ready"
RULES = {
    BLOCKED: "Legitimate mail is being blocked",
    STOPPED_ALIGNING: "A source stopped aligning",
    NEW_SOURCE: "A new source fails DMARC",
    DNS: "DNS records changed or broke",
    SILENCE: "No reports, or a mailbox not polling",
    READY: "Ready for the next policy",
    legit.FAILING_LEGIT: legit.TITLE,
    **tls.TITLES,
}

CRITICAL, WARNING, INFO = "critical", "warning", "info"

ENFORCING = (QUARANTINE, REJECT)
LEGITIMATE_FAILING = (MISCONFIGURED, FORWARDED)


def _n(value: int) -> str:
    return f"{value:,}"


def _source_facts(sources: list[SourceEvidence]) -> list[dict]:
    return [
        {"ip": s.ip, "service": s.service, "category": s.category, "messages": s.recent_messages}
        for s in sources
    ]


def _explained(source: SourceEvidence) -> str:
    """What is wrong with a source and how to fix it, as the rollout assistant said."""
    text = f"\n\nWhat is wrong: {source.diagnosis}" if source.diagnosis else ""
    return text + (f"\n\nFix: {source.fix}" if source.fix else "")


def _by_name(sources: list[SourceEvidence]) -> dict[str, list[SourceEvidence]]:
    """Sources grouped by service (one alert for all of a service's addresses), else by IP."""
    out: dict[str, list[SourceEvidence]] = {}
    for s in sources:
        out.setdefault(s.name, []).append(s)
    return out


# ---------------------------------------------------------------- the rules


def blocked(ev: DomainEvidence, stage: str) -> list[Condition]:
    """Under quarantine or reject, receivers stopped mail of a source that aligned before, or of a known
    service or a forwarder."""
    if stage not in ENFORCING:
        return []
    hit = [
        s for s in ev.sources if s.recent_blocked > 0 and (s.was_aligned or s.category in LEGITIMATE_FAILING)
    ]
    out = []
    for name, group in _by_name(hit).items():
        # From the first day of the blocking, not of the recent window: the whole count since then.
        count = sum(max(s.blocked_total, s.recent_blocked) for s in group)
        since = min((s.blocked_since for s in group if s.blocked_since), default=ev.recent_start)
        first = group[0]
        ips = ", ".join(s.ip for s in group)
        text = (
            f"Since {since.isoformat()}, receivers quarantined or rejected {_n(count)} messages "
            f"from {name} ({ips}) under p={stage}."
        )
        if first.was_aligned:
            text += " This source passed DMARC before."
        text += _explained(first)
        out.append(
            Condition(
                ev.domain,
                BLOCKED,
                name,
                CRITICAL,
                f"{ev.domain}: mail from {name} is being blocked ({_n(count)} messages)",
                text,
                {
                    "sources": _source_facts(group),
                    "blocked": count,
                    "since": since.isoformat(),
                    "service": first.service,
                },  # fmt: skip
            )
        )
    return out


def stopped_aligning(
    ev: DomainEvidence, thresholds: Thresholds, skip: set[str] = frozenset()
) -> list[Condition]:
    hit = [
        s
        for s in ev.sources
        if s.was_aligned
        and s.earlier_messages >= thresholds.min_messages
        and s.recent_failing >= thresholds.min_messages
        and s.recent_failing >= NOW_FAILING_SHARE * s.recent_messages
        and s.category != FORWARDED
        and s.name not in skip
    ]
    out = []
    for name, group in _by_name(hit).items():
        failing = sum(s.recent_failing for s in group)
        recent = sum(s.recent_messages for s in group)
        first = group[0]
        text = (
            f"{name} ({', '.join(s.ip for s in group)}) passed DMARC before {ev.recent_start.isoformat()}; "
            f"since then {_n(failing)} of its {_n(recent)} messages failed."
        )
        text += _explained(first)
        out.append(
            Condition(
                ev.domain,
                STOPPED_ALIGNING,
                name,
                WARNING,
                f"{ev.domain}: {name} stopped aligning ({_n(failing)} messages failed)",
                text,
                {"sources": _source_facts(group), "failing": failing, "service": first.service},
            )
        )
    return out


def new_sources(ev: DomainEvidence) -> list[Condition]:
    """Sources first seen recently whose mail fails DMARC; unknown ones batched by the day they appeared."""
    new = [
        s
        for s in ev.sources
        if s.first_seen is not None
        and s.first_seen >= ev.recent_start
        and s.category in FAILING
        and s.recent_failing > 0
    ]
    out = []
    known = [s for s in new if s.category != UNKNOWN]
    for name, group in _by_name(known).items():
        first = group[0]
        failing = sum(s.recent_failing for s in group)
        text = (
            f"{name} ({', '.join(s.ip for s in group)}) first sent as {ev.domain} on "
            f"{min(s.first_seen for s in group).isoformat()}; {_n(failing)} messages failed DMARC. "
            f"Category: {first.category}."
        )
        text += _explained(first)
        out.append(
            Condition(
                ev.domain,
                NEW_SOURCE,
                name,
                WARNING if first.category == MISCONFIGURED else INFO,
                f"{ev.domain}: new {first.category} source {name}",
                text,
                {"sources": _source_facts(group), "category": first.category},
                announce_resolved=False,
            )
        )
    unknown: dict[date, list[SourceEvidence]] = {}
    for s in new:
        if s.category == UNKNOWN:
            unknown.setdefault(s.first_seen, []).append(s)
    for day, group in sorted(unknown.items()):
        group.sort(key=lambda s: (-s.recent_messages, s.ip))
        failing = sum(s.recent_failing for s in group)
        listed = ", ".join(s.ip for s in group[:10]) + (
            f" and {len(group) - 10} more" if len(group) > 10 else ""
        )
        text = (
            f"{len(group)} unknown source{'s' if len(group) > 1 else ''} first sent as {ev.domain} on "
            f"{day.isoformat()}: {listed}; {_n(failing)} messages failed DMARC. Category: unknown."
        )
        text += _explained(group[0])
        out.append(
            Condition(
                ev.domain,
                NEW_SOURCE,
                f"unknown:{day.isoformat()}",
                INFO,
                f"{ev.domain}: {len(group)} new unknown source{'s' if len(group) > 1 else ''}"
                f" on {day.isoformat()}",
                text,
                {"sources": _source_facts(group[:50]), "category": UNKNOWN, "count": len(group)},
                announce_resolved=False,
            )
        )
    return out


def dns(ev: DomainEvidence) -> list[Condition]:
    d = ev.dns
    if d is None or not d.checked:
        return []
    out = []
    if not d.dmarc_record:
        codes = {code for code, _ in d.dmarc_problems}
        # "several-records" and friends are problems of their own; only plain absence is "missing".
        if not codes - {"no-record", "bare-domain"}:
            out.append(
                Condition(
                    ev.domain,
                    DNS,
                    "dmarc:missing",
                    CRITICAL,
                    f"{ev.domain}: the DMARC record is missing",
                    f"There is no DMARC record at _dmarc.{ev.domain}"
                    + (f" (it was: {d.previous_record})." if d.previous_record else ".")
                    + " Receivers apply no policy and send no reports.",
                    {"record": "", "previous": d.previous_record or ""},
                )
            )
    for code, message in d.dmarc_problems:
        if code in ("no-record", "lookup-failed") or (code == "bare-domain" and not d.dmarc_record):
            continue
        out.append(
            Condition(
                ev.domain,
                DNS,
                f"dmarc:{code}",
                WARNING,
                f"{ev.domain}: the DMARC record has a problem ({code})",
                message,
                {"record": d.dmarc_record},
            )
        )
    if d.dmarc_record and d.previous_record and d.dmarc_record != d.previous_record:
        out.append(
            Condition(
                ev.domain,
                DNS,
                f"dmarc:changed:{hashlib.sha256(d.dmarc_record.encode()).hexdigest()[:16]}",
                INFO,
                f"{ev.domain}: the DMARC record changed",
                f"The DMARC record at _dmarc.{ev.domain} changed.\n\n"
                f"Was: {d.previous_record}\nNow: {d.dmarc_record}",
                {"record": d.dmarc_record, "previous": d.previous_record},
                announce_resolved=False,
            )
        )
    for code, message in d.spf_problems:
        if code == "lookup-failed":
            continue
        out.append(
            Condition(
                ev.domain,
                DNS,
                f"spf:{code}",
                CRITICAL if code == "too-many-lookups" else WARNING,
                f"{ev.domain}: SPF is broken ({code})",
                message,
                {"record": d.spf_record, "lookups": d.spf_lookups},
            )
        )
    for name, message in d.missing_dkim:
        out.append(
            Condition(
                ev.domain,
                DNS,
                f"dkim:{name}",
                CRITICAL,
                f"{ev.domain}: the DKIM key {name} vanished",
                f"Mail signed with {name} passed DKIM in the reports, but the key is gone: {message}",
                {"key": name},
            )
        )
    return out


def silence(ev: DomainEvidence, thresholds: Thresholds) -> list[Condition]:
    if ev.last_report is None:
        return []
    quiet = (ev.today - ev.last_report).days
    if quiet <= thresholds.silent_days:
        return []
    return [
        Condition(
            ev.domain,
            SILENCE,
            "reports",
            WARNING,
            f"{ev.domain}: no reports for {quiet} days",
            f"The newest report for {ev.domain} covers {ev.last_report.isoformat()}, {quiet} days ago "
            f"(the limit is {thresholds.silent_days}). Check the rua address of the DMARC record and the "
            "mailbox that receives the reports.",
            {"last_report": ev.last_report.isoformat()},
        )
    ]


def mailbox_silence(
    mailboxes: list[MailboxEvidence], now: datetime, thresholds: Thresholds
) -> list[Condition]:
    """Mailboxes that have not polled successfully for hours; they belong to no one domain."""
    limit = now - timedelta(hours=thresholds.mailbox_hours)
    out = []
    for m in mailboxes:
        if not m.enabled or m.last_poll is None:
            continue  # never polled yet: nothing known
        # A mailbox that never succeeded counts its hours from when it was first seen failing.
        since_ok = m.last_success or m.first_failure or m.last_poll
        if since_ok >= limit:
            continue
        since = m.last_success.isoformat(timespec="minutes") if m.last_success else "never"
        out.append(
            Condition(
                "",
                SILENCE,
                f"mailbox:{m.name}",
                WARNING,
                f"Mailbox {m.name} has not polled for {thresholds.mailbox_hours} hours",
                f"The last successful poll of mailbox {m.name}: {since}. "
                + (f"The last error: {m.last_error}" if m.last_error else "No error was recorded."),
                {"mailbox": m.name, "last_success": since, "error": m.last_error},
            )
        )
    return out


def ready(ev: DomainEvidence) -> list[Condition]:
    r = ev.readiness
    if r is None or not r.ready or not r.next_stage or not r.step:
        return []
    effects = "".join(f"- {e}\n" for e in r.step_effects)
    later = (
        f"\nThe readiness page lists the steps after it, up to the full record:\n\n{r.next_record}\n"
        if r.step != r.next_record
        else ""
    )
    text = (
        f"{ev.domain} is at p={r.stage}, and the reports show it ready for p={r.next_stage}. "
        f"Publish this record now (TXT at _dmarc.{ev.domain}):\n\n{r.step}\n\n{effects}{later}"
    )
    return [
        Condition(
            ev.domain,
            READY,
            r.next_stage,
            INFO,
            f"{ev.domain} is ready for p={r.next_stage}",
            text,
            {"stage": r.stage, "next_stage": r.next_stage, "record": r.step, "next_record": r.next_record},
        )
    ]


def conditions(ev: DomainEvidence, thresholds: Thresholds) -> tuple[list[Condition], set[str]]:
    """Every condition that holds for the domain, and the rules that could be judged this time
    (a rule whose evidence is missing, say the DNS did not answer, must not resolve its alerts)."""
    stage = ev.readiness.stage if ev.readiness else "none"
    found = blocked(ev, stage)
    # Blocked mail says more than "stopped aligning" about the same source: one alert, not two.
    found += stopped_aligning(ev, thresholds, skip={c.subject for c in found})
    found += new_sources(ev)
    found += legit.failing_legitimate(ev, stage, thresholds, skip={c.subject for c in found})
    found += dns(ev)
    found += silence(ev, thresholds)
    found += ready(ev)
    judged = {BLOCKED, STOPPED_ALIGNING, NEW_SOURCE, SILENCE, legit.FAILING_LEGIT}
    if ev.tls is not None:
        found += tls.conditions(ev, ev.tls, thresholds)
        judged |= set(tls.TITLES)
    if ev.dns is not None and ev.dns.checked:
        judged.add(DNS)
    if ev.readiness is not None:
        judged.add(READY)
    return found, judged
