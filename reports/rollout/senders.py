"""Naming the service behind a source: Amazon SES, Google Workspace, a mailing list...

The curated table is senders.json beside this file. Each sender lists the
domains that give it away in three signals, with how it authenticates and what
its users must configure for alignment:

- `rdns`: the source's reverse DNS name (forward-confirmed), matched on its
  organizational domain or a longer suffix where one organization runs several
  services (protection.outlook.com is Microsoft 365, outlook.com is consumer);
- `dkim`: the d= domains of its DKIM signatures;
- `spf`: its MAIL FROM (return-path) domains.

identify() scores every sender: a DKIM or SPF domain match counts 3, a reverse
DNS match 1 (PTR names are the weakest signal: they say whose network it is,
not whose mail), and a longer matching suffix wins over a shorter one. Ties go
to the sender listed first. A reverse DNS name in the policy domain's own
organization means your own servers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reports.ingest.alignment import normalise, org_domain

TABLE = Path(__file__).with_name("senders.json")

# Kinds whose failing mail is forwarded mail, not a sender to fix.
FORWARDING_KINDS = ("forwarder", "mailing-list")
KIND_LABELS = {
    "esp": "email service",
    "marketing": "marketing platform",
    "mailbox": "mailbox provider",
    "hosting": "hosting provider",
    "crm": "CRM",
    "helpdesk": "help desk",
    "saas": "business application",
    "gateway": "email security gateway",
    "forwarder": "forwarder",
    "mailing-list": "mailing list",
    "own": "your own servers",
}

DKIM_WEIGHT = 3
SPF_WEIGHT = 3
RDNS_WEIGHT = 1


@dataclass(frozen=True)
class Sender:
    id: str
    name: str
    short: str
    kind: str
    rdns: tuple[str, ...] = ()
    dkim: tuple[str, ...] = ()
    spf: tuple[str, ...] = ()
    authenticates: str = ""
    alignment: str = ""
    spf_fix: str = ""
    dkim_fix: str = ""
    mail_from_subdomain: bool = False  # its aligned MAIL FROM is a subdomain: aspf=s breaks it
    forwards: bool = False  # a mailbox provider whose users auto-forward mail

    @property
    def forwarding(self) -> bool:
        return self.kind in FORWARDING_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


OWN = Sender(
    id="own",
    name="Your own mail servers",
    short="your servers",
    kind="own",
    authenticates="Whatever you set up: your SPF record and your DKIM keys.",
    alignment="List these servers in your SPF record and sign with a DKIM key of your domain.",
    spf_fix="Add these servers' addresses (ip4:/ip6: or a:) to your SPF record.",
    dkim_fix="Sign outgoing mail on these servers with a DKIM key of your domain (e.g. OpenDKIM).",
)


@lru_cache(maxsize=1)
def table() -> tuple[Sender, ...]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    senders = []
    for row in data["senders"]:
        senders.append(
            Sender(
                **{
                    **row,
                    "rdns": tuple(row["rdns"]),
                    "dkim": tuple(row["dkim"]),
                    "spf": tuple(row["spf"]),
                }
            )
        )
    return tuple(senders)


@lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, list[tuple[int, Sender]]]]:
    """signal -> domain -> [(position in table, sender)]."""
    index: dict[str, dict[str, list[tuple[int, Sender]]]] = {"rdns": {}, "dkim": {}, "spf": {}}
    for position, sender in enumerate(table()):
        for signal in index:
            for domain in getattr(sender, signal):
                index[signal].setdefault(domain.lower(), []).append((position, sender))
    return index


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


@dataclass
class Identification:
    sender: Sender | None
    evidence: list[str] = field(default_factory=list)  # e.g. "DKIM d=amazonses.com"

    @property
    def name(self) -> str:
        return self.sender.name if self.sender else ""


def identify(signals: Signals, policy_domain: str = "") -> Identification:
    own = org_domain(policy_domain) if policy_domain else ""
    rdns = normalise(signals.rdns) if signals.rdns else ""
    if own and rdns and org_domain(rdns) == own:
        return Identification(OWN, [f"reverse DNS {rdns}"])
    index = _index()
    scores: dict[str, float] = {}
    positions: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}
    senders: dict[str, Sender] = {}

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
    if not scores:
        return Identification(None)
    best = max(scores, key=lambda sid: (scores[sid], -positions[sid]))
    return Identification(senders[best], evidence[best])
