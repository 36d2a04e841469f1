"""A domain's sources, assessed from its groups of messages, and grouped by service for the pages
(see reports.rollout.rules)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.marks.rules import Mark, mark_for
from reports.rollout.rules.classification import AssessedSource, Group, Network, classify, settle
from reports.rollout.rules.diagnosis import diagnose
from reports.shared.vocabulary import CATEGORIES, MISCONFIGURED, UNKNOWN
from reports.sources.services import Catalogue, Identification, Service, Signals, identify


def build_sources(
    groups: list[Group],
    policy_domain: str,
    adkim: str,
    aspf: str,
    hostnames: dict[str, str],
    networks: dict[str, Network] | None = None,
    marks: list[Mark] = (),
    known: Catalogue | None = None,
) -> list[AssessedSource]:
    """One AssessedSource per IP, its groups classified; `hostnames` are forward-confirmed reverse DNS
    names, `networks` the sources' origin networks, `marks` the operator's (reports.marks), `known` the
    services to name them from (the built-in catalogue unless given)."""
    networks = networks or {}
    sources: dict[str, AssessedSource] = {}
    # Thousands of sources tell the same (a botnet: no name, no DKIM, one MAIL FROM): identified once.
    identified: dict[tuple, Identification] = {}
    for g in groups:
        net = networks.get(g.ip)
        signals = Signals(
            hostnames.get(g.ip, ""),
            [d for d, _, _ in g.dkim if d],
            g.mail_from_domains,
            net.asn if net else None,
        )
        key = (signals.rdns, tuple(signals.dkim_domains), tuple(signals.spf_domains), signals.asn)
        if key not in identified:
            identified[key] = identify(signals, policy_domain, known)
        g.identification = identified[key]
        g.category = classify(g, policy_domain, adkim, aspf)
        sender = g.identification.sender if g.identification else None
        g.mark = mark_for(marks, g.ip, sender.name if sender else "")
        if g.mark and not g.passes:
            # The operator knows better than the evidence: "ours" must be fixed, "not ours" is spoofing.
            g.category = MISCONFIGURED if g.mark.ours else UNKNOWN
        src = sources.setdefault(g.ip, AssessedSource(g.ip, hostname=hostnames.get(g.ip, ""), network=net))
        src.messages += g.messages
        src.by_category[g.category] += g.messages
        src.groups.append(g)
    for src in sources.values():
        settle(src)
        diagnose(src, policy_domain, adkim, aspf)
    return sorted(sources.values(), key=lambda s: (-s.messages, s.ip))


@dataclass
class ServiceRow:
    """Sources of one service in one category, or unidentified sources of one network (AS)."""

    key: str  # sender id, or "network:<asn>" / "network:" for unidentified sources
    name: str
    category: str
    sender: Service | None = None
    network: Network | None = None
    by_network: bool = False
    sources: list[AssessedSource] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sources)

    @property
    def lead(self) -> AssessedSource:
        """The busiest source: its diagnosis speaks for the row (the same service, the same fix)."""
        return self.sources[0]

    @property
    def problems(self) -> list[str]:
        return self.lead.problems

    @property
    def fixes(self) -> list[str]:
        return self.lead.fixes


def by_service(sources: list[AssessedSource]) -> list[ServiceRow]:
    """One row per (category, service); sources without a service fold into one row per network, so that
    thousands of spoofing addresses take a few rows. Busiest rows first within each category."""
    rows: dict[tuple[str, str], ServiceRow] = {}
    for s in sorted(sources, key=lambda s: (-s.messages, s.ip)):
        if s.sender:
            key = s.sender.id
            row = rows.setdefault(
                (s.category, key), ServiceRow(key, s.sender.name, s.category, sender=s.sender)
            )
        else:
            key = f"network:{s.network.asn if s.network else ''}"
            name = s.network.label if s.network else "Unknown network"
            row = rows.setdefault((s.category, key), ServiceRow(key, name, s.category, network=s.network))
        row.sources.append(s)
    for row in rows.values():
        row.by_network = all(s.by_network for s in row.sources)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(rows.values(), key=lambda r: (order[r.category], -r.messages, r.name))
