"""Absolute links for messages, and the signed unsubscribe token (no login needed to use it)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.http import urlencode

SALT = "reports.alerts.unsubscribe"
DIGEST = "digest"


def absolute(path: str) -> str:
    return settings.DMARC_BASE_URL + path


def alerts_page(domain: str = "") -> str:
    return absolute(reverse("alerts") + (f"?{urlencode({'domain': domain})}" if domain else ""))


def source_page(domain: str, ip: str) -> str:
    return absolute(reverse("source", args=[ip]) + "?" + urlencode({"domain": domain, "range": "30"}))


def readiness_page(domain: str) -> str:
    return absolute(reverse("rollout", args=[domain]))


def overview_page(domain: str) -> str:
    return absolute(reverse("overview") + "?" + urlencode({"domain": domain}))


def unsubscribe_token(*, user_id: int | None, scope: str, address: str = "") -> str:
    """scope: "digest", or the domain whose alert email the user stops ("" for the mailbox alerts)."""
    return signing.dumps({"u": user_id, "s": scope, "a": address}, salt=SALT, compress=True)


def read_token(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        return None
    return data


def unsubscribe_url(token: str) -> str:
    return absolute(reverse("alerts_unsubscribe", args=[token]))
