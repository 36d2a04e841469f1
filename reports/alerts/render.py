"""The words of each message: an alert's firing or resolved notice, and the weekly digest.

Plain text and HTML from templates; everything they show comes in through the
context, already computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string

from reports.alerts import links
from reports.alerts.rules import RULES


@dataclass
class Message:
    subject: str
    text: str
    html: str


def alert_links(domain: str, rule: str, facts: dict) -> list[tuple[str, str]]:
    """(label, URL) pairs: the alerts page, each source named, and the readiness page."""
    out = [("Alerts", links.alerts_page(domain))]
    if not domain:
        return out
    for s in (facts.get("sources") or [])[:10]:
        out.append((f"Source {s['ip']}" + (f" ({s['service']})" if s.get("service") else ""),
                    links.source_page(domain, s["ip"])))  # fmt: skip
    out.append(("Readiness", links.readiness_page(domain)))
    return out


def alert(alert, state: str, unsubscribe: str = "") -> Message:
    """`alert` has domain, rule, severity, title, text, facts (a model row or a Condition)."""
    resolved = state == "resolved"
    tag = "resolved" if resolved else alert.severity
    ctx = {
        "alert": alert,
        "resolved": resolved,
        "rule_label": RULES.get(alert.rule, alert.rule),
        "links": alert_links(alert.domain, alert.rule, alert.facts or {}),
        "unsubscribe": unsubscribe,
    }
    return Message(
        subject=f"[DMARC {tag}] {alert.title}"[:500],
        text=render_to_string("reports/alerts/alert_email.txt", ctx),
        html=render_to_string("reports/alerts/alert_email.html", ctx),
    )


def digest(d, unsubscribe: str) -> Message:
    ctx = {"d": d, "unsubscribe": unsubscribe}
    return Message(
        subject=f"[DMARC digest] {d.start.isoformat()} to {d.end.isoformat()}"
        + (" · all quiet" if d.quiet else ""),
        text=render_to_string("reports/alerts/digest_email.txt", ctx),
        html=render_to_string("reports/alerts/digest_email.html", ctx),
    )
