"""What the linters read: DNS answers from a `resolve(name, rdtype) -> Answer` callable, and the problems
they find."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

# Errors an Answer can carry. NXDOMAIN and NODATA are answers, not failures.
NXDOMAIN = "nxdomain"
NODATA = "nodata"


@dataclass
class Answer:
    name: str
    rdtype: str
    records: list[str] = field(default_factory=list)  # TXT joined and decoded; names without the dot
    error: str = ""  # "", nxdomain, nodata, or a failure such as "timeout"
    ttl: int = 0
    fetched: datetime | None = None

    @property
    def failed(self) -> bool:
        """The DNS could not say (timeout, SERVFAIL): nothing is known about the name."""
        return bool(self.error) and self.error not in (NXDOMAIN, NODATA)


Resolve = Callable[[str, str], Answer]


@dataclass
class Problem:
    code: str
    severity: str  # error: receivers ignore or misread something; warning: works, but should change
    message: str

    def as_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message}
