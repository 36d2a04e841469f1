"""An MTA-STS policy file (RFC 8461 section 3.2): read, checked, matched against MX hosts, written."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_AGE_LIMIT = 31_557_600  # RFC 8461: at most about a year
MODES = ("none", "testing", "enforce")
STAGES = MODES  # the rollout goes through the modes in this order


@dataclass
class Policy:
    version: str = ""
    mode: str = ""
    mx: list[str] = field(default_factory=list)
    max_age: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def parse(text: str) -> Policy:
    policy = Policy()
    seen: set[str] = set()
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            policy.problems.append(f"line {number} is not a 'key: value' line: {line[:80]!r}")
            continue
        if key in seen and key != "mx":
            policy.problems.append(f"{key} is given more than once")
        seen.add(key)
        if key == "version":
            policy.version = value
        elif key == "mode":
            policy.mode = value
        elif key == "mx":
            policy.mx.append(value.lower().rstrip("."))
        elif key == "max_age":
            policy.max_age = int(value) if value.isdigit() and len(value) <= 10 else -1
    if policy.version != "STSv1":
        policy.problems.append("the first line must be 'version: STSv1'")
    if policy.mode not in MODES:
        policy.problems.append(f"mode must be none, testing or enforce, not {policy.mode or 'missing'!r}")
    if policy.mode in ("testing", "enforce") and not policy.mx:
        policy.problems.append("a testing or enforce policy needs at least one 'mx:' line")
    if policy.max_age is None:
        policy.problems.append("max_age is missing")
    elif not 0 <= policy.max_age <= MAX_AGE_LIMIT:
        policy.problems.append(f"max_age must be a whole number of seconds from 0 to {MAX_AGE_LIMIT}")
    for pattern in policy.mx:
        if not _pattern_ok(pattern):
            policy.problems.append(f"mx pattern {pattern!r} is not a host name (a leading '*.' is allowed)")
    return policy


def _pattern_ok(pattern: str) -> bool:
    name = pattern[2:] if pattern.startswith("*.") else pattern
    labels = name.split(".")
    return len(labels) >= 2 and all(
        0 < len(x) <= 63 and x.replace("-", "").isalnum() and not x.startswith("-") for x in labels
    )


def matches(pattern: str, host: str) -> bool:
    """RFC 8461 section 4.1: '*.' matches exactly one leftmost label."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def uncovered(patterns: list[str], hosts: list[str]) -> list[str]:
    """The MX hosts no pattern of the policy matches: mail to them bounces under enforce."""
    return [h for h in hosts if not any(matches(p, h) for p in patterns)]


def render(mode: str, mx: list[str], max_age: int) -> str:
    """A policy file, as it is to be served at /.well-known/mta-sts.txt."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"
