"""Gather what the rules judge: per-source figures from the rollups, the rollout assistant's verdicts,
the DNS inspector's findings, mailbox health. Runs in Celery or a command, never in a page request.

The rollout assistant is reached through its stored assessment of the default window (what the pages
show) and an assessment of the recent window computed here and not stored: an evaluation changes no
summary nor service that the pages read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from reports.alerts import facts
from reports.alerts.models import AlertMemory, AlertThresholds
from reports.alerts.tls import MxFailures, TlsEvidence
from reports.ingest.models import Report
from reports.mail.models import Mailbox
from reports.mtasts import actions as mtasts
from reports.rollout import queries as rollout
from reports.rollout.evidence import first_days
from reports.rollout.readiness import assess
from reports.rollups import queries as rollups
from reports.rollups.models import DailyRollup
from reports.shared.dates import WINDOW_DAYS
from reports.tlsrpt import queries as tlsrpt

DMARC_MEMORY = "dmarc-record"


def thresholds(domain: str) -> facts.Thresholds:
    base = facts.Thresholds(
        silent_days=settings.DMARC_ALERT_SILENT_DAYS,
        mailbox_hours=settings.DMARC_ALERT_MAILBOX_HOURS,
        min_messages=settings.DMARC_ALERT_MIN_MESSAGES,
        recent_days=settings.DMARC_ALERT_RECENT_DAYS,
        hourly_cap=settings.DMARC_ALERT_HOURLY_CAP,
    )
    own = AlertThresholds.objects.filter(domain=domain).first() if domain else None
    if own:
        for name in ("silent_days", "min_messages", "recent_days", "hourly_cap"):
            if getattr(own, name) is not None:
                setattr(base, name, getattr(own, name))
    return base


def monitored_domains(days: int = WINDOW_DAYS) -> list[str]:
    """The monitored domains, and every domain with reports in the window (until every domain has a row)."""
    return rollups.monitored(since=timezone.now().date() - timedelta(days=days))


def _figures(domain: str, start: date, recent_start: date, today: date) -> dict[str, dict]:
    """Per source: messages and passes before `recent_start`, and messages, passes and blocked since."""
    sql = f"""
        SELECT host(source_ip),
               SUM(messages) FILTER (WHERE day < %s), SUM(dmarc_pass) FILTER (WHERE day < %s),
               SUM(messages) FILTER (WHERE day >= %s), SUM(dmarc_pass) FILTER (WHERE day >= %s),
               SUM(quarantined + rejected) FILTER (WHERE day >= %s)
        FROM {DailyRollup._meta.db_table}
        WHERE domain = %s AND day >= %s AND day <= %s
        GROUP BY 1
    """
    out = {}
    with connection.cursor() as cur:
        cur.execute(sql, [recent_start] * 5 + [domain, start, today])
        for ip, e_msg, e_pass, r_msg, r_pass, r_blocked in cur.fetchall():
            out[ip] = {
                "earlier_messages": int(e_msg or 0),
                "earlier_pass": int(e_pass or 0),
                "recent_messages": int(r_msg or 0),
                "recent_pass": int(r_pass or 0),
                "recent_blocked": int(r_blocked or 0),
            }
    return out


# Days without a blocked message (or without reports) that still count as one run of blocking.
BLOCKED_GAP_DAYS = 2


def _blocked_runs(domain: str, start: date, today: date) -> dict[str, tuple[date, int]]:
    """Per source blocked lately: the first day of its current run of blocked days and the messages
    quarantined or rejected since then, so that an alert says when the blocking began."""
    sql = f"""
        SELECT host(source_ip), day, SUM(quarantined + rejected)
        FROM {DailyRollup._meta.db_table}
        WHERE domain = %s AND day >= %s AND day <= %s AND quarantined + rejected > 0
        GROUP BY 1, 2 ORDER BY 1, 2 DESC
    """
    days: dict[str, list[tuple[date, int]]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, [domain, start, today])
        for ip, day, n in cur.fetchall():
            days.setdefault(ip, []).append((day, int(n)))
    out = {}
    for ip, rows in days.items():
        first, total = rows[0][0], 0
        for day, n in rows:  # newest first
            if (first - day).days > BLOCKED_GAP_DAYS + 1:
                break
            first, total = day, total + n
        out[ip] = (first, total)
    return out


def domain_evidence(
    domain: str, limits: facts.Thresholds, *, today: date | None = None
) -> facts.DomainEvidence:
    today = today or timezone.now().date()
    recent_start = today - timedelta(days=limits.recent_days - 1)
    ev = facts.DomainEvidence(domain, today, recent_start)
    last = Report.objects.filter(domain=domain).aggregate(last=Max("begin"))["last"]
    ev.last_report = last.date() if last else None

    whole, _ = rollout.last_assessment(domain, WINDOW_DAYS)
    now = assess(domain, days=limits.recent_days)
    verdicts = {s.ip: s for s in now.sources}
    by_source = _figures(domain, today - timedelta(days=WINDOW_DAYS - 1), recent_start, today)
    first_seen = first_days(domain, by_source)
    runs = _blocked_runs(domain, today - timedelta(days=WINDOW_DAYS - 1), today)
    for ip, figures in by_source.items():
        verdict = verdicts.get(ip)
        ev.sources.append(
            facts.SourceEvidence(
                ip=ip,
                service=verdict.service if verdict else "",
                category=verdict.category if verdict else "",
                diagnosis=" ".join(verdict.problems) if verdict else "",
                fix=" ".join(verdict.fixes) if verdict else "",
                first_seen=first_seen.get(ip) or (verdict.first_seen if verdict else None),
                blocked_since=runs[ip][0] if ip in runs else None,
                blocked_total=runs[ip][1] if ip in runs else 0,
                **figures,
            )
        )
    ev.sources.sort(key=lambda s: (-s.recent_messages, s.ip))
    now_steps = [s for s in whole["steps"] if s.now]
    ev.readiness = facts.ReadinessEvidence(
        whole["stage"],
        whole["next_stage"],
        whole["ready"],
        whole["next_record"],
        now_steps[0].record if now_steps else "",
        [now_steps[0].rfc7489, now_steps[0].rfc9989, now_steps[0].subdomains] if now_steps else [],
    )
    ev.dns = _dns(domain, whole["inspection"], whole["dkim_passing"])
    ev.tls = tls_evidence(domain, recent_start, today)
    return ev


def tls_evidence(domain: str, recent_start: date, today: date) -> TlsEvidence | None:
    """The TLS reports of the window, split at recent_start, and the stored MTA-STS check."""
    start = today - timedelta(days=WINDOW_DAYS - 1)
    if not tlsrpt.window(domain, start, today)["reporters"]:
        return None
    advice = mtasts.assess(domain)
    p = advice.published
    out = TlsEvidence(
        earlier_days=max(1, (recent_start - start).days),
        recent_days=(today - recent_start).days + 1,
        mode=p.mode,
        checked=p.checked,
        fetch_error=p.problems.get("policy_fetch", ""),
        # Without a policy read, every MX is "uncovered": the fetch alert says it once instead.
        uncovered=[m["host"] for m in p.mx if not m["covered"]] if p.policy else [],
        ready=advice.ready,
        next_stage=advice.next_stage,
        next_policy=advice.next_policy,
        next_txt=advice.next_txt,
    )
    halves = ((start, recent_start - timedelta(days=1), "earlier"), (recent_start, today, "recent"))
    for since, until, attr in halves:
        for (kind, mx, reporter), n in tlsrpt.window(domain, since, until)["failures"].items():
            f = out.by_mx.setdefault(mx, MxFailures())
            setattr(f, attr, getattr(f, attr) + n)
            if attr == "recent":
                f.types = sorted({*f.types, kind})
                f.reporters = sorted({*f.reporters, reporter})
    return out


def _errors(problems) -> list[tuple[str, str]]:
    return [(p.code, p.message) for p in problems if p.severity == "error"]


def _dns(domain: str, inspection, dkim_passing) -> facts.DnsEvidence:
    dmarc = inspection.dmarc
    if dmarc.lookup_error:
        return facts.DnsEvidence(checked=False)
    memory = AlertMemory.objects.filter(domain=domain, name=DMARC_MEMORY).first()
    record = dmarc.record.raw if dmarc.record else ""
    # DKIM keys that signed mail passing DKIM in the window: their absence breaks that mail.
    passing = {tuple(key) for key in dkim_passing}
    missing = [
        (key.name, " ".join(p.message for p in key.problems))
        for key in inspection.dkim
        if (key.selector, key.domain) in passing
        and any(p.code in ("no-key", "revoked") for p in key.problems)
    ]
    return facts.DnsEvidence(
        checked=True,
        dmarc_record=record,
        dmarc_problems=_errors(dmarc.problems),
        previous_record=memory.value if memory else None,
        spf_record=inspection.spf.record,
        spf_problems=_errors(inspection.spf.problems),
        spf_lookups=inspection.spf.lookups,
        missing_dkim=missing,
    )


def mailboxes() -> list[facts.MailboxEvidence]:
    out = []
    for m in Mailbox.objects.only("name", "enabled", "last_success", "last_poll", "last_error"):
        ev = facts.MailboxEvidence(m.name, m.enabled, m.last_success, m.last_poll, m.last_error)
        if m.last_success is None and m.last_poll is not None:
            # The mailbox keeps no date of its own for "failing since": the first evaluation that saw it
            # is (reports.alerts.actions.remember_mailbox_failures keeps it).
            memory = AlertMemory.objects.filter(domain="", name=failing_since_key(m.pk)).first()
            ev.first_failure = datetime.fromisoformat(memory.value) if memory else timezone.now()
        out.append(ev)
    return out


def failing_since_key(mailbox_pk: int) -> str:
    return f"mailbox-failing:{mailbox_pk}"
