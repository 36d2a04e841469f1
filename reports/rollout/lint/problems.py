"""What the linters find."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    code: str
    severity: str  # error: receivers ignore or misread something; warning: works, but should change
    message: str

    def as_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message}
