"""One SMTP TLS report (RFC 8460 JSON) from bytes: hostile input, so everything is bounded.

The size is capped before json reads it, nesting is measured before parsing (the json module
recurses), list lengths and strings are capped, and counts must be whole numbers in range.
Real reporters differ: mx-host as a string or a list, no policy-string, no contact, failure
details without IPs or MX names; all of that is accepted. Unknown fields are ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from reports.shared.names import domain_name, ip_text

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 8  # report > policies > policy > failure-details > detail is 5
MAX_POLICIES = 100
MAX_DETAILS = 1000  # per policy
MAX_LINES = 100  # policy-string lines, mx-host entries
MAX_COUNT = 2**53  # sessions in one report: anything larger is a broken counter
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
POLICY_TYPES = ("sts", "tlsa", "no-policy-found")


class TlsReportError(ValueError):
    """The bytes are not a TLS report we can store; the message says why, for users."""


class NotTlsReport(TlsReportError):
    """JSON, but nothing like a TLS report."""


@dataclass
class FailureDetail:
    result_type: str
    failed_sessions: int
    sending_mta_ip: str | None = None
    receiving_mx_hostname: str = ""
    receiving_mx_helo: str = ""
    receiving_ip: str | None = None
    failure_reason_code: str = ""
    additional_information: str = ""


@dataclass
class Policy:
    policy_type: str
    policy_domain: str
    policy_string: list[str] = field(default_factory=list)
    mx_hosts: list[str] = field(default_factory=list)
    successful_sessions: int = 0
    failed_sessions: int = 0
    failures: list[FailureDetail] = field(default_factory=list)


@dataclass
class TlsReport:
    org_name: str
    report_id: str
    start: datetime
    end: datetime
    contact: str = ""
    policies: list[Policy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def day(self) -> date:
        """The UTC day the report's sessions are counted on: its range's middle, since reporters
        cover one day but not always from midnight to midnight."""
        return (self.start + (self.end - self.start) / 2).date()

    @property
    def domains(self) -> list[str]:
        return sorted({p.policy_domain for p in self.policies})

    @property
    def successful_sessions(self) -> int:
        return sum(p.successful_sessions for p in self.policies)

    @property
    def failed_sessions(self) -> int:
        return sum(p.failed_sessions for p in self.policies)


def looks_like_tlsrpt(head: bytes) -> bool:
    """Whether JSON bytes start like a TLS report (for JSON met among an email's parts)."""
    return b'"policies"' in head or b'"organization-name"' in head


def parse(data: bytes, max_bytes: int = MAX_BYTES) -> TlsReport:
    if len(data) > max_bytes:
        raise TlsReportError(f"the TLS report is more than {max_bytes} bytes, the limit")
    depth = nesting(data)
    if depth > MAX_DEPTH:
        raise TlsReportError(f"the JSON is nested {depth} deep, more than a TLS report's {MAX_DEPTH}")
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise TlsReportError(f"the TLS report is not valid JSON ({_short(e)})") from None
    if not isinstance(doc, dict) or not ("policies" in doc or "organization-name" in doc):
        raise NotTlsReport("not a TLS report: JSON without organization-name or policies")
    return _report(doc)


def nesting(data: bytes) -> int:
    """How deep the JSON's arrays and objects nest, strings skipped; linear, no recursion."""
    deepest = depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if m.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _report(doc: dict) -> TlsReport:
    org = _text(doc, "organization-name", 255)
    report_id = _text(doc, "report-id", 255)
    if not org:
        raise TlsReportError("the TLS report has no organization-name")
    if not report_id:
        raise TlsReportError("the TLS report has no report-id")
    dates = doc.get("date-range")
    if not isinstance(dates, dict):
        raise TlsReportError("the TLS report has no date-range")
    start, end = _when(dates, "start-datetime"), _when(dates, "end-datetime")
    if end < start or end - start > timedelta(days=31):
        raise TlsReportError(
            f"the TLS report's date-range ({start} to {end}) is not a period of at most 31 days"
        )
    policies = doc.get("policies")
    if not isinstance(policies, list) or not policies:
        raise TlsReportError("the TLS report has no policies")
    if len(policies) > MAX_POLICIES:
        raise TlsReportError(
            f"the TLS report has {len(policies)} policies, more than the limit of {MAX_POLICIES}"
        )
    report = TlsReport(org, report_id, start, end, _text(doc, "contact-info", 255))
    report.policies = [_policy(p, n, report.warnings) for n, p in enumerate(policies, 1)]
    return report


def _policy(item, n: int, warnings: list[str]) -> Policy:
    if not isinstance(item, dict):
        raise TlsReportError(f"policy {n} of the TLS report is not an object")
    head = item.get("policy")
    if not isinstance(head, dict):
        raise TlsReportError(f"policy {n} has no policy object")
    kind = _text(head, "policy-type", 32).lower()
    if kind not in POLICY_TYPES:
        raise TlsReportError(f"policy {n} has policy-type {kind!r}, not one of {', '.join(POLICY_TYPES)}")
    domain = domain_name(_text(head, "policy-domain", 255))
    if not domain:
        raise TlsReportError(f"policy {n} has no valid policy-domain")
    summary = item.get("summary")
    if not isinstance(summary, dict):
        raise TlsReportError(f"policy {n} has no summary")
    policy = Policy(
        kind,
        domain,
        _lines(head, "policy-string"),
        [h.lower().rstrip(".") for h in _lines(head, "mx-host")],
        _count(summary, "total-successful-session-count", f"policy {n}"),
        _count(summary, "total-failure-session-count", f"policy {n}"),
    )
    details = item.get("failure-details") or []
    if not isinstance(details, list):
        raise TlsReportError(f"policy {n}'s failure-details is not a list")
    if len(details) > MAX_DETAILS:
        raise TlsReportError(
            f"policy {n} has {len(details)} failure details, more than the limit of {MAX_DETAILS}"
        )
    policy.failures = [_detail(d, f"failure detail {i} of policy {n}") for i, d in enumerate(details, 1)]
    listed = sum(f.failed_sessions for f in policy.failures)
    if listed > policy.failed_sessions:
        warnings.append(
            f"policy {n}'s failure details add up to {listed} sessions, more than its total of"
            f" {policy.failed_sessions}"
        )
    return policy


def _detail(item, where: str) -> FailureDetail:
    if not isinstance(item, dict):
        raise TlsReportError(f"{where} is not an object")
    result = _text(item, "result-type", 64).lower()
    if not result:
        raise TlsReportError(f"{where} has no result-type")
    return FailureDetail(
        result,
        _count(item, "failed-session-count", where),
        ip_text(_text(item, "sending-mta-ip", 64)),
        _text(item, "receiving-mx-hostname", 255).lower().rstrip("."),
        _text(item, "receiving-mx-helo", 255),
        ip_text(_text(item, "receiving-ip", 64)),
        # RFC 8460's example says failure-error-code; its grammar says failure-reason-code.
        _text(item, "failure-reason-code", 255) or _text(item, "failure-error-code", 255),
        _text(item, "additional-information", 2000),
    )


def _text(obj: dict, key: str, limit: int) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TlsReportError(f"{key} is not a string")
    text = "".join(c for c in str(value) if c.isprintable()).strip()
    if len(text) > limit:
        raise TlsReportError(f"{key} is longer than {limit} characters")
    return text


def _lines(obj: dict, key: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TlsReportError(f"{key} is neither a string nor a list of strings")
    if len(values) > MAX_LINES:
        raise TlsReportError(f"{key} has {len(values)} entries, more than the limit of {MAX_LINES}")
    return [v.strip()[:255] for v in values if v.strip()]


def _count(obj: dict, key: str, where: str) -> int:
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise TlsReportError(f"{where}: {key} is not a whole number from 0 to {MAX_COUNT}")
    return value


def _when(obj: dict, key: str) -> datetime:
    text = _text(obj, key, 64)
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise TlsReportError(f"{key} {text!r} is not an RFC 3339 date and time") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if not 2000 <= when.year <= 2200:
        raise TlsReportError(f"{key} {text!r} is out of range")
    return when


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:200]
