"""How a group of messages, and then a source, is classified: aligned, forwarded, misconfigured or
unknown, and which service sends it (see reports.rollout.rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reports.marks.rules import Mark
from reports.shared.names import org_domain
from reports.shared.vocabulary import (
    ALIGNED,
    CATEGORIES,
    FAILING,
    FORWARDED,
    LEGITIMATE,
    MISCONFIGURED,
    NOISE_SHARE,
    UNKNOWN,
)
from reports.sources.services import OWN, Identification, Service

FORWARDING_REASONS = ("forwarded", "mailing_list", "trusted_forwarder")
# Which failing category names a mixed source when volumes tie.
_PRIORITY = {MISCONFIGURED: 3, UNKNOWN: 2, FORWARDED: 1}


@dataclass
class Group:
    """Messages of one source that carry the same evidence."""

    ip: str
    header_from: str
    envelope_from: str
    dkim_verdict: str
    spf_verdict: str
    reasons: tuple[tuple[str, str], ...]
    dkim: tuple[tuple[str, str, str], ...]  # (domain, selector, result)
    spf: tuple[tuple[str, str, str], ...]  # (domain, scope, result)
    messages: int
    category: str = ""
    identification: Identification | None = None
    disposition: str = "none"  # as the reporter applied it: none, quarantine or reject
    mark: Mark | None = None  # the operator's, when one applies

    @property
    def passes(self) -> bool:
        return self.dkim_verdict == "pass" or self.spf_verdict == "pass"

    @property
    def mail_from_domains(self) -> list[str]:
        domains = [d for d, scope, _ in self.spf if scope in ("", "mfrom") and d]
        if not domains and self.envelope_from:
            domains.append(self.envelope_from)
        return domains


@dataclass(frozen=True)
class Network:
    """The origin network of a source (Team Cymru, reports.rollout.asn)."""

    asn: int
    as_name: str = ""
    country: str = ""

    @property
    def label(self) -> str:
        return f"AS{self.asn}" + (f" {self.as_name}" if self.as_name else "")


@dataclass
class AssessedSource:
    ip: str
    messages: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    hostname: str = ""
    network: Network | None = None
    sender: Service | None = None
    evidence: list[str] = field(default_factory=list)
    category: str = UNKNOWN
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    first_seen: date | None = None
    groups: list[Group] = field(default_factory=list)
    mark: Mark | None = None

    @property
    def service(self) -> str:
        return self.sender.name if self.sender else ""

    @property
    def by_network(self) -> bool:
        """Named only by its network (AS): no DKIM, MAIL FROM or reverse DNS match."""
        return bool(self.evidence) and all(e.startswith("network AS") for e in self.evidence)

    @property
    def failing(self) -> int:
        return self.messages - self.by_category[ALIGNED]

    @property
    def diagnosis(self) -> str:
        return " ".join(self.problems + self.fixes)

    @property
    def legitimate(self) -> bool:
        return self.category in LEGITIMATE

    def as_json(self) -> dict:
        net = self.network
        return {
            "ip": self.ip,
            "rdns": self.hostname,
            "asn": net.asn if net else None,
            "as_name": net.as_name if net else "",
            "country": net.country if net else "",
            "service": self.service,
            "service_id": self.sender.id if self.sender else "",
            "by_network": self.by_network,
            "category": self.category,
            "messages": self.messages,
            "diagnosis": self.diagnosis,
            "mark": self.mark.as_json() if self.mark else None,
        }


def forwarding_reason(reasons) -> str:
    """The override reason that shows forwarding, as text, or ""."""
    for rtype, comment in reasons:
        if rtype in FORWARDING_REASONS:
            return rtype + (f" ({comment})" if comment else "")
        if rtype == "local_policy" and "arc=pass" in comment.lower().replace(" ", ""):
            return f"local_policy ({comment})"
    return ""


def strict_only(group: Group, adkim: str, aspf: str) -> tuple[list[str], list[str]]:
    """Passing DKIM/SPF domains that align under relaxed alignment but not under the strict mode asked for."""
    hf = group.header_from
    spf = [
        d
        for d, scope, r in group.spf
        if r == "pass" and scope in ("", "mfrom") and d != hf and d and org_domain(d) == org_domain(hf)
    ]
    dkim = [d for d, _, r in group.dkim if r == "pass" and d != hf and d and org_domain(d) == org_domain(hf)]
    return (spf if aspf == "s" else []), (dkim if adkim == "s" else [])


def classify(group: Group, policy_domain: str, adkim: str, aspf: str) -> str:
    if group.passes:
        return ALIGNED
    if forwarding_reason(group.reasons):
        return FORWARDED
    sender = group.identification.sender if group.identification else None
    if sender and sender.forwarding:
        return FORWARDED
    own = org_domain(policy_domain)
    if sender and sender.forwards and any(org_domain(d) == own and r != "pass" for d, _, r in group.dkim):
        return FORWARDED  # the author's own signature, broken by the mailbox provider's forwarding
    ident = group.identification
    if sender and (sender is OWN or (ident and not ident.weak)):
        return MISCONFIGURED  # the service itself sent it (its DKIM or MAIL FROM names it)
    if relayed(group, policy_domain):
        return FORWARDED
    if sender and _credible(group, sender):
        return MISCONFIGURED
    strict_spf, strict_dkim = strict_only(group, adkim, aspf)
    if strict_spf or strict_dkim:
        return MISCONFIGURED
    return UNKNOWN


def relayed(group: Group, policy_domain: str) -> bool:
    """Forwarded by a list or forwarder, with or without ARC (docs/dmarc-notes.md §15): the author's
    DKIM signature (your domain) is there but broken, and the relay's own domain passes DKIM or SPF.
    A spoofer carries no signature of yours, or one that was never valid, with nothing else passing."""
    own = org_domain(policy_domain)
    broken_author = any(d and org_domain(d) == own and r != "pass" for d, _, r in group.dkim)
    relay_dkim = any(d and org_domain(d) != own and r == "pass" for d, _, r in group.dkim)
    relay_spf = any(
        d and org_domain(d) != own and r == "pass" for d, sc, r in group.spf if sc in ("", "mfrom")
    )
    return broken_author and (relay_dkim or relay_spf)


def _credible(group: Group, sender: Service) -> bool:
    """A match on DKIM or MAIL FROM names the service; a reverse DNS name or a network alone only names
    a network, so it needs some authentication to pass as well (a spoofer on a rented server is not the
    host)."""
    ident = group.identification
    if sender is OWN or (ident and not ident.weak):
        return True
    return any(r == "pass" for *_, r in group.dkim) or any(r == "pass" for *_, r in group.spf)


def settle(src: AssessedSource) -> None:
    """The source's category, service and mark, from its classified groups."""
    failing = {c: src.by_category[c] for c in FAILING if src.by_category[c]}
    if not failing or sum(failing.values()) < NOISE_SHARE * src.messages:
        src.category = ALIGNED
    else:
        src.category = max(failing, key=lambda c: (failing[c], _PRIORITY[c]))
    # Name the service from the groups that decided the category.
    decisive = [g for g in src.groups if g.category == src.category] or src.groups
    named = [g for g in decisive if g.identification and g.identification.sender]
    if not named:
        named = [g for g in src.groups if g.identification and g.identification.sender]
    if named:
        best = max(named, key=lambda g: g.messages)
        src.sender, src.evidence = best.identification.sender, list(best.identification.evidence)
    marked = [g for g in decisive if g.mark] or [g for g in src.groups if g.mark]
    if marked:
        src.mark = max(marked, key=lambda g: g.messages).mark
