"""What the rollout assistant stores, and the one place it is stored: readiness summaries and the services
of a domain's sources, computed by a Celery task and read by the pages.

An assessment reads every group of a domain's records over the window and can take seconds at a few
hundred thousand sources, so no page runs one. A task (reports.rollout.tasks.refresh_summary)
assesses the domain and stores:

- the stage badge of the overview and the domains list (stage, next stage, ready, blocking checks);
- everything the readiness page shows (reports.rollout.page), pickled: the rows per service with
  the addresses shown and the count of the others, the checks, the decision block, the what-if,
  freshness, marks and DNS findings;
Only the page's windows (STORED_WINDOWS) are stored; another window a page asks for is computed by a
task and kept in the cache for a few minutes (compute_on_demand), and `manage.py rollout --days N`
stores nothing for them. Of the stored windows:

- for the default window only, each source's service and category (SourceService), which the
  sources table, the Senders page and the overview read. Another window a page asked for must not
  replace them: the pages would show whichever window ran last.

Then it sends readiness_assessed. Tasks compute summaries after imports, deletions and marks touch
the domain (reports.rollout.receivers), on beat's schedule, and when a page finds none; so does
`manage.py rollout`, an assessment asked for, so that the pages agree with what it printed.
"""

from __future__ import annotations

import json
import pickle
import time
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from reports.ingest.models import Report
from reports.rollout import page, trust
from reports.rollout.models import ReadinessSummary
from reports.rollout.queries import ON_DEMAND_SECONDS, on_demand_key
from reports.rollout.readiness import Readiness, assess
from reports.rollout.rules.classification import AssessedSource
from reports.shared import events
from reports.shared.dates import STORED_WINDOWS, WINDOW_DAYS
from reports.sources.models import SourceService


def compute(domain: str, days: int = WINDOW_DAYS, refresh_dns: bool = False) -> Readiness:
    """Assess the domain, store what the pages read, and return the assessment."""
    started = time.monotonic()
    r = assess(domain, days=days, refresh_dns=refresh_dns)
    if days not in STORED_WINDOWS:
        return r  # `manage.py rollout --days 7`: shown, stored nowhere
    shown = page.build(r, trust.verified_share(r.domain, r.start, r.end))
    with transaction.atomic():
        store(r, shown, time.monotonic() - started)
        if days == WINDOW_DAYS:
            store_services(r.domain, r.sources)
        events.send_readiness_assessed(__name__, r.domain, days)
    return r


def compute_on_demand(domain: str, days: int, refresh_dns: bool = False) -> None:
    """Assess the domain over a window the page does not offer, for the page that asked, and store
    nothing but a short-lived copy of the page in the cache (reports.rollout.queries.on_demand_page)."""
    started = timezone.now()
    r = assess(domain, days=days, refresh_dns=refresh_dns)
    shown = page.build(r, trust.verified_share(r.domain, r.start, r.end))
    shown.update(computed=timezone.now(), seconds=(timezone.now() - started).total_seconds())
    cache.set(on_demand_key(r.domain, days), shown, ON_DEMAND_SECONDS)


def refresh_summaries(days: int = WINDOW_DAYS) -> list[str]:
    """Assess every domain with reports in the window and store its summary."""
    since = timezone.now() - timedelta(days=days)
    domains = sorted(set(Report.objects.filter(end__gte=since).values_list("domain", flat=True)))
    for domain in domains:
        compute(domain, days=days)
    return domains


def badge(r: Readiness) -> dict:
    return {
        "stage": r.stage,
        "next_stage": r.next_stage,
        "ready": r.ready,
        "blocking": [c.message for c in r.checks if not c.ok and c.blocking],
    }


def store(r: Readiness, shown: dict, seconds: float = 0.0) -> ReadinessSummary:
    """Keep an assessment, and what the readiness page shows of it, for the pages."""
    found = badge(r)
    summary, _ = ReadinessSummary.objects.update_or_create(
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
            "verdict": r.as_json(),
        },
    )
    return summary


def store_services(domain: str, sources: list[AssessedSource]) -> None:
    """Keep each source's service and category for the pages that list sources (they never assess).
    Sources gone from the window are dropped: the pages then show them as not assessed."""
    now = timezone.now()
    table = SourceService._meta.db_table
    typed = (("ip", "inet"), ("service", "text"), ("service_name", "text"), ("kind", "text"),
             ("by_network", "boolean"), ("category", "text"), ("evidence", "jsonb"), ("problems", "jsonb"),
             ("fixes", "jsonb"), ("messages", "bigint"))  # fmt: skip
    columns = [name for name, _ in typed]
    with transaction.atomic(), connection.cursor() as cur:
        # COPY then one upsert: a quarter of a million rows through the ORM take a minute.
        cur.execute(f"CREATE TEMPORARY TABLE new_services ({', '.join(f'{n} {t}' for n, t in typed)})")
        with cur.copy(f"COPY new_services ({', '.join(columns)}) FROM STDIN") as copy:
            for s in sources:
                copy.write_row(
                    (
                        s.ip,
                        s.sender.id if s.sender else "",
                        s.service[:255],
                        s.sender.kind if s.sender else "",
                        s.by_network,
                        s.category,
                        json.dumps(s.evidence),
                        json.dumps(s.problems),
                        json.dumps(s.fixes),
                        s.messages,
                    )
                )
        cur.execute("ANALYZE new_services")
        kept = columns[1:]
        # Only rows that changed are written (most do not between two assessments); `assessed` tells when.
        cur.execute(
            f"INSERT INTO {table} (domain, {', '.join(columns)}, assessed)"
            f" SELECT %s, {', '.join(columns)}, %s FROM new_services"
            " ON CONFLICT ON CONSTRAINT sourceservice_identity DO UPDATE"
            f" SET {', '.join(f'{c} = EXCLUDED.{c}' for c in (*kept, 'assessed'))}"
            f" WHERE ({', '.join(f'{table}.{c}' for c in kept)})"
            f" IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in kept)})",
            [domain, now],
        )
        cur.execute(
            f"DELETE FROM {table} t WHERE t.domain = %s"
            " AND NOT EXISTS (SELECT 1 FROM new_services n WHERE n.ip = t.ip)",
            [domain],
        )
        # Not ON COMMIT DROP: the transaction may be a savepoint inside a longer one.
        cur.execute("DROP TABLE new_services")
