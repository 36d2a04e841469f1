"""Alert rules about legitimate mail (plain data in, conditions out, like reports.alerts.rules):
a legitimate sender failing DMARC while the policy is still p=none, which is what blocks the rollout
and what enforcement would send to spam."""

from __future__ import annotations

from reports.alerts.facts import Condition, DomainEvidence, SourceEvidence, Thresholds
from reports.shared.vocabulary import MISCONFIGURED, NONE

FAILING_LEGIT = "failing-legitimate"
TITLE = "Legitimate mail fails DMARC"


def _by_name(sources: list[SourceEvidence]) -> dict[str, list[SourceEvidence]]:
    out: dict[str, list[SourceEvidence]] = {}
    for s in sources:
        out.setdefault(s.name, []).append(s)
    return out


def failing_legitimate(
    ev: DomainEvidence, stage: str, thresholds: Thresholds, skip: set[str] = frozenset()
) -> list[Condition]:
    """Under p=none, a known service (misconfigured: legitimate, not aligned) whose recent mail fails
    DMARC: a warning naming the service and its fix, the same the readiness page gives."""
    if stage != NONE:
        return []
    hit = [
        s
        for s in ev.sources
        if s.category == MISCONFIGURED and s.recent_failing >= thresholds.min_messages and s.name not in skip
    ]
    out = []
    days = max(1, thresholds.recent_days)
    for name, group in _by_name(hit).items():
        failing = sum(s.recent_failing for s in group)
        recent = sum(s.recent_messages for s in group)
        first = max(group, key=lambda s: s.recent_failing)
        per_day = failing / days
        ips = ", ".join(s.ip for s in group[:10]) + (" and more" if len(group) > 10 else "")
        text = (
            f"{name} ({ips}) sends as "
            f"{ev.domain} and {failing:,} of its {recent:,} messages since {ev.recent_start.isoformat()} "
            f"failed DMARC ({per_day:,.0f} a day). Under p=none they are still delivered; under p=quarantine "
            "they would go to spam, so the domain is not ready until this is fixed."
        )
        if first.diagnosis:
            text += f"\n\nWhat is wrong: {first.diagnosis}"
        if first.fix:
            text += f"\n\nFix: {first.fix}"
        out.append(
            Condition(
                ev.domain,
                FAILING_LEGIT,
                name,
                "warning",
                f"{ev.domain}: legitimate mail from {name} fails DMARC ({per_day:,.0f} a day)",
                text,
                {
                    "service": first.service,
                    "failing": failing,
                    "per_day": round(per_day, 1),
                    "fix": first.fix,
                    "sources": [{"ip": s.ip, "messages": s.recent_messages} for s in group[:50]],
                },
            )
        )
    return out
