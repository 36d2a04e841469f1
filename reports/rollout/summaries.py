"""Stored readiness summaries: computed by Celery tasks, read by the pages.

An assessment reads every group of a domain's records over the window and
can take seconds at a few hundred thousand sources, so no page runs one. A
task (reports.rollout.tasks.refresh_summary) assesses the domain and stores:

- the stage badge of the overview and the domains list (stage, next stage,
  ready, blocking checks);
- everything the readiness page shows (reports.rollout.page), pickled: the
  rows per service with the addresses shown and the count of the others, the
  checks, the decision block, the what-if, freshness, marks and DNS findings.

Tasks compute it after imports, deletions and marks touch the domain, on beat's
schedule, and when a page finds none; the page says so meanwhile. Only the page's
windows (rules.STORED_WINDOWS) are stored; another window a page asks for is
computed by a task and kept in the cache for a few minutes (on_demand_page).
"""

from __future__ import annotations

import logging
import pickle

from django.core.cache import cache
from django.utils import timezone

from reports.models import ReadinessSummary
from reports.rollout import page, rules, trust

log = logging.getLogger(__name__)


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
    shown = page.build(r, trust.verified_share(r.domain, r.start, r.end))
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
            # Written and read by this code only (the worker and the pages), like Django's database cache.
            "page_state": pickle.dumps(shown, protocol=pickle.HIGHEST_PROTOCOL),
        },
    )
    return found


def compute(domain: str, days: int = rules.WINDOW_DAYS, refresh_dns: bool = False) -> ReadinessSummary:
    """Assess the domain and return the summary that the assessment stored, with its time."""
    from reports.rollout.readiness import assess

    r = assess(domain, days=days, refresh_dns=refresh_dns)
    return ReadinessSummary.objects.get(domain=r.domain, days=days)


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
    """The readiness page's content as last computed, with when and how long; None if there is none,
    or if it cannot be read (written by other code): then it is computed again."""
    row = (
        ReadinessSummary.objects.filter(domain=domain, days=days)
        .values("page_state", "computed", "seconds")
        .first()
    )
    if row is None or not row["page_state"]:
        return None
    try:
        shown = pickle.loads(bytes(row["page_state"]))
    # What unpickling raises for a class renamed or removed, a changed signature, or truncated bytes.
    except (
        pickle.UnpicklingError,
        AttributeError,
        ImportError,
        EOFError,
        TypeError,
        ValueError,
        IndexError,
    ) as e:
        log.info("stored readiness page of %s (%d days) unreadable, computed again: %s", domain, days, e)
        return None
    if not isinstance(shown, dict) or shown.get("version") != page.VERSION:
        return None
    shown.update(computed=row["computed"], seconds=row["seconds"])
    return shown


def windows(domain: str) -> list[int]:
    """The windows (in days) whose summaries of `domain` are kept: the default one and any other of the
    page's choices a page asked for."""
    kept = set(ReadinessSummary.objects.filter(domain=domain).values_list("days", flat=True))
    return sorted((kept & set(rules.STORED_WINDOWS)) | {rules.WINDOW_DAYS})


# --- windows outside the page's choices: computed on demand, kept in the cache a few minutes only ---

ON_DEMAND_SECONDS = 600


def _on_demand_key(domain: str, days: int) -> str:
    return f"rollout:on-demand:{page.VERSION}:{domain}:{days}"


def compute_on_demand(domain: str, days: int, refresh_dns: bool = False) -> None:
    """Assess the domain over a window the page does not offer, for the page that asked, and store
    nothing but a short-lived copy of the page in the cache."""
    from reports.rollout.readiness import assess

    started = timezone.now()
    r = assess(domain, days=days, refresh_dns=refresh_dns)
    shown = page.build(r, trust.verified_share(r.domain, r.start, r.end))
    shown.update(computed=timezone.now(), seconds=(timezone.now() - started).total_seconds())
    cache.set(_on_demand_key(r.domain, days), shown, ON_DEMAND_SECONDS)


def on_demand_page(domain: str, days: int) -> dict | None:
    shown = cache.get(_on_demand_key(domain, days))
    return shown if isinstance(shown, dict) else None
