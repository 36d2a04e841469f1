"""Writing alert rows and their deliveries: the database decides what has fired already.

1. A firing transition inserts the alert; the partial unique key (one open
   alert per key) turns a second insert, by a concurrent run, into a no-op.
2. A resolved transition is a conditional update (resolved is still empty):
   exactly one run resolves it.
3. Messages are queued per alert under the domain's hourly cap, in the
   transaction that marks the alert notified; what the cap holds back is
   queued by a later run.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from reports.alerts import facts, links, recipients, render
from reports.alerts.evidence import DMARC_MEMORY, failing_since_key
from reports.alerts.models import Alert, AlertMemory, Delivery
from reports.alerts.state import FIRING, RESOLVED, Transition, within_cap
from reports.mail.models import Mailbox

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def record(t: Transition, now) -> Alert | None:
    """Write one transition; None when another run got there first."""
    if t.state == FIRING:
        c = t.condition
        try:
            with transaction.atomic():
                return Alert.objects.create(
                    key=c.key,
                    domain=c.domain,
                    rule=c.rule,
                    subject=c.subject[:400],
                    severity=c.severity,
                    title=c.title[:500],
                    text=c.text,
                    facts=c.facts,
                    opened=now,
                    announce_resolved=c.announce_resolved,
                )
        except IntegrityError:
            return None
    alert = Alert.objects.filter(key=t.key, resolved__isnull=True).first()
    if alert is None or not Alert.objects.filter(pk=alert.pk, resolved__isnull=True).update(resolved=now):
        return None
    alert.resolved = now
    return alert


def _to_announce(domains: list[str]):
    """Alerts whose firing or resolved message is still to be queued (held back by the cap, or new)."""
    firing = Q(notified__isnull=True, resolved__isnull=True)
    resolved = Q(
        resolved__isnull=False, announce_resolved=True, notified__isnull=False, resolved_notified__isnull=True
    )
    rows = list(Alert.objects.filter(firing | resolved, domain__in=domains))
    rows.sort(key=lambda a: (a.resolved is not None, SEVERITY_ORDER.get(a.severity, 9), a.opened, a.pk))
    return rows


def _sent_last_hour(domains: list[str], now) -> dict[str, int]:
    since = now - timedelta(hours=1)
    counts: dict[str, int] = {}
    for domain, notified, resolved_notified in Alert.objects.filter(
        Q(notified__gte=since) | Q(resolved_notified__gte=since), domain__in=domains
    ).values_list("domain", "notified", "resolved_notified"):
        counts[domain] = (
            counts.get(domain, 0)
            + (notified is not None and notified >= since)
            + (resolved_notified is not None and resolved_notified >= since)
        )
    return counts


def queue_messages(domains: list[str], caps: dict[str, int], now) -> list[tuple[Alert, str, list[Delivery]]]:
    """Queue the messages of every alert that has one to send, as far as each domain's cap allows.

    Returns (alert, firing|resolved, deliveries) per alert queued.
    """
    pending = _to_announce(domains)
    caps = {d: caps.get(d, settings.DMARC_ALERT_HOURLY_CAP) for d in domains}
    allowed = within_cap([a.domain for a in pending], _sent_last_hour(domains, now), caps)
    out = []
    for alert, ok in zip(pending, allowed, strict=True):
        if not ok:
            continue
        state = RESOLVED if alert.resolved else FIRING
        with transaction.atomic():
            field = "resolved_notified" if state == RESOLVED else "notified"
            claimed = Alert.objects.filter(pk=alert.pk, **{f"{field}__isnull": True}).update(**{field: now})
            if not claimed:
                continue  # another run queued it
            out.append((alert, state, _deliveries(alert, state, now)))
    return out


def _deliveries(alert: Alert, state: str, now) -> list[Delivery]:
    rows = []
    for r in recipients.for_alert(alert.domain, alert.rule):
        unsubscribe = ""
        if r.channel == recipients.EMAIL:
            token = links.unsubscribe_token(
                user_id=r.user_id, scope=f"alerts:{alert.domain}", address=r.target
            )
            unsubscribe = links.unsubscribe_url(token)
        msg = render.alert(alert, state, unsubscribe)
        rows.append(
            Delivery(
                key=f"alert:{alert.pk}:{state}:{r.channel}:{recipients.target_key(r)}"[:1000],
                alert=alert,
                user_id=r.user_id,
                kind=state,
                channel=r.channel,
                target=r.target,
                label=r.label[:500],
                subject=msg.subject,
                text=msg.text,
                html=msg.html if r.channel == recipients.EMAIL else "",
                unsubscribe=unsubscribe[:1000],
                next_attempt=now,
            )
        )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def remember_record(domain: str, dns: facts.DnsEvidence | None) -> None:
    """Keep the DMARC record just seen, so that the next evaluation can tell a change."""
    if dns is None or not dns.checked:
        return
    AlertMemory.objects.update_or_create(
        domain=domain, name=DMARC_MEMORY, defaults={"value": dns.dmarc_record}
    )


def remember_mailbox_failures() -> None:
    """Keep when each failing mailbox was first seen failing (reports.alerts.evidence.mailboxes)."""
    now = timezone.now().isoformat()
    for pk in Mailbox.objects.filter(last_success__isnull=True, last_poll__isnull=False).values_list(
        "pk", flat=True
    ):
        AlertMemory.objects.get_or_create(domain="", name=failing_since_key(pk), defaults={"value": now})
