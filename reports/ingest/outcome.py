"""What came of one report or part of an input: the lines import_reports --json prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Outcome:
    origin: str  # how the input arrived: a file's path, an upload, a mailbox's message
    member: str | None
    status: str  # imported | duplicate | rejected | not-dmarc | foreign | not-allowed
    org_name: str = ""
    report_id: str = ""
    domain: str = ""
    records: int = 0
    messages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    report_pk: int | None = None
    reporter_verified: bool | None = None
    days: tuple[date, ...] = ()  # the UTC days the report's counts went to
    kind: str = "dmarc"  # or "tlsrpt"
    domains: list[str] = field(default_factory=list)  # a TLS report's policy domains
    successful_sessions: int = 0  # a TLS report's
    failed_sessions: int = 0

    def as_json(self) -> dict:
        if self.kind == "tlsrpt":
            return {
                "kind": "tlsrpt",
                "source": self.origin,
                "member": self.member,
                "status": self.status,
                "org_name": self.org_name,
                "report_id": self.report_id,
                "domains": self.domains,
                "successful_sessions": self.successful_sessions,
                "failed_sessions": self.failed_sessions,
                "warnings": self.warnings,
                "error": self.error,
                "reporter_verified": self.reporter_verified,
            }
        return {
            "kind": "dmarc",
            # "source" in the JSON that import_reports --json prints and uploads keep: scripts read it.
            "source": self.origin,
            "member": self.member,
            "status": self.status,
            "org_name": self.org_name,
            "report_id": self.report_id,
            "domain": self.domain,
            "records": self.records,
            "messages": self.messages,
            "warnings": self.warnings,
            "error": self.error,
            "reporter_verified": self.reporter_verified,
        }
