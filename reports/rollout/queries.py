"""Reading what the rollout assistant stored (reports.rollout.actions): summaries, pages and services."""

from __future__ import annotations

import logging
import pickle
from datetime import date

from django.core.cache import cache
from django.db import connection

from reports.rollout import page, trust
from reports.rollout.models import ReadinessSummary
from reports.rollout.readiness import assess
from reports.rollout.rules.classification import AssessedSource
from reports.shared.dates import STORED_WINDOWS, WINDOW_DAYS
from reports.shared.names import normalise
from reports.sources.models import SourceService

log = logging.getLogger(__name__)


def summary(domain: str, *, days: int = WINDOW_DAYS) -> dict | None:
    """Stage and readiness for the overview, as last computed, or None when not computed yet.

    Pages read only this (never assess): every assessment a task runs stores it.
    """
    return stored_badge(normalise(domain), days)


def stored_badge(domain: str, days: int = WINDOW_DAYS) -> dict | None:
    row = (
        ReadinessSummary.objects.filter(domain=domain, days=days)
        .values("stage", "next_stage", "ready", "blocking", "computed")
        .first()
    )
    if row is None:
        return None
    row["next_stage"] = row["next_stage"] or None
    return row


def stored_verdict(domain: str, days: int = WINDOW_DAYS) -> tuple[dict, object] | None:
    """(What `manage.py rollout DOMAIN --json` printed of the last stored assessment, when it was
    computed), or None when none is stored yet (or one stored before verdicts were kept)."""
    row = ReadinessSummary.objects.filter(domain=domain, days=days).values("verdict", "computed").first()
    if row is None or row["verdict"] is None:
        return None
    return row["verdict"], row["computed"]


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
    return sorted((kept & set(STORED_WINDOWS)) | {WINDOW_DAYS})


def last_assessment(domain: str, days: int = WINDOW_DAYS) -> tuple[dict, list[AssessedSource] | None]:
    """(What the readiness page shows of the domain's last stored assessment (reports.rollout.page),
    None). When none is stored yet (no task has run), the domain is assessed now, and nothing is
    stored: (what the page would show of it, its sources)."""
    shown = stored_page(domain, days)
    if shown is not None:
        return shown, None
    r = assess(domain, days=days)
    return page.build(r, trust.verified_share(r.domain, r.start, r.end)), r.sources


def new_sources(domain: str, start: date, end: date) -> list[dict]:
    """The sources of the last stored assessment first seen for the domain within [start, end], the
    busiest first: {"ip", "service", "category", "messages"} (messages over the assessment's window)."""
    table = SourceService._meta.db_table
    with connection.cursor() as cur:
        # The year rollups keep each source's first day of the year: the earliest of them is the first ever.
        cur.execute(
            f"""
            SELECT host(s.ip), s.service_name, s.category, s.messages
            FROM {table} s
            JOIN (SELECT source_ip, min(first_day) AS first_day FROM reports_sourceperiod
                  WHERE domain = %s AND period = 'y' GROUP BY source_ip) f ON f.source_ip = s.ip
            WHERE s.domain = %s AND f.first_day BETWEEN %s AND %s
            ORDER BY s.messages DESC, s.ip
            """,
            [domain, domain, start, end],
        )
        return [
            {"ip": ip, "service": service, "category": category, "messages": int(messages)}
            for ip, service, category, messages in cur.fetchall()
        ]


# --- windows outside the page's choices: computed on demand, kept in the cache a few minutes only ---

ON_DEMAND_SECONDS = 600


def on_demand_key(domain: str, days: int) -> str:
    return f"rollout:on-demand:{page.VERSION}:{domain}:{days}"


def on_demand_page(domain: str, days: int) -> dict | None:
    shown = cache.get(on_demand_key(domain, days))
    return shown if isinstance(shown, dict) else None
