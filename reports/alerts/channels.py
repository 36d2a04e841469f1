"""Sending one message: email through Django's mail framework, chat and webhooks through Apprise."""

from __future__ import annotations

import logging
from contextlib import nullcontext

import apprise
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from reports.access import netguard
from reports.alerts import destinations

APPRISE_TIMEOUT = 20  # seconds


class SendError(Exception):
    pass


def email(to: str, subject: str, text: str, html: str, unsubscribe: str = "") -> None:
    headers = {}
    if unsubscribe:
        # RFC 8058: mail clients offer their own unsubscribe button, which POSTs to this URL.
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    msg = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers, connection=mail_connection()
    )
    if html:
        msg.attach_alternative(html, "text/html")
    try:
        msg.send(fail_silently=False)
    except Exception as e:  # noqa: BLE001 (SMTP, socket and TLS errors all mean: try again later)
        raise SendError(f"{type(e).__name__}: {e}"[:1000]) from e


def mail_connection():
    return get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)


def notify(url: str, title: str, body: str) -> None:
    """Send through Apprise. A user's URL is checked again (its name may resolve elsewhere by now), and
    every connection the send makes is held to the same rules (reports.access.netguard)."""
    trusted = destinations.trusted(url)
    if not trusted:
        why = destinations.problem(url)
        if why:
            raise SendError(f"Not sent: {why}")
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise SendError("Apprise does not accept this URL")
    guard = nullcontext() if trusted else netguard.guarded(destinations.allowed_hosts())
    with guard, apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        ok = notifier.notify(body=body, title=title, timeout=APPRISE_TIMEOUT)
        output = log.getvalue()
    if not ok:
        lines = [line for line in output.strip().splitlines() if line]
        raise SendError((lines[-1] if lines else "Apprise could not deliver the notification")[:1000])
