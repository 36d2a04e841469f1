"""DKIM selectors: what a published key is (type, size) and what is worth flagging about a domain's
selectors. Plain Python over data classes; reports.sources.selectors reads and stores them.

- A key of less than 2048 bits (RSA) can be factored by a determined attacker; RFC 8301 asks for at
  least 1024 and recommends 2048. A 1024-bit key is flagged.
- A selector that signed mail and has not been seen for STOPPED_DAYS while the domain's reports kept
  coming has stopped signing: a service was dropped (its key can go) or its DKIM broke.
- Microsoft 365 signs with selector1 or selector2 and rotates between them: both CNAMEs must be
  published, or the next rotation breaks DKIM. A domain seen with one and whose other is not in the
  DNS is flagged.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

STOPPED_DAYS = 14
WEAK_BITS = 2048
M365_PAIR = ("selector1", "selector2")


@dataclass(frozen=True)
class KeyInfo:
    key_type: str = ""  # rsa, ed25519, "" when unknown
    bits: int | None = None
    error: str = ""  # "no key published", "revoked (empty p=)", "not a DKIM key"...


def tags(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            out[name.strip().lower()] = "".join(value.split())
    return out


def parse_key(records: list[str]) -> KeyInfo:
    """The key a selector's TXT record publishes (the first that looks like a DKIM key record)."""
    candidates = [t for t in records if "p=" in t]
    if not candidates:
        return KeyInfo(error="not a DKIM key record" if records else "no key published")
    found = tags(candidates[0])
    if found.get("v", "DKIM1") != "DKIM1":
        return KeyInfo(error="not a DKIM key record")
    key_type = found.get("k", "rsa").lower()
    if not found.get("p"):
        return KeyInfo(key_type, error="revoked (empty p=)")
    try:
        der = base64.b64decode(found["p"], validate=True)
    except (binascii.Error, ValueError):
        return KeyInfo(key_type, error="the key is not valid base64")
    if key_type == "ed25519":
        return KeyInfo("ed25519", 256) if len(der) == 32 else KeyInfo("ed25519", error="not an Ed25519 key")
    try:
        key = load_der_public_key(der)
    except ValueError:
        return KeyInfo(key_type, error="the key cannot be read")
    if isinstance(key, rsa.RSAPublicKey):
        return KeyInfo("rsa", key.key_size)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyInfo("ed25519", 256)
    return KeyInfo(key_type, error="an unsupported key type")


@dataclass
class Selector:
    signing_domain: str
    selector: str
    first_seen: date
    last_seen: date
    messages: int = 0
    passed: int = 0
    service: str = ""
    key: KeyInfo | None = None  # None: not looked up yet
    flags: list[str] = field(default_factory=list)

    @property
    def pass_pct(self) -> float | None:
        return 100.0 * self.passed / self.messages if self.messages else None


def flag(selectors: list[Selector], last_day: date | None, keys: dict[tuple[str, str], KeyInfo]) -> None:
    """Fill each selector's flags; `last_day` is the domain's last day with data, `keys` every key
    looked up, by (signing domain, selector), the Microsoft 365 siblings included."""
    seen = {(s.signing_domain, s.selector) for s in selectors}
    for s in selectors:
        key = s.key
        if key and key.key_type == "rsa" and key.bits and key.bits < WEAK_BITS:
            s.flags.append(f"{key.bits}-bit key: publish a 2048-bit key and move signing to it.")
        if key and key.error:
            s.flags.append(f"Key: {key.error}.")
        if last_day and (last_day - s.last_seen).days >= STOPPED_DAYS:
            s.flags.append(
                f"Stopped signing: last seen {s.last_seen:%Y-%m-%d}. If the service is gone, remove its "
                "key; if not, its DKIM broke."
            )
        if s.selector in M365_PAIR:
            other = M365_PAIR[1 - M365_PAIR.index(s.selector)]
            sibling = keys.get((s.signing_domain, other))
            if (s.signing_domain, other) not in seen and (sibling is None or sibling.error):
                s.flags.append(
                    f"Microsoft 365 rotates between selector1 and selector2: publish {other}._domainkey."
                    f"{s.signing_domain} (the CNAME Microsoft gives) or the next rotation breaks DKIM."
                )


def guess_service(selector: str) -> str:
    """A service from a selector's usual name, when no source names it."""
    if selector in M365_PAIR:
        return "Microsoft 365 (Exchange Online)"
    if selector == "google":
        return "Google Workspace"
    if len(selector) == 32 and selector.isalnum():
        return "Amazon SES"
    return ""
