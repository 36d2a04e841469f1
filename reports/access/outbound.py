"""Where a URL that a user hands the product may make it connect: plain rules, no network.

Alert channels (Apprise URLs) are the first such URLs; every other URL a user who is not the
server's operator can give (webhooks to come) goes through the same rules:

- its scheme is one of SCHEMES: notification services at their own fixed endpoints, and
  services or webhooks on a server the URL names, over HTTPS only;
- no user-chosen method, headers, query parameters or payload fields (Apprise's `?method=`,
  `+Header=`, `-param=`, `:field=`);
- the server it names, and every address that name resolves to, is a public one: never
  loopback, private, link-local (cloud metadata), multicast, reserved, unspecified, shared
  (100.64.0.0/10), nor an IPv6 address that embeds one of those (IPv4-mapped or -compatible,
  NAT64, 6to4); an IPv4 address written in another form than a.b.c.d (2130706433, 0177.0.0.1,
  0x7f.1, 127.1) is refused whatever it means.

`Allowed` (DMARC_ALERT_ALLOWED_HOSTS, the server operator's setting) lets named hosts and
networks through: any address, and plain HTTP. reports.access.netguard applies the address rule
again to every connection actually made, so a name that resolves elsewhere later (DNS
rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

FIXED, OWN = "fixed", "own"  # the service's own endpoint, or a server the URL names


@dataclass(frozen=True)
class Service:
    label: str
    endpoint: str  # FIXED or OWN


# The schemes a user may save, documented in the README (Alerts and digests).
SCHEMES: dict[str, Service] = {
    "slack": Service("Slack", FIXED),
    "msteams": Service("Microsoft Teams", FIXED),
    "discord": Service("Discord", FIXED),
    "gchat": Service("Google Chat", FIXED),
    "tgram": Service("Telegram", FIXED),
    "pover": Service("Pushover", FIXED),
    "ntfy": Service("ntfy (ntfy.sh)", FIXED),  # ntfy://topic; ntfy://host/topic is plain HTTP
    "ntfys": Service("ntfy", OWN),
    "mmosts": Service("Mattermost", OWN),
    "matrixs": Service("Matrix", OWN),
    "jsons": Service("JSON webhook", OWN),
    "xmls": Service("XML webhook", OWN),
    "forms": Service("form webhook", OWN),
}
# Plain-HTTP twins: only towards a host of DMARC_ALERT_ALLOWED_HOSTS.
PLAIN = {scheme: scheme + "s" for scheme in ("ntfy", "mmost", "matrix", "json", "xml", "form")}

# Query parameters that would let a user choose the request: Apprise's method, extra headers (+),
# extra URL parameters (-) and payload fields (:).
_CHOSEN = re.compile(r"^\s*[+\-:]|^\s*method\s*$", re.IGNORECASE)
# Names that only ever mean this machine or a private network (RFC 6761, 6762, 8375).
_LOCAL_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "lan", "intranet", "corp")

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses


@dataclass(frozen=True)
class Allowed:
    """DMARC_ALERT_ALLOWED_HOSTS: host names (exact, lower case) and networks let through."""

    names: frozenset[str] = frozenset()
    networks: tuple = field(default_factory=tuple)

    @classmethod
    def parse(cls, items: Iterable[str]) -> Allowed:
        names, networks = set(), []
        for item in items:
            item = item.strip().lower().rstrip(".")
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                names.add(item)
        return cls(frozenset(names), tuple(networks))

    def address(self, ip) -> bool:
        ip = ipaddress.ip_address(ip)
        return any(ip.version == n.version and ip in n for n in self.networks)

    def host(self, host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if host in self.names:
            return True
        try:
            return self.address(host)
        except ValueError:
            return False


def address_refusal(ip) -> str | None:
    """Why the product may not connect to this address, or None if it may (a public address)."""
    ip = ipaddress.ip_address(ip)
    if ip.version == 6:
        if ip.scope_id:
            return f"{ip} is a scoped (link-local) address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            why = address_refusal(embedded)
            return f"{ip} stands for {embedded}: {why}" if why else None
    for refused, why in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address (where cloud metadata services answer)"),
        (ip.is_multicast, "a multicast address"),
        (ip.version == 4 and ip in _SHARED, "in the shared address space 100.64.0.0/10"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (ip.version == 6 and ip.is_site_local, "a site-local address"),
        (not ip.is_global, "not a public address"),
    ):
        if refused:
            return f"{ip} is {why}"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in n for n in _NAT64) or (ip in _COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """What inet_aton() makes of `host`: 1 to 4 parts, each decimal, octal (0…) or hex (0x…), the
    last one filling the remaining bytes (127.1, 2130706433, 0177.0.0.1, 0x7f000001); None if none."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        low = part.lower()
        if re.fullmatch(r"0x[0-9a-f]*", low):
            values.append(int(low[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]*", low):
            values.append(int(low, 8))
        elif re.fullmatch(r"[1-9][0-9]*", low):
            values.append(int(low))
        else:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    return ipaddress.IPv4Address(number << 8 * (4 - len(head)) | last)


def host_refusal(host: str, allowed: Allowed = Allowed()) -> str | None:
    """Why the product may not connect to `host` as written (before any lookup), or None."""
    if not host:
        return "the URL names no server"
    if allowed.host(host):
        return None
    bare = host.strip("[]")
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        ip = None
    if ip is not None:
        return None if allowed.address(ip) else address_refusal(ip)
    if "%" in bare:
        return f"{host} is a scoped address"
    loose = loose_ipv4(host)
    if loose is not None:
        return f"{host} is the address {loose} in another form: write an address as a.b.c.d"
    name = host.lower().rstrip(".")
    if not re.fullmatch(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*", name):
        return f"{host!r} is not a host name"
    if "." not in name or name.split(".")[-1].isdigit():
        return f"{host} is not a public host name"
    if any(name == s or name.endswith("." + s) for s in _LOCAL_SUFFIXES):
        return f"{host} names a local or internal network"
    return None


def scheme_refusal(scheme: str, host: str, allowed: Allowed = Allowed()) -> str | None:
    """Why a URL of this scheme may not be saved or sent, or None. `host` is the server the URL
    names, "" when the service sends to its own endpoint (ntfy://topic goes to ntfy.sh)."""
    scheme = scheme.lower()
    service = SCHEMES.get(scheme)
    if service is not None and (service.endpoint == OWN or not host):
        return None
    if scheme in PLAIN and host and allowed.host(host):
        return None
    if scheme in PLAIN:
        return f"{scheme}:// to a server of your own sends in plain HTTP: use {PLAIN[scheme]}://"
    return f"{scheme}:// is not one of the allowed services ({', '.join(sorted(SCHEMES))})"


def query_refusal(keys: Iterable[str]) -> str | None:
    """Why these query parameters may not be saved or sent (a chosen method, headers or fields)."""
    chosen = sorted({k.strip() for k in keys if _CHOSEN.search(k)})
    if chosen:
        return f"the URL chooses the request's method, headers or fields ({', '.join(chosen)}): not allowed"
    return None


def resolved_refusal(host: str, addresses: Iterable[str], allowed: Allowed = Allowed()) -> str | None:
    """Why the product may not connect to `host` now that it resolved to `addresses`, or None.
    Every address must be allowed: a client may pick any of them."""
    if allowed.host(host):
        return None
    addresses = list(addresses)
    if not addresses:
        return f"{host} does not resolve to any address"
    for a in addresses:
        if not allowed.address(a):
            why = address_refusal(a)
            if why:
                return f"{host} resolves to {why}"
    return None
