"""The RFC 8460 result types, in an operator's words, with what fixes each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResultType:
    code: str
    family: str  # tls | sts | dane | other
    meaning: str
    fix: str


_TYPES = [
    ResultType(
        "starttls-not-supported",
        "tls",
        "The sender connected to your MX, which did not offer STARTTLS: the mail could only go unencrypted.",
        "Enable STARTTLS on that MX (and on every host behind its name), then check it with a TLS test.",
    ),
    ResultType(
        "certificate-host-mismatch",
        "tls",
        "Your MX presented a certificate that does not name the host the sender connected to.",
        "Put the MX host name in the certificate's subject alternative names, or point the MX record"
        " at a name the certificate covers.",
    ),
    ResultType(
        "certificate-expired",
        "tls",
        "Your MX presented an expired certificate.",
        "Renew the certificate and make sure every server behind the MX name reloads it; automate renewal.",
    ),
    ResultType(
        "certificate-not-trusted",
        "tls",
        "Your MX presented a certificate the sender does not trust (self-signed, private CA, or a missing"
        " intermediate).",
        "Use a certificate from a public CA and serve the full chain, intermediates included.",
    ),
    ResultType(
        "validation-failure",
        "tls",
        "The TLS session failed for another reason (the failure reason code says which).",
        "Read the failure reason code and additional information; test the MX with"
        " openssl s_client -starttls smtp.",
    ),
    ResultType(
        "sts-policy-fetch-error",
        "sts",
        "The sender could not fetch your MTA-STS policy from https://mta-sts.DOMAIN/.well-known/mta-sts.txt.",
        "Serve the policy over HTTPS at that address, with a certificate valid for mta-sts.DOMAIN, without"
        " redirects, as text/plain.",
    ),
    ResultType(
        "sts-policy-invalid",
        "sts",
        "The sender fetched your MTA-STS policy but could not read it, or your MX is not in it.",
        "Fix the policy's syntax (version, mode, mx, max_age lines) and list every MX with an mx: line.",
    ),
    ResultType(
        "sts-webpki-invalid",
        "sts",
        "The certificate of the MTA-STS policy host, or of the MX under the policy, failed validation.",
        "Use a publicly trusted certificate valid for mta-sts.DOMAIN and for each MX host name.",
    ),
    ResultType(
        "tlsa-invalid",
        "dane",
        "Your TLSA records do not match the certificate your MX presented.",
        "Publish TLSA records for the current certificate (or key) before each rollover.",
    ),
    ResultType(
        "dnssec-invalid",
        "dane",
        "The DNSSEC signatures of your zone did not validate, so DANE could not be used.",
        "Fix the zone's DNSSEC signing (expired signatures, wrong DS at the parent).",
    ),
    ResultType(
        "dane-required",
        "dane",
        "The sender requires DANE for your domain, but found no usable TLSA records.",
        "Publish TLSA records for each MX in a DNSSEC-signed zone, or stop requiring DANE.",
    ),
]
TYPES = {t.code: t for t in _TYPES}
STS_FAILURES = frozenset(t.code for t in _TYPES if t.family == "sts")
# The failures that mean an MX itself does not do TLS right: under enforce, each is a bounce.
TLS_FAILURES = frozenset(t.code for t in _TYPES if t.family == "tls")


def explain(code: str) -> ResultType:
    return TYPES.get(
        code,
        ResultType(
            code,
            "other",
            "A result type this dashboard does not know; the reporter's additional information may say more.",
            "Read the additional information and failure reason code of the failures below.",
        ),
    )
