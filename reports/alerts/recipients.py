"""Who hears about an alert, and through which channel.

Each user who may see the domain (reports.access.users_for_domain) chooses per
domain which rules reach them, by email and through Apprise URLs; no choice
made means every rule, by email. DMARC_ALERT_EMAILS and DMARC_ALERT_URLS hear
about every domain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import apprise
from django.conf import settings
from django.contrib.auth import get_user_model

from reports.access.queries import users_for_domain
from reports.alerts.models import AlertPreference, DigestSubscription
from reports.alerts.rules import RULES

EMAIL, APPRISE = "email", "apprise"


@dataclass(frozen=True)
class Recipient:
    channel: str  # email | apprise
    target: str  # address or Apprise URL
    user_id: int | None = None  # None: from the environment

    @property
    def label(self) -> str:
        return hidden(self.target) if self.channel == APPRISE else self.target


def hidden(url: str) -> str:
    """An Apprise URL with its tokens and passwords hidden (Apprise's own privacy form)."""
    try:
        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # noqa: BLE001 (a hostile URL must not break a page)
        plugin = None
    if plugin:
        return plugin.url(privacy=True).split("?", 1)[0]
    return url.split("://", 1)[0] + "://…" if "://" in url else "(invalid URL)"


def target_key(r: Recipient) -> str:
    """How a delivery's unique key names its recipient: an Apprise URL by its digest, since the key
    is stored in clear and the URL holds secrets."""
    if r.channel == APPRISE:
        return "sha256:" + hashlib.sha256(r.target.encode()).hexdigest()
    return r.target


def split_urls(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@dataclass
class Choice:
    """A user's choice for one domain, or the default."""

    rules: list[str]
    email: bool
    urls: list[str]


def default_choice() -> Choice:
    return Choice(list(RULES), True, [])


def choices(user_ids: list[int], domain: str) -> dict[int, Choice]:
    rows = AlertPreference.objects.filter(user_id__in=user_ids, domain=domain)
    return {p.user_id: Choice(list(p.rules), p.email, split_urls(p.urls)) for p in rows}


def users_of(domain: str) -> list:
    if domain:
        return list(users_for_domain(domain))
    # What belongs to no domain (a mailbox) quotes the mailbox's error (its host, a server's banner),
    # which only superusers see (reports/access): they alone hear about it.
    return list(get_user_model().objects.filter(is_active=True, is_superuser=True).order_by("pk"))


def for_alert(domain: str, rule: str) -> list[Recipient]:
    users = users_of(domain)
    chosen = choices([u.pk for u in users], domain)
    out: list[Recipient] = []
    for u in users:
        choice = chosen.get(u.pk) or default_choice()
        if rule not in choice.rules:
            continue
        if choice.email and u.email:
            out.append(Recipient(EMAIL, u.email, u.pk))
        out += [Recipient(APPRISE, url, u.pk) for url in choice.urls]
    out += [Recipient(EMAIL, a) for a in settings.DMARC_ALERT_EMAILS]
    out += [Recipient(APPRISE, url) for url in settings.DMARC_ALERT_URLS]
    seen, unique = set(), []
    for r in out:
        if (r.channel, r.target) not in seen:
            seen.add((r.channel, r.target))
            unique.append(r)
    return unique


def digest_subscribed(user) -> bool:
    sub = DigestSubscription.objects.filter(user=user).first()
    return (sub is None or sub.enabled) and bool(user.email) and user.is_active
