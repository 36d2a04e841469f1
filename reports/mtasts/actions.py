"""The MTA-STS assistant's inputs, from the stored check and the TLS reports, and its advice."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from reports.mtasts import checks
from reports.mtasts.assistant import Advice, Published, Window, advise
from reports.mtasts.models import MtaStsCheck
from reports.mtasts.records import new_id
from reports.tlsrpt import queries as tls

DEFAULT_DAYS = 21  # three weeks of testing


def published(check: MtaStsCheck | None) -> Published:
    if check is None:
        return Published()
    items = {i["code"]: i for i in check.findings.get("items", [])}
    return Published(
        checked=True,
        mode=check.mode,
        policy_ok=check.policy_ok,
        mx=check.mx,
        policy=check.findings.get("policy", {}),
        policy_text=check.findings.get("policy_text", ""),
        txt_ok=items.get("mta_sts_txt", {}).get("ok", False),
        tls_rpt_ok=items.get("tls_rpt_txt", {}).get("ok", False),
        problems={code: i["text"] for code, i in items.items() if not i["ok"]},
    )


def window(domain: str, days: int) -> Window:
    # The `days` whole days before today: reports cover a day once it is over.
    end = timezone.now().date() - timedelta(days=1)
    found = tls.window(domain, end - timedelta(days=days - 1), end)
    return Window(days=days, **found)


def assess(domain: str, days: int = DEFAULT_DAYS, *, check_now: bool = False) -> Advice:
    """The advice for a domain; check_now runs the DNS and HTTPS checks first (a worker or the
    command line, never a page)."""
    check = checks.run(domain) if check_now else MtaStsCheck.objects.filter(domain=domain).first()
    return advice_from(domain, check, days)


def advice_from(domain: str, check: MtaStsCheck | None, days: int = DEFAULT_DAYS) -> Advice:
    """The advice from a stored check the caller has already read (the TLS page shows it too)."""
    return advise(domain, published(check), window(domain, days), new_id(int(time.time())))


def known(domain: str) -> bool:
    return tls.has_reports(domain) or checked(domain)


def checked(domain: str) -> bool:
    return MtaStsCheck.objects.filter(domain=domain).exists()


def as_text(a: Advice) -> list[str]:
    verdict = "READY" if a.ready else ("NOT READY" if a.next_stage else "FINAL STAGE")
    lines = [
        f"{a.domain}: MTA-STS {a.stage} -> {a.next_stage or '-'}: {verdict}  (last {a.window.days} days)"
    ]
    lines += [f"  {'✓' if r.ok else '✗'} {r.text}" for r in a.reasons]
    if a.published.mx:
        lines.append(
            "MX: "
            + ", ".join(f"{m['host']}{'' if m['covered'] else ' (not covered)'}" for m in a.published.mx)
        )
    if a.next_policy:
        lines += ["", f"Next policy (https://mta-sts.{a.domain}/.well-known/mta-sts.txt):"]
        lines += [f"  {line}" for line in a.next_policy.splitlines()]
        lines += [f"Then the TXT _mta-sts.{a.domain}: {a.next_txt}", "", a.max_age_note]
    return lines
