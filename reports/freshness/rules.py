"""Is the data fresh enough to decide on? Plain rules over plain data, no database.

A verdict on stale data is worse than none: a mailbox that stopped polling, or a
reporter that went quiet, makes the last weeks look cleaner than they are. These
rules turn the last report per domain and reporter and each mailbox's last poll
into go/no-go checks and banners; reports.freshness.queries reads the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ReporterLast:
    """The newest report of one reporter for one domain."""

    reporter: str
    last_end: datetime  # end of the period the newest report covers
    received: datetime  # when it was imported
    reports: int = 0  # reports within the lookback


@dataclass(frozen=True)
class MailboxState:
    name: str
    enabled: bool
    last_poll: datetime | None
    last_success: datetime | None
    last_error: str


@dataclass(frozen=True)
class Finding:
    """A go/no-go check: ok True (passed), False (failed, blocks the verdict) or None (advice)."""

    code: str
    ok: bool | None
    text: str


@dataclass(frozen=True)
class MailboxHealth:
    name: str
    status: str  # ok | failing | stale | never | disabled
    text: str

    @property
    def healthy(self) -> bool:
        return self.status in ("ok", "disabled")


def mailbox_health(m: MailboxState, now: datetime, poll_hours: int) -> MailboxHealth:
    if not m.enabled:
        return MailboxHealth(m.name, "disabled", f"Mailbox {m.name} is disabled.")
    since = now - timedelta(hours=poll_hours)
    # A successful poll clears last_error: any error is the current state.
    if m.last_error:
        # The error itself (hosts, server text) is for superusers, on the ingestion status page: this text
        # shows on every page of the domain and is stored in its readiness summary.
        since = f" (no success since {_when(m.last_success)})" if m.last_success else ""
        return MailboxHealth(
            m.name,
            "failing",
            f"Mailbox {m.name} fails to poll{since}; the ingestion status page has the error.",
        )
    if m.last_success is None:
        return MailboxHealth(m.name, "never", f"Mailbox {m.name} has never been polled successfully.")
    if m.last_success < since:
        return MailboxHealth(
            m.name,
            "stale",
            f"Mailbox {m.name} has not been polled successfully since {_when(m.last_success)}.",
        )
    return MailboxHealth(m.name, "ok", f"Mailbox {m.name} polled successfully at {_when(m.last_success)}.")


def silent_reporters(reporters: list[ReporterLast], now: datetime, days: int) -> list[ReporterLast]:
    """Reporters whose newest report ended more than `days` days ago, the longest silent first."""
    since = now - timedelta(days=days)
    return sorted((r for r in reporters if r.last_end < since), key=lambda r: (r.last_end, r.reporter))


def report_check(domain: str, last_end: datetime | None, now: datetime, days: int) -> Finding:
    if last_end is None:
        return Finding("fresh-reports", False, f"No report for {domain} has been received yet.")
    if last_end < now - timedelta(days=days):
        return Finding(
            "fresh-reports",
            False,
            f"No report for {domain} in the last {_days(days)}: the newest covers mail up to "
            f"{_when(last_end)}. Check that reports still arrive before deciding.",
        )
    return Finding(
        "fresh-reports", True, f"Reports received in the last {_days(days)} (newest up to {_when(last_end)})."
    )


def mailbox_check(health: list[MailboxHealth], poll_hours: int) -> Finding:
    enabled = [h for h in health if h.status != "disabled"]
    if not enabled:
        return Finding(
            "mailboxes",
            None,
            "No polled mailbox delivers this domain's reports: they arrive by upload or command.",
        )
    bad = [h for h in enabled if not h.healthy]
    if bad:
        return Finding("mailboxes", False, " ".join(h.text for h in bad))
    hours = f"{poll_hours} hour{'s' if poll_hours != 1 else ''}"
    return Finding(
        "mailboxes",
        True,
        f"Every mailbox that delivers this domain's reports polled successfully in the last {hours}.",
    )


def checks(
    domain: str,
    last_end: datetime | None,
    mailboxes: list[MailboxHealth],
    now: datetime,
    report_days: int,
    poll_hours: int,
) -> list[Finding]:
    return [report_check(domain, last_end, now, report_days), mailbox_check(mailboxes, poll_hours)]


def banners(
    domain: str,
    last_end: datetime | None,
    reporters: list[ReporterLast],
    mailboxes: list[MailboxHealth],
    now: datetime,
    report_days: int,
) -> list[str]:
    """Warnings for the top of the overview and readiness pages: what makes the figures below stale."""
    out = [h.text for h in mailboxes if not h.healthy]
    if last_end is not None and last_end < now - timedelta(days=report_days):
        out.append(
            f"No report for {domain} in the last {_days(report_days)} (newest up to {_when(last_end)})."
        )
    else:
        for r in silent_reporters(reporters, now, report_days):
            who = r.reporter or "(unnamed reporter)"
            out.append(f"{who} has sent no report for {domain} since {_when(r.last_end)}.")
    return out


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
