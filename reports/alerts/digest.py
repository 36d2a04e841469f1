"""The weekly digest: per domain of the user, the week's messages and DMARC pass rate against the week
before, new and changed sources, open alerts, the stage and readiness with the next record.

One Delivery per user and digest day (its key), so a digest run twice sends once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from reports.alerts import delivery, evidence, links, recipients, render
from reports.alerts.models import Alert, Delivery
from reports.alerts.rules import BLOCKED, STOPPED_ALIGNING
from reports.rollout import queries as rollout
from reports.rollups.models import DomainDay
from reports.rollups.queries import visible_domains
from reports.shared.dates import DateRange
from reports.sources import queries as source_queries
from reports.sources import trend_queries

# A change of the pass rate below this many points is not worth a line of its own.
QUIET_POINTS = 1.0


@dataclass
class Week:
    messages: int = 0
    dmarc_pass: int = 0

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.dmarc_pass / self.messages if self.messages else None


@dataclass
class DomainDigest:
    domain: str
    this: Week
    before: Week
    new_sources: list[dict] = field(default_factory=list)  # ip, service, category, messages
    changed_sources: list[dict] = field(default_factory=list)  # subject, title
    open_alerts: list[dict] = field(default_factory=list)  # severity, title
    stage: str = "none"
    next_stage: str | None = None
    ready: bool = False
    next_record: str = ""
    blocking: list[str] = field(default_factory=list)
    links: dict = field(default_factory=dict)
    # The aligned share of legitimate mail (reports.sources.trends), this week and the week before.
    aligned: float | None = None
    aligned_before: float | None = None
    services: list[dict] = field(default_factory=list)  # name, messages, pass_pct, change_text

    @property
    def change(self) -> float | None:
        if self.this.pass_rate is None or self.before.pass_rate is None:
            return None
        return self.this.pass_rate - self.before.pass_rate

    @property
    def quiet(self) -> bool:
        return not (
            self.new_sources
            or self.changed_sources
            or self.open_alerts
            or (self.change is not None and abs(self.change) >= QUIET_POINTS)
        )


@dataclass
class Digest:
    start: date
    end: date
    domains: list[DomainDigest]

    @property
    def quiet(self) -> bool:
        return all(d.quiet for d in self.domains)


def _week(domain: str, start: date, end: date) -> Week:
    agg = DomainDay.objects.filter(domain=domain, day__range=(start, end)).aggregate(
        m=Sum("messages"), p=Sum("dmarc_pass")
    )
    return Week(int(agg["m"] or 0), int(agg["p"] or 0))


def domain_digest(domain: str, start: date, end: date) -> DomainDigest:
    d = DomainDigest(
        domain,
        _week(domain, start, end),
        _week(domain, start - timedelta(days=7), start - timedelta(days=1)),
    )
    # The stored assessment, as the pages show it: a digest reads, it does not assess and store.
    shown, assessed = rollout.last_assessment(domain)
    if assessed is None:
        d.new_sources = rollout.new_sources(domain, start, end)
    else:
        d.new_sources = [
            {"ip": s.ip, "service": s.service, "category": s.category, "messages": s.messages}
            for s in assessed
            if s.first_seen and start <= s.first_seen <= end
        ]
    since = datetime.combine(start, time.min, tzinfo=UTC)
    d.changed_sources = [
        {"subject": a.subject, "title": a.title}
        for a in Alert.objects.filter(domain=domain, rule__in=(BLOCKED, STOPPED_ALIGNING), opened__gte=since)
    ]
    d.open_alerts = [
        {"severity": a.severity, "title": a.title}
        for a in Alert.objects.filter(domain=domain, resolved__isnull=True).order_by("opened")
    ]
    d.stage, d.next_stage, d.ready = shown["stage"], shown["next_stage"], shown["ready"]
    # What is safe to publish today, the readiness page's first step: a trial, never the full record.
    d.next_record = next((s.record for s in shown["steps"] if s.now), "")
    d.blocking = [c.message for c in shown["failed_checks"]]
    _add_trends(d, domain, start, end)
    d.links = {
        "overview": links.overview_page(domain),
        "alerts": links.alerts_page(domain),
        "readiness": links.readiness_page(domain),
    }
    return d


def _add_trends(d: DomainDigest, domain: str, start: date, end: date) -> None:
    """The week's aligned share of legitimate mail and each service's pass rate, against the week before
    (read from the rollups, like the pages' trends)."""
    week = DateRange(start, end)
    trend = trend_queries.domain_trend(domain, week)
    d.aligned, d.aligned_before = trend.current.aligned_pct, trend.before.aligned_pct
    names = dict(source_queries.services(domain))
    for sid, t in trend_queries.service_trends(domain, week).items():
        if t.current.messages:
            d.services.append(
                {
                    "name": names.get(sid, sid),
                    "messages": t.current.messages,
                    "pass_pct": t.current.pass_pct,
                    "change_text": t.pass_change_text,
                }
            )
    d.services.sort(key=lambda s: (-s["messages"], s["name"]))


def user_domains(user) -> list[str]:
    visible = visible_domains(user)
    every = evidence.monitored_domains()
    return every if visible is None else [d for d in every if d in set(visible)]


def period(today: date) -> tuple[date, date]:
    """The seven whole days before today."""
    return today - timedelta(days=7), today - timedelta(days=1)


def last_digest_day(now: datetime) -> date:
    """The most recent scheduled digest day at or before `now`."""
    today = now.date()
    back = (today.weekday() - settings.DMARC_DIGEST_DAY) % 7
    day = today - timedelta(days=back)
    if back == 0 and now.hour < settings.DMARC_DIGEST_HOUR:
        day -= timedelta(days=7)
    return day


def subscribers(username: str | None = None):
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if username:
        users = users.filter(username=username)
    return [u for u in users if recipients.digest_subscribed(u)]


@dataclass
class Result:
    user: str
    email: str
    domains: list[str]
    quiet: bool
    sent: bool
    already: bool = False

    def as_json(self) -> dict:
        return {
            "user": self.user,
            "email": self.email,
            "domains": self.domains,
            "quiet": self.quiet,
            "sent": self.sent,
            "already_sent": self.already,
        }


def run(day: date, *, username: str | None = None, dry_run: bool = False) -> list[Result]:
    """Digests for `day` (the key: one per user and day), for every subscribed user or one."""
    start, end = period(day)
    cache: dict[str, DomainDigest] = {}
    results, keys = [], {}
    for user in subscribers(username):
        key = f"digest:{user.pk}:{day.isoformat()}"
        domains = user_domains(user)
        if not domains:
            continue  # nothing to report on yet
        if Delivery.objects.filter(key=key).exists():
            results.append(Result(user.username, user.email, domains, False, False, already=True))
            continue
        for dom in domains:
            if dom not in cache:
                cache[dom] = domain_digest(dom, start, end)
        digest = Digest(start, end, [cache[d] for d in domains])
        results.append(Result(user.username, user.email, domains, digest.quiet, False))
        if dry_run:
            continue
        token = links.unsubscribe_token(user_id=user.pk, scope=links.DIGEST, address=user.email)
        unsubscribe = links.unsubscribe_url(token)
        msg = render.digest(digest, unsubscribe)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    key=key,
                    user=user,
                    kind=Delivery.DIGEST,
                    channel=Delivery.EMAIL,
                    target=user.email,
                    label=user.email,
                    subject=msg.subject,
                    text=msg.text,
                    html=msg.html,
                    unsubscribe=unsubscribe,
                    next_attempt=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )
        keys[key] = results[-1]
    if keys:
        ids = list(Delivery.objects.filter(key__in=keys).values_list("pk", flat=True))
        delivery.send_due(limit=len(ids), ids=ids)
        for key, state in Delivery.objects.filter(key__in=keys).values_list("key", "state"):
            keys[key].sent = state == Delivery.SENT
    return results
