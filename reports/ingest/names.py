"""Which texts are domain names and IP addresses we accept.

Report values come from anyone who can send mail to a rua address, and the
policy domain ends up in URLs, queries and page titles. A domain name is kept
only in its DNS form: IDNA-encoded (A-labels), lower case, no trailing dot,
labels of letters, digits and hyphens (1 to 63 characters, no hyphen at either
end), at most 253 characters in all.
"""

from __future__ import annotations

import ipaddress
import re

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
