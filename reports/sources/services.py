"""Naming the service behind a source: Amazon SES, Google Workspace, a mailing list...

The curated table is services.json beside this file. Each service lists the
domains that give it away in three signals, with how it authenticates and what
its users must configure for alignment:

- `rdns`: the source's reverse DNS name (forward-confirmed), matched on its
  organizational domain or a longer suffix where one organization runs several
  services (protection.outlook.com is Microsoft 365, outlook.com is consumer);
- `dkim`: the d= domains of its DKIM signatures;
- `spf`: its MAIL FROM (return-path) domains;
- `asn`: the AS numbers of the networks it sends from, where the service has
  its own (Google 15169, Microsoft 8075...).

identify() scores every sender: a DKIM or SPF domain match counts 3, a reverse
DNS match 1 (PTR names are a weak signal: they say whose network it is, not
whose mail), the AS 0.5 (the weakest: a source named by it alone is "named by
network"), and a longer matching suffix wins over a shorter one. Ties go to the
sender listed first. A reverse DNS name in the policy domain's own
organization means your own servers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reports.shared.names import normalise, org_domain

TABLE = Path(__file__).with_name("services.json")

# Kinds whose failing mail is forwarded mail, not a sender to fix.
FORWARDING_KINDS = ("forwarder", "mailing-list")
KIND_LABELS = {
    "esp": "email service",
    "transactional": "transactional email",
    "marketing": "marketing platform",
    "mailbox": "mailbox provider",
    "hosting": "hosting provider",
    "crm": "CRM",
    "helpdesk": "help desk",
    "hr": "HR and payroll",
    "finance": "finance and billing",
    "ecommerce": "e-commerce",
    "saas": "business application",
    "gateway": "email security gateway",
    "forwarder": "forwarder",
    "mailing-list": "mailing list",
    "own": "your own servers",
}

DKIM_WEIGHT = 3
SPF_WEIGHT = 3
RDNS_WEIGHT = 1
ASN_WEIGHT = 0.5
# Evidence that names a network rather than a service: alone, it needs some authentication to pass.
WEAK_EVIDENCE = ("reverse DNS ", "network AS")


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    short: str
    kind: str
    rdns: tuple[str, ...] = ()
    dkim: tuple[str, ...] = ()
    spf: tuple[str, ...] = ()
    asn: tuple[int, ...] = ()
    authenticates: str = ""
    alignment: str = ""
    spf_fix: str = ""
    dkim_fix: str = ""
    mail_from_subdomain: bool = False  # its aligned MAIL FROM is a subdomain: aspf=s breaks it
    forwards: bool = False  # a mailbox provider whose users auto-forward mail
    source: str = ""  # where the entry comes from (the vendor's documentation)

    @property
    def forwarding(self) -> bool:
        return self.kind in FORWARDING_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


OWN = Service(
    id="own",
    name="Your own mail servers",
    short="your servers",
    kind="own",
    authenticates="Whatever you set up: your SPF record and your DKIM keys.",
    alignment="List these servers in your SPF record and sign with a DKIM key of your domain.",
    spf_fix="Add these servers' addresses (ip4:/ip6: or a:) to your SPF record.",
    dkim_fix="Sign outgoing mail on these servers with a DKIM key of your domain (e.g. OpenDKIM).",
)


def _setup_texts(row: dict) -> dict:
    """The generic how-to for an entry without its own: every service that sends as your domain offers
    DKIM for it (records from its console), fewer a return path of your own; DKIM comes first."""
    short = row.get("short") or row["name"]
    own = ", ".join(row["dkim"] or row["spf"] or row["rdns"])
    return {
        "authenticates": row.get("authenticates")
        or f"Signs and bounces with its own domains ({own}) until your domain is set up in it.",
        "alignment": row.get("alignment")
        or f"DKIM for your domain in {short}'s settings first; a custom return path too where it offers one.",
        "spf_fix": row.get("spf_fix")
        or f"If {short} offers a custom return path (bounce or MAIL FROM domain), set one under your domain; "
        "otherwise rely on DKIM.",
        "dkim_fix": row.get("dkim_fix")
        or f"Set up DKIM for your domain in {short} (publish the CNAME or TXT records it gives) so that its "
        "mail is signed with your domain.",
    }


def service_from_row(row: dict) -> Service:
    """A Service from a catalogue row (or an operator's service in the same shape)."""
    return Service(
        **{
            **row,
            **_setup_texts(row),
            "rdns": tuple(row.get("rdns", ())),
            "dkim": tuple(row.get("dkim", ())),
            "spf": tuple(row.get("spf", ())),
            "asn": tuple(int(n) for n in row.get("asn", ())),
        }
    )


def _rows() -> list[dict]:
    return json.loads(TABLE.read_text(encoding="utf-8"))["senders"]


class Catalogue:
    """Services and their signals, indexed once: signal -> domain -> [(position, service)] and AS number
    -> [(position, service)], so that naming a source is a few dict probes (it runs for every group of
    an assessment). Position breaks ties: the operator's services come before the built-in ones."""

    def __init__(self, services: Iterable[Service]):
        self.services = tuple(services)
        self.index: dict[str, dict[str, list[tuple[int, Service]]]] = {"rdns": {}, "dkim": {}, "spf": {}}
        self.networks: dict[int, list[tuple[int, Service]]] = {}
        for position, sender in enumerate(self.services):
            for signal, domains in self.index.items():
                for domain in getattr(sender, signal):
                    domains.setdefault(domain.lower(), []).append((position, sender))
            for asn in sender.asn:
                self.networks.setdefault(asn, []).append((position, sender))

    def with_own(self, own: Iterable[Service]) -> Catalogue:
        """This catalogue with the operator's services first."""
        own = tuple(own)
        return Catalogue((*own, *self.services)) if own else self


@lru_cache(maxsize=1)
def builtin() -> Catalogue:
    """The catalogue of services.json."""
    return Catalogue(service_from_row(row) for row in _rows())


def biggest() -> tuple[Service, ...]:
    """The 50 services whose alignment how-to (dkim_fix, then spf_fix) the catalogue's test checks."""
    wanted = json.loads(TABLE.read_text(encoding="utf-8"))["biggest"]
    by_id = {s.id: s for s in catalogue()}
    return tuple(by_id[sid] for sid in wanted)


def catalogue() -> tuple[Service, ...]:
    """The services of services.json, in file order."""
    return builtin().services


def table() -> tuple[Service, ...]:
    return catalogue()


def _suffixes(domain: str) -> Iterable[str]:
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        yield ".".join(labels[i:])


@dataclass
class Signals:
    """What a source tells about itself."""

    rdns: str = ""  # forward-confirmed PTR name, or ""
    dkim_domains: list[str] = field(default_factory=list)
    spf_domains: list[str] = field(default_factory=list)  # MAIL FROM domains
    asn: int | None = None  # origin AS of the source's network


@dataclass
class Identification:
    sender: Service | None
    evidence: list[str] = field(default_factory=list)  # e.g. "DKIM d=amazonses.com"

    @property
    def name(self) -> str:
        return self.sender.name if self.sender else ""

    @property
    def by_network(self) -> bool:
        """Named only by the source's network (AS), no DKIM, MAIL FROM or reverse DNS match."""
        return bool(self.evidence) and all(e.startswith("network AS") for e in self.evidence)

    @property
    def weak(self) -> bool:
        """Named by where it sends from (reverse DNS, network), not by what it signs or sends as."""
        return all(e.startswith(WEAK_EVIDENCE) for e in self.evidence)


def identify(signals: Signals, policy_domain: str = "", known: Catalogue | None = None) -> Identification:
    """The service behind a source, from its signals; `known` is the catalogue to name from (the built-in
    one unless given: with the operator's services, see reports.sources.queries.known_services)."""
    known = known or builtin()
    own = org_domain(policy_domain) if policy_domain else ""
    rdns = normalise(signals.rdns) if signals.rdns else ""
    if own and rdns and org_domain(rdns) == own:
        return Identification(OWN, [f"reverse DNS {rdns}"])
    index = known.index
    scores: dict[str, float] = {}
    positions: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}
    senders: dict[str, Service] = {}

    def score(signal: str, domain: str, weight: int, label: str) -> None:
        domain = normalise(domain)
        if not domain or (own and org_domain(domain) == own):
            return  # our own domain says nothing about the service
        for suffix in _suffixes(domain):
            hits = index[signal].get(suffix)
            if hits:
                for position, sender in hits:
                    # Within one signal, a longer suffix is a more specific match.
                    scores[sender.id] = scores.get(sender.id, 0) + weight + suffix.count(".") / 100
                    positions[sender.id] = position
                    senders[sender.id] = sender
                    evidence.setdefault(sender.id, []).append(f"{label}{domain}")
                return

    if rdns:
        score("rdns", rdns, RDNS_WEIGHT, "reverse DNS ")
    for domain in sorted(set(signals.dkim_domains)):
        score("dkim", domain, DKIM_WEIGHT, "DKIM d=")
    for domain in sorted(set(signals.spf_domains)):
        score("spf", domain, SPF_WEIGHT, "MAIL FROM ")
    if signals.asn is not None:
        for position, sender in known.networks.get(signals.asn, ()):
            scores[sender.id] = scores.get(sender.id, 0) + ASN_WEIGHT
            positions[sender.id] = position
            senders[sender.id] = sender
            evidence.setdefault(sender.id, []).append(f"network AS{signals.asn}")
    if not scores:
        return Identification(None)
    best = max(scores, key=lambda sid: (scores[sid], -positions[sid]))
    return Identification(senders[best], evidence[best])
