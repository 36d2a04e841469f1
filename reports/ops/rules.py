"""The service's rules as plain Python: what a count is filed under, when a sign of life is too old,
and what the readiness verdict is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Seconds an input may take to be ingested, as the ingest duration histogram's buckets.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
OK, DOWN = "ok", "down"


def origin_kind(origin: str) -> str:
    """How an input arrived, from its origin: an email of a mailbox, an upload, or a file."""
    if origin.startswith("imap://"):
        return "mail"
    if origin.startswith("upload:"):
        return "upload"
    return "file"


def ingest_counts(origin: str, statuses: dict[str, int], messages: int, seconds: float) -> dict:
    """The counters one ingested input adds to: {(name, labels): amount}."""
    kind = origin_kind(origin)
    counts = {("dmarc_inputs_ingested", (("kind", kind),)): 1.0}
    for status, n in statuses.items():
        counts[("dmarc_reports_ingested", (("kind", kind), ("outcome", status)))] = float(n)
    counts[("dmarc_report_messages_ingested", (("kind", kind),))] = float(messages)
    for le in (*DURATION_BUCKETS, float("inf")):
        if seconds <= le:
            counts[("dmarc_ingest_duration_seconds_bucket", (("le", _le(le)),))] = 1.0
    counts[("dmarc_ingest_duration_seconds_sum", ())] = seconds
    counts[("dmarc_ingest_duration_seconds_count", ())] = 1.0
    return counts


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def bucket_bounds() -> list[str]:
    """The histogram's bounds as its `le` labels, +Inf last."""
    return [_le(b) for b in (*DURATION_BUCKETS, float("inf"))]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""  # for the staff and the logs: may name hosts or mailboxes
    age: float | None = None  # seconds since the sign of life it reads


@dataclass
class Readiness:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def public(self) -> dict:
        """What anyone may read: a word per check, nothing of hosts, names or errors."""
        return {
            "status": OK if self.ok else DOWN,
            "checks": {c.name: OK if c.ok else DOWN for c in self.checks},
        }

    def full(self) -> dict:
        body = self.public()
        body["detail"] = {
            c.name: {"detail": c.detail, "age_seconds": None if c.age is None else round(c.age, 1)}
            for c in self.checks
        }
        return body


def fresh(name: str, last: datetime | float | None, now: datetime | float, limit: float, what: str) -> Check:
    """A check that `last` (a time or a Unix timestamp) is at most `limit` seconds before `now`."""
    if last is None:
        return Check(name, False, f"no {what} seen yet")
    age = (now - last).total_seconds() if isinstance(last, datetime) else float(now) - float(last)
    if age > limit:
        return Check(name, False, f"the last {what} was {age:.0f} s ago, more than {limit:.0f} s", age)
    return Check(name, True, f"the last {what} was {age:.0f} s ago", age)
