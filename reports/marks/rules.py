"""What the operator knows about a sender: "ours" or "not ours", on an address, a network or a service.

Plain data and rules; reports.marks.queries reads and reports.marks.actions writes the SenderMark rows.
A mark on the address wins over one on a network (the narrowest network
first), which wins over one on the service: the operator said the most
precise thing last about the most precise target.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

OURS, NOT_OURS = "ours", "not-ours"
VERDICTS = (OURS, NOT_OURS)
IP, NETWORK, SERVICE = "ip", "network", "service"
LABELS = {OURS: "ours", NOT_OURS: "not ours"}


# The widest network one mark may cover, per IP version: a whole provider is marked by its service.
WIDEST_PREFIX = {4: 16, 6: 32}


class MarkError(ValueError):
    """A source that is neither an address, a network nor a known service."""


@dataclass(frozen=True)
class Mark:
    kind: str  # ip | network | service
    value: str  # the address, the network (CIDR) or the service's name
    verdict: str  # ours | not-ours
    marked_by: str = ""
    marked_at: datetime | None = None

    @property
    def label(self) -> str:
        return LABELS[self.verdict]

    @property
    def ours(self) -> bool:
        return self.verdict == OURS

    @property
    def target(self) -> str:
        return {IP: "address", NETWORK: "network", SERVICE: "service"}[self.kind] + f" {self.value}"

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "value": self.value,
            "verdict": self.verdict,
            "marked_by": self.marked_by,
            "marked_at": self.marked_at.isoformat() if self.marked_at else None,
        }


def parse_source(text: str, services: dict[str, str]) -> tuple[str, str]:
    """(kind, value) for an IP address, a CIDR network or a service name (matched without case).

    `services` maps each known service's names, lower-cased, to the name marks keep.
    """
    text = text.strip()
    if not text:
        raise MarkError("Name a source: an IP address, a network in CIDR form or a service.")
    try:
        return IP, str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise MarkError(f"{text!r} is not a network in CIDR form (such as 192.0.2.0/24).") from None
        if network.num_addresses == 1:
            return IP, str(network.network_address)
        widest = WIDEST_PREFIX[network.version]
        if network.prefixlen < widest:
            raise MarkError(
                f"{network} is wider than a /{widest}: a mark that wide would make spoofers ours (or "
                f"legitimate senders not ours) by the million. Mark a /{widest} or narrower, or the service."
            )
        return NETWORK, str(network)
    name = services.get(text.lower())
    if name is None:
        raise MarkError(
            f"{text!r} is neither an IP address, a network in CIDR form nor a known service "
            "(see the services on the classification page)."
        )
    return SERVICE, name


def mark_for(marks: list[Mark], ip: str, service: str = "") -> Mark | None:
    """The mark that applies to a source at `ip` named `service`, or None."""
    if not marks:
        return None  # the usual case, asked for every group of every source
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        address = None
    for m in marks:
        if m.kind == IP and address is not None and m.value == str(address):
            return m
    networks = []
    for m in marks:
        if m.kind == NETWORK and address is not None:
            network = ipaddress.ip_network(m.value)
            if network.version == address.version and address in network:
                networks.append((network.prefixlen, m))
    if networks:
        return max(networks, key=lambda pm: pm[0])[1]
    if service:
        for m in marks:
            if m.kind == SERVICE and m.value.lower() == service.lower():
                return m
    return None
