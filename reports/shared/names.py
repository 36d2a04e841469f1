"""Which texts are domain names and IP addresses we accept.

Report values come from anyone who can send mail to a rua address, and the
policy domain ends up in URLs, queries and page titles. A domain name is kept
only in its DNS form: IDNA-encoded (A-labels), lower case, no trailing dot,
labels of letters, digits and hyphens (1 to 63 characters, no hyphen at either
end), at most 253 characters in all.

Organizational domains come from the Public Suffix List shipped with the `publicsuffixlist`
package (no network). We use the whole list, private section included, as the big reporters
do: foo.github.io and bar.github.io are two organizations and do not align, because github.io
is listed as a suffix under which anyone can register a name.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

MAX_NAME = 253
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# The same grammar, case-insensitive, for URL patterns (reports.urls).
URL_DOMAIN = (
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
# Digits, hex, dots and colons only: a zone index ("fe80::1%eth0") never matches.
URL_IP = r"[0-9A-Fa-f:.]{2,45}"


def domain_name(text: str | None) -> str | None:
    """The DNS form of a domain name, or None when `text` is not one."""
    if not text:
        return None
    name = text.strip().rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        return None
    return name


def is_domain_name(text: str) -> bool:
    """True when `text` is already in the DNS form domain_name() gives."""
    return bool(text) and len(text) <= MAX_NAME and _NAME.fullmatch(text) is not None


def ip_text(text: str | None) -> str | None:
    """The canonical form of an IPv4 or IPv6 address without a zone, or None."""
    if not text or "%" in text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def is_within(name: str, parent: str) -> bool:
    """True when `name` is `parent` or a subdomain of it."""
    return name == parent or name.endswith("." + parent)


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # Read on first use: it takes a quarter of a second, and settings import this module.
    # accept_unknown: a name under a TLD missing from the list (a new gTLD, an internal name)
    # is treated like any other TLD, as RFC 7489 §3.2 asks ("*" is the default rule).
    return PublicSuffixList(accept_unknown=True)


@lru_cache(maxsize=65536)
def normalise(domain: str) -> str:
    """Lower case, no surrounding whitespace, no trailing dot, A-labels for IDNs.

    Reports carry both U-labels (bücher.de) and A-labels (xn--bcher-kva.de) for one name, so
    both are brought to the A-label form before they are compared.
    """
    d = domain.strip().lower().rstrip(".")
    if "@" in d:
        # Some reporters put an address where a domain belongs (envelope_from, SPF domain).
        d = d.rpartition("@")[2]
    if not d.isascii():
        try:
            d = d.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a valid IDN: compare it as it stands
    return d


@lru_cache(maxsize=65536)
def org_domain(domain: str) -> str:
    """The organizational domain: the longest public suffix that matches, plus one label.

    A name that is itself a public suffix (co.uk, github.io), or is not a domain name at all
    (an IP literal, empty labels), is its own organizational domain: there is nothing above it
    to belong to. Empty input gives "".
    """
    d = normalise(domain)
    if not d:
        return ""
    last = d.rpartition(".")[2]
    if last.isdigit():
        return d  # an IP literal, not a name: no TLD ends in a digit
    return _psl().privatesuffix(d) or d


@lru_cache(maxsize=65536)
def domains_align(a: str, b: str, mode: str) -> bool:
    """Whether two domains are aligned: "s" (strict) needs the same name, anything else
    (relaxed, the default "r") the same organizational domain. An empty domain never aligns."""
    a = normalise(a)
    b = normalise(b)
    if not a or not b:
        return False
    if a == b:
        return True
    if mode == "s":
        return False
    return org_domain(a) == org_domain(b)
