"""Stored readiness summaries: computed by Celery tasks, read by the pages.

An assessment reads every group of a domain's records over the window and
can take seconds at a few hundred thousand sources, so no page runs one. A
task (reports.rollout.tasks.refresh_summary) assesses the domain and stores:

- the stage badge of the overview (stage, next stage, ready, blocking checks);
- the readiness page's content as plain JSON: every figure and check, and the
  SHOWN biggest sources of each category (a spoofing botnet has hundreds of
  thousands), with how many more there are.

Tasks compute it after imports and deletions touch the domain and on beat's
schedule; a page that finds none says so and queues one.
"""

from __future__ import annotations

import time
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from reports.models import ReadinessSummary
from reports.rollout import rules

SHOWN = 50  # sources per category on the readiness page


def _problems(problems) -> list[dict]:
    return [{"code": p.code, "severity": p.severity, "message": p.message} for p in problems]


def _source(s) -> dict:
    return {
        "ip": s.ip,
        "category": s.category,
        "service": s.service,
        "kind_label": s.sender.kind_label if s.sender else "",
        "hostname": s.hostname,
        "messages": s.messages,
        "problems": list(s.problems),
        "fixes": list(s.fixes),
    }


def page_data(r) -> dict:
    """What the readiness page shows of an assessment (reports.rollout.readiness.Readiness), as JSON."""
    groups = []
    by_category = r.by_category
    for category in rules.CATEGORIES:
        sources = sorted(by_category[category], key=lambda s: (-s.messages, s.ip))
        groups.append(
            {
                "category": category,
                "sources": [_source(s) for s in sources[:SHOWN]],
                "hidden": max(0, len(sources) - SHOWN),
                "count": len(sources),
                "messages": sum(s.messages for s in sources),
            }
        )
    inspection = None
    if r.inspection is not None:
        d, spf = r.inspection.dmarc, r.inspection.spf
        inspection = {
            "dmarc": {
                "fetched": d.fetched.isoformat() if d.fetched else None,
                # Pairs, not a dict: a template would read a tag named "items" as the dict's method.
                "record": {"raw": d.record.raw, "tags": list(d.record.tags.items())} if d.record else None,
                "found": list(d.found),
            },
            "spf": {"record": spf.record, "lookups": spf.lookups, "problems": _problems(spf.problems)},
            "dkim": [
                {"name": k.name, "found": k.found, "bits": k.bits, "problems": _problems(k.problems)}
                for k in r.inspection.dkim
            ],
        }
    return {
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "stage": r.stage,
        "next_stage": r.next_stage,
        "ready": r.ready,
        "record_from_reports": r.record_from_reports,
        "failed_checks": [
            {"code": c.code, "message": c.message} for c in r.checks if not c.ok and c.blocking
        ],
        "passed_checks": [{"code": c.code, "message": c.message} for c in r.checks if c.ok or not c.blocking],
        "notes": [c.message for c in r.notes],
        "next_record": r.next_record,
        "days_with_data": r.days_with_data,
        "impact": {k: {"messages_per_day": v.messages_per_day} for k, v in r.impact.items()},
        "impact_rows": [
            {
                "category": c,
                "quarantine": r.impact["quarantine"].by_category[c],
                "reject": r.impact["reject"].by_category[c],
            }
            for c in rules.FAILING
        ],
        "legitimate_pct": r.legitimate_pct,
        "reporters": r.reporters,
        "messages": r.messages,
        "groups": groups,
        "problems": _problems(r.problems),
        "inspection": inspection,
    }


def badge(r) -> dict:
    return {
        "stage": r.stage,
        "next_stage": r.next_stage,
        "ready": r.ready,
        "blocking": [c.message for c in r.checks if not c.ok and c.blocking],
    }


def store(r, seconds: float = 0.0) -> dict:
    """Keep an assessment for the pages; returns the overview's badge."""
    found = badge(r)
    ReadinessSummary.objects.update_or_create(
        domain=r.domain,
        days=r.days,
        defaults={
            "computed": timezone.now(),
            "seconds": seconds,
            "stage": found["stage"],
            "next_stage": found["next_stage"] or "",
            "ready": found["ready"],
            "blocking": found["blocking"],
            "page": page_data(r),
        },
    )
    return found


def compute(domain: str, days: int = rules.WINDOW_DAYS, refresh_dns: bool = False) -> ReadinessSummary:
    """Assess the domain and store the summary (every assessment stores its own), with its time."""
    from reports.rollout.readiness import assess

    started = time.monotonic()
    r = assess(domain, days=days, refresh_dns=refresh_dns)
    summary = ReadinessSummary.objects.get(domain=r.domain, days=days)
    summary.seconds = time.monotonic() - started
    summary.save(update_fields=["seconds"])
    return summary


def stored_badge(domain: str, days: int = rules.WINDOW_DAYS) -> dict | None:
    row = (
        ReadinessSummary.objects.filter(domain=domain, days=days)
        .values("stage", "next_stage", "ready", "blocking", "computed")
        .first()
    )
    if row is None:
        return None
    row["next_stage"] = row["next_stage"] or None
    return row


def stored_page(domain: str, days: int) -> dict | None:
    """The readiness page's content as last computed, with its dates as dates; None if there is none
    (or it cannot be read: then it is computed again)."""
    row = (
        ReadinessSummary.objects.filter(domain=domain, days=days)
        .values("page", "computed", "seconds")
        .first()
    )
    if row is None or not isinstance(row["page"], dict):
        return None
    page = dict(row["page"])
    start, end = _date(page.get("start")), _date(page.get("end"))
    if start is None or end is None or not isinstance(page.get("groups"), list):
        return None
    page.update(start=start, end=end, computed=row["computed"], seconds=row["seconds"])
    inspection = page.get("inspection")
    if isinstance(inspection, dict) and isinstance(inspection.get("dmarc"), dict):
        inspection["dmarc"]["fetched"] = _datetime(inspection["dmarc"].get("fetched"))
    return page


def _date(value) -> date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _datetime(value) -> datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
