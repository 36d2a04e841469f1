"""The DKIM keys of the selectors a domain's mail was signed with."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from reports.rollout.lint.problems import Problem
from reports.shared.dns import Resolve


@dataclass
class DkimKey:
    selector: str
    domain: str
    record: str = ""
    bits: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def found(self) -> bool:
        return bool(self.record)


def check_dkim(selectors: list[tuple[str, str]], resolve: Resolve) -> list[DkimKey]:
    """Look up the key for each (selector, signing domain) seen in reports."""
    keys = []
    for selector, domain in selectors:
        key = DkimKey(selector, domain.rstrip(".").lower())
        answer = resolve(key.name, "TXT")
        texts = [t for t in answer.records if "p=" in t.replace(" ", "")]
        if answer.failed:
            key.problems.append(
                Problem("lookup-failed", "warning", f"Could not look up {key.name} ({answer.error}).")
            )
        elif not texts:
            key.problems.append(
                Problem("no-key", "error", f"No DKIM key at {key.name}: signatures with s={selector} fail.")
            )
        else:
            key.record = texts[0]
            tags = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (t.partition("=") for t in key.record.split(";") if "=" in t)
            )
            data = re.sub(r"\s+", "", tags.get("p", ""))
            if not data:
                key.problems.append(Problem("revoked", "error", f"The key at {key.name} is empty (revoked)."))
            elif tags.get("k", "rsa").lower() == "rsa":
                try:
                    key.bits = _rsa_bits(base64.b64decode(data, validate=True))
                except ValueError:
                    key.problems.append(
                        Problem("bad-key", "error", f"The key at {key.name} is not valid base64.")
                    )
                if key.bits and key.bits < 1024:
                    key.problems.append(
                        Problem(
                            "weak-key",
                            "error",
                            f"{key.bits}-bit RSA key: receivers ignore keys under 1024 bits. Use 2048.",
                        )
                    )
                elif key.bits and key.bits < 2048:
                    key.problems.append(Problem("short-key", "warning", f"{key.bits}-bit RSA key: use 2048."))
        keys.append(key)
    return keys


def _rsa_bits(der: bytes) -> int | None:
    """The modulus size of an RSA SubjectPublicKeyInfo (or bare RSAPublicKey), read from the DER."""

    def read(pos):
        tag = der[pos]
        length = der[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(der[pos : pos + n], "big")
            pos += n
        return tag, pos, length

    try:
        tag, pos, _ = read(0)  # SEQUENCE
        tag, inner, length = read(pos)
        pos = inner
        if tag == 0x30:  # SPKI: AlgorithmIdentifier, then BIT STRING holding RSAPublicKey
            tag, pos, length = read(inner + length)
            tag, pos, _ = read(pos + 1)  # skip the unused-bits byte; RSAPublicKey SEQUENCE
            tag, pos, length = read(pos)
        if tag != 0x02:
            return None
        modulus = der[pos : pos + length].lstrip(b"\x00")
        return len(modulus) * 8
    except IndexError:
        return None
