"""DKIM keys made in the tests (openssl), and report emails signed with them by dkimpy.

key = SigningKey.generate("s1", "reporter.example")
dns.txt(key.dns_name, key.dns_text)      # served by the test DNS server
signed = key.sign(report_email(...))
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass

import dkim


@dataclass(frozen=True)
class SigningKey:
    selector: str
    domain: str
    private_pem: bytes
    public_der: bytes

    @classmethod
    def generate(cls, selector: str, domain: str, bits: int = 2048) -> SigningKey:
        pem = subprocess.run(
            ["openssl", "genrsa", "-traditional", str(bits)], capture_output=True, check=True
        ).stdout
        der = subprocess.run(
            ["openssl", "rsa", "-pubout", "-outform", "DER"], input=pem, capture_output=True, check=True
        ).stdout
        return cls(selector, domain, pem, der)

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_text(self) -> str:
        return "v=DKIM1; k=rsa; p=" + base64.b64encode(self.public_der).decode()

    def sign(self, message: bytes, *, domain: str | None = None) -> bytes:
        """The message with a DKIM-Signature header prepended (d= this key's domain, or `domain`)."""
        header = dkim.sign(
            message,
            self.selector.encode(),
            (domain or self.domain).encode(),
            self.private_pem,
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )
        return header + message
