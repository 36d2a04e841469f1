"""The mail of a domain's subdomains: volume and pass rate per header_from under the policy domain, and
what it says for sp= (see reports.rollout.rules). Kept apart from the rest of the advice
(reports.rollout.decision.subdomain_advice), which it only adds to."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.shared.vocabulary import ALIGNED_SHARE, STAGES


@dataclass
class SubdomainRow:
    name: str  # a header_from under the policy domain, or the domain itself
    messages: int = 0
    passed: int = 0
    ips: set = field(default_factory=set)

    @property
    def pass_pct(self) -> float | None:
        return 100.0 * self.passed / self.messages if self.messages else None

    @property
    def sources(self) -> int:
        return len(self.ips)

    def as_json(self) -> dict:
        pct = self.pass_pct
        return {
            "name": self.name,
            "messages": self.messages,
            "passed": self.passed,
            "pass_pct": None if pct is None else round(pct, 2),
            "sources": self.sources,
        }


def breakdown(groups, domain: str) -> list[SubdomainRow]:
    """The domain itself, then each subdomain that sent as header_from, busiest first."""
    rows: dict[str, SubdomainRow] = {}
    for g in groups:
        hf = g.header_from
        if hf != domain and not hf.endswith("." + domain):
            continue
        row = rows.setdefault(hf, SubdomainRow(hf))
        row.messages += g.messages
        row.passed += g.messages if g.passes else 0
        row.ips.add(g.ip)
    own = rows.pop(domain, SubdomainRow(domain))
    return [own, *sorted(rows.values(), key=lambda r: (-r.messages, r.name))]


def advice(rows: list[SubdomainRow], tags: dict[str, str], next_stage: str | None, days: int) -> list[str]:
    """What the subdomains' own mail adds to the sp= advice: which send and how well, or that none does."""
    if next_stage is None or not rows:
        return []
    domain, sending = rows[0].name, rows[1:]
    if not sending:
        return [
            f"No subdomain of {domain} sent mail in these {days} days: p={next_stage} without sp= changes "
            "nothing for mail that is sent today."
        ]
    sp = tags.get("sp", "").lower() or next_stage
    failing = [r for r in sending if r.pass_pct is not None and r.pass_pct < 100 * ALIGNED_SHARE]
    lines = []
    if failing and sp in STAGES and STAGES.index(sp) > 0:
        listed = "; ".join(f"{r.name} ({r.messages:,} messages, {r.pass_pct:.1f}% pass)" for r in failing[:5])
        lines.append(
            f"Subdomains still failing under sp={sp}: {listed}. Align their senders first, or keep "
            "sp=none for them until they do."
        )
    aligned = [r.name for r in sending if r not in failing]
    if aligned:
        lines.append(f"Subdomains sending and aligned: {', '.join(aligned[:5])}.")
    return lines
