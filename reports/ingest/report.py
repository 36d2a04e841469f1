"""Plain data classes for one DMARC aggregate report.

These carry what the parser read, with no Django involved, so that unpacking,
parsing and alignment can be tested without a database. Field names follow
RFC 7489 Appendix C and RFC 9990.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Reason:
    type: str  # forwarded, sampled_out, trusted_forwarder, mailing_list, local_policy, other, ...
    comment: str = ""


@dataclass(slots=True)
class DkimResult:
    domain: str
    selector: str = ""
    result: str = ""  # lower-cased: pass, fail, none, neutral, policy, temperror, permerror, ...
    human_result: str = ""
    aligned: bool = False  # ours: passes and the domain aligns with header_from


@dataclass(slots=True)
class SpfResult:
    domain: str
    scope: str = ""  # mfrom, helo or "" (older reports)
    result: str = ""
    aligned: bool = False  # ours: passes, mfrom scope and the domain aligns with header_from


@dataclass(slots=True)
class ParsedRecord:
    source_ip: str  # normalised (ipaddress.ip_address(...).compressed)
    count: int
    disposition: str  # none, quarantine, reject, pass (RFC 9990)
    dkim: str  # policy_evaluated: the reporter's verdict, pass or fail ("" if missing)
    spf: str
    header_from: str
    envelope_from: str = ""
    envelope_to: str = ""
    reasons: list[Reason] = field(default_factory=list)
    dkim_results: list[DkimResult] = field(default_factory=list)
    spf_results: list[SpfResult] = field(default_factory=list)
    # Our recomputed verdicts, filled in by reports.ingest.alignment.evaluate():
    dkim_aligned: bool = False
    spf_aligned: bool = False

    @property
    def dmarc_pass(self) -> bool:
        """The reporter's verdict, which is authoritative."""
        return self.dkim == "pass" or self.spf == "pass"

    @property
    def our_pass(self) -> bool:
        return self.dkim_aligned or self.spf_aligned

    @property
    def disagrees(self) -> bool:
        """Our reading of the auth results differs from the reporter's verdict."""
        return self.dkim_aligned != (self.dkim == "pass") or self.spf_aligned != (self.spf == "pass")


@dataclass(slots=True)
class PolicyPublished:
    domain: str
    adkim: str = "r"
    aspf: str = "r"
    p: str = ""
    sp: str = ""
    np: str = ""
    pct: int | None = None
    fo: str = ""
    testing: str = ""  # RFC 9990: y|n
    discovery_method: str = ""  # RFC 9990: psl|treewalk


@dataclass(slots=True)
class ReportHeader:
    org_name: str
    email: str
    extra_contact_info: str
    report_id: str
    begin: datetime  # UTC, aware
    end: datetime
    policy: PolicyPublished
    version: str = ""
    generator: str = ""
    errors: list[str] = field(default_factory=list)
    schema: str = "rfc7489"  # rfc7489 | draft | rfc9990


@dataclass
class ParsedReport:
    """A report being read. `records` is a single-pass iterator: big reports are
    streamed so that memory does not grow with the report."""

    header: ReportHeader
    records: Iterator[ParsedRecord]
    warnings: list[str] = field(default_factory=list)  # grows while records are read
