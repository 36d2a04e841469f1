"""The plain data the alert rules judge (a domain's evidence, a mailbox's, the thresholds) and the
conditions they find (reports.alerts.rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reports.shared.vocabulary import ALIGNED_SHARE

# A source counts as having aligned when at least this share of its earlier mail passed DMARC,
# and as having stopped when at least this share of its recent mail fails.
WAS_ALIGNED_SHARE = ALIGNED_SHARE
NOW_FAILING_SHARE = 0.10


def alert_key(domain: str, rule: str, subject: str) -> str:
    return f"{domain}|{rule}|{subject}"


@dataclass
class Thresholds:
    silent_days: int = 3
    mailbox_hours: int = 6
    min_messages: int = 10
    recent_days: int = 2
    hourly_cap: int = 10


@dataclass
class SourceEvidence:
    """One sending IP: its earlier and recent figures, and the rollout assistant's verdict on its
    recent mail."""

    ip: str
    service: str = ""
    category: str = ""  # aligned | forwarded | misconfigured | unknown (recent mail)
    diagnosis: str = ""
    fix: str = ""
    first_seen: date | None = None
    earlier_messages: int = 0
    earlier_pass: int = 0
    recent_messages: int = 0
    recent_pass: int = 0
    recent_blocked: int = 0  # quarantined or rejected by the receivers
    blocked_since: date | None = None  # the first day of the current run of blocked days
    blocked_total: int = 0  # quarantined or rejected since then

    @property
    def name(self) -> str:
        return self.service or self.ip

    @property
    def recent_failing(self) -> int:
        return self.recent_messages - self.recent_pass

    @property
    def was_aligned(self) -> bool:
        return self.earlier_messages > 0 and self.earlier_pass >= WAS_ALIGNED_SHARE * self.earlier_messages


@dataclass
class DnsEvidence:
    """The domain's records as the DNS inspector saw them; `checked` is False when the DNS did not answer."""

    checked: bool = True
    dmarc_record: str = ""  # "" when there is none
    dmarc_problems: list[tuple[str, str]] = field(default_factory=list)  # (code, message), errors only
    previous_record: str | None = None  # what the alerts saw last time; None: never looked
    spf_record: str = ""
    spf_problems: list[tuple[str, str]] = field(default_factory=list)  # errors only
    spf_lookups: int = 0
    missing_dkim: list[tuple[str, str]] = field(
        default_factory=list
    )  # (key name, problem) of keys seen passing


@dataclass
class ReadinessEvidence:
    stage: str = "none"
    next_stage: str | None = None
    ready: bool = False
    next_record: str = ""
    # The step safe to publish today (reports.rollout.rules.staging): the same one the readiness page
    # offers, a trial for both generations of receivers, and what each generation does with it.
    step: str = ""
    step_effects: list[str] = field(default_factory=list)


@dataclass
class DomainEvidence:
    domain: str
    today: date
    recent_start: date  # first day of "now"
    sources: list[SourceEvidence] = field(default_factory=list)
    dns: DnsEvidence | None = None  # None: not looked at this time
    readiness: ReadinessEvidence | None = None
    last_report: date | None = None  # the day the newest report begins
    tls: object | None = None  # reports.alerts.tls.TlsEvidence; None: no TLS reports


@dataclass
class MailboxEvidence:
    name: str
    enabled: bool
    last_success: datetime | None
    last_poll: datetime | None
    last_error: str
    first_failure: datetime | None = None  # when the alerts first saw it polled but never successfully


@dataclass
class Condition:
    domain: str
    rule: str
    subject: str
    severity: str
    title: str
    text: str
    facts: dict = field(default_factory=dict)
    announce_resolved: bool = True

    @property
    def key(self) -> str:
        return alert_key(self.domain, self.rule, self.subject)
