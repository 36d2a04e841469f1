"""Team Cymru's IP-to-ASN service over DNS (dmarc-notes §10): the names to ask and how to read the answers.

    TXT 41.220.85.209.origin.asn.cymru.com -> "15169 | 209.85.128.0/17 | US | arin | 2004-03-05"
    TXT AS15169.asn.cymru.com              -> "15169 | US | arin | 2000-03-30 | GOOGLE - Google LLC, US"

IPv6 addresses go under origin6.asn.cymru.com, all 32 nibbles reversed. Plain
functions over text: reports.rollout.asn asks the DNS and stores the result.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ORIGIN4 = "origin.asn.cymru.com"
ORIGIN6 = "origin6.asn.cymru.com"
NAMES = "asn.cymru.com"


@dataclass(frozen=True)
class Origin:
    asn: int
    prefix: str
    country: str


def origin_name(ip: str) -> str:
    """The TXT name that gives the origin AS of `ip`."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        return ".".join(reversed(addr.exploded.split("."))) + "." + ORIGIN4
    return ".".join(reversed(addr.exploded.replace(":", ""))) + "." + ORIGIN6


def as_name_query(asn: int) -> str:
    return f"AS{asn}.{NAMES}"


def _fields(text: str) -> list[str]:
    return [f.strip() for f in text.split("|")]


def parse_origin(texts: list[str]) -> Origin | None:
    """The origin of the most specific prefix among the answers (a prefix may be announced by several
    AS, written "15169 36040": the first is kept), or None when no answer can be read."""
    best: tuple[int, Origin] | None = None
    for text in texts:
        fields = _fields(text)
        if len(fields) < 3 or not fields[0]:
            continue
        first = fields[0].split()[0]
        if not first.isdigit():
            continue
        try:
            length = ipaddress.ip_network(fields[1], strict=False).prefixlen
        except ValueError:
            length = -1
        origin = Origin(int(first), fields[1][:64], fields[2].upper()[:8])
        if best is None or length > best[0]:
            best = (length, origin)
    return best[1] if best else None


def parse_as_name(texts: list[str]) -> str:
    """The AS name: the last field of the first readable answer."""
    for text in texts:
        fields = _fields(text)
        if len(fields) >= 5 and fields[-1]:
            return fields[-1][:255]
    return ""
