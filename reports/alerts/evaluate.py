"""One evaluation: gather evidence, judge the rules, record transitions, queue and send the messages.

Called by the Celery tasks (after an import, on the beat schedule) and by `manage.py alerts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from reports.alerts import actions, delivery, evidence, queries, recipients, rules, state
from reports.alerts.models import Alert, Delivery

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    domain: str
    rule: str
    key: str
    state: str
    severity: str
    title: str
    recipients: list[str] = field(default_factory=list)
    sent: bool = False

    def as_json(self) -> dict:
        return {
            "domain": self.domain,
            "rule": self.rule,
            "key": self.key,
            "state": self.state,
            "severity": self.severity,
            "title": self.title,
            "recipients": self.recipients,
            "sent": self.sent,
        }


def judge(domains: list[str], *, mailboxes: bool) -> tuple[list[state.Transition], dict, list]:
    """Transitions for `domains` (and the mailboxes, which belong to no domain); also the evidence seen."""
    now = timezone.now()
    transitions, seen = [], []
    caps = {}
    open_by_domain: dict[str, list[state.OpenAlert]] = {}
    for a in queries.open_states([*domains, ""]):
        open_by_domain.setdefault(a.domain, []).append(a)
    for domain in domains:
        limits = evidence.thresholds(domain)
        caps[domain] = limits.hourly_cap
        try:
            ev = evidence.domain_evidence(domain, limits)
        except Exception:
            # One domain's broken evidence must not silence the others.
            log.exception("Alerts: could not gather the evidence of %s", domain)
            continue
        seen.append(ev)
        found, judged = rules.conditions(ev, limits)
        transitions += state.transitions(open_by_domain.get(domain, []), found, judged, {domain})
    if mailboxes:
        limits = evidence.thresholds("")
        caps[""] = limits.hourly_cap
        found = rules.mailbox_silence(evidence.mailboxes(), now, limits)
        transitions += state.transitions(open_by_domain.get("", []), found, {rules.SILENCE}, {""})
    return transitions, caps, seen


def run(domains: list[str] | None = None, *, dry_run: bool = False) -> list[Outcome]:
    """Evaluate `domains` (None: every monitored domain and the mailboxes), record what fired or
    resolved, queue its messages and send every due one. Returns one Outcome per announced transition,
    and per alert the hourly cap had held back that goes out now."""
    everything = domains is None
    domains = evidence.monitored_domains() if everything else domains
    transitions, caps, seen = judge(domains, mailboxes=everything)
    if dry_run:
        return [_dry(t) for t in transitions if t.announced]

    now = timezone.now()
    outcomes: dict[tuple[str, str], Outcome] = {}
    for t in transitions:
        alert = actions.record(t, now)
        # An event's end (a record changed, a source appeared) is recorded, not announced.
        if alert is not None and t.announced:
            outcomes[(t.key, t.state)] = Outcome(
                alert.domain, alert.rule, alert.key, t.state, alert.severity, alert.title
            )
    for ev in seen:
        actions.remember_record(ev.domain, ev.dns)
    if everything:
        actions.remember_mailbox_failures()
    scope = [*domains, ""] if everything else domains
    queued = actions.queue_messages(scope, caps, now)
    delivery.send_due()
    for alert, kind, rows in queued:
        out = outcomes.get((alert.key, kind))
        if out is None:  # held back by the cap in an earlier run, queued now
            out = outcomes[(alert.key, kind)] = Outcome(
                alert.domain, alert.rule, alert.key, kind, alert.severity, alert.title
            )
        out.recipients = [r.label for r in rows]
        states = list(Delivery.objects.filter(alert=alert, kind=kind).values_list("state", flat=True))
        out.sent = bool(states) and all(s == Delivery.SENT for s in states)
    return list(outcomes.values())


def _dry(t: state.Transition) -> Outcome:
    if t.state == state.FIRING:
        c = t.condition
        severity, title = c.severity, c.title
    else:
        a = Alert.objects.filter(key=t.key, resolved__isnull=True).first()
        severity, title = (a.severity, a.title) if a else ("", "")
    return Outcome(
        t.domain,
        t.rule,
        t.key,
        t.state,
        severity,
        title,
        [r.label for r in recipients.for_alert(t.domain, t.rule)],
        False,
    )
