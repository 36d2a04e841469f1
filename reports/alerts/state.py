"""From the conditions of one evaluation to alert transitions: plain data in, transitions out.

An alert fires once when its condition starts, resolves once when it clears,
and says nothing while it holds. The hourly cap holds back what a domain
would send beyond it; held messages go out in a later run.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.alerts.rules import Condition

FIRING, RESOLVED = "firing", "resolved"


@dataclass
class OpenAlert:
    key: str
    domain: str
    rule: str
    subject: str
    announce_resolved: bool = True


@dataclass
class Transition:
    state: str  # firing | resolved
    key: str
    domain: str
    rule: str
    condition: Condition | None = None  # for firing
    alert: OpenAlert | None = None  # for resolved

    @property
    def announced(self) -> bool:
        return self.state == FIRING or (self.alert is not None and self.alert.announce_resolved)


def transitions(
    open_alerts: list[OpenAlert], found: list[Condition], judged: set[str], domains: set[str]
) -> list[Transition]:
    """New conditions fire; open alerts of the judged rules and domains whose condition is gone resolve.

    A condition found twice (the same key) fires once.
    """
    open_keys = {a.key for a in open_alerts}
    out, seen = [], set()
    for c in found:
        if c.key in open_keys or c.key in seen:
            continue
        seen.add(c.key)
        out.append(Transition(FIRING, c.key, c.domain, c.rule, condition=c))
    holding = {c.key for c in found}
    for a in open_alerts:
        if a.key not in holding and a.rule in judged and a.domain in domains:
            out.append(Transition(RESOLVED, a.key, a.domain, a.rule, alert=a))
    return out


def within_cap(pending: list[str], sent_last_hour: dict[str, int], cap: dict[str, int] | int) -> list[bool]:
    """For each domain in `pending` (one entry per message, most important first), whether it may go now."""
    used = dict(sent_last_hour)
    out = []
    for domain in pending:
        limit = cap if isinstance(cap, int) else cap.get(domain, 0)
        if used.get(domain, 0) < limit:
            used[domain] = used.get(domain, 0) + 1
            out.append(True)
        else:
            out.append(False)
    return out
