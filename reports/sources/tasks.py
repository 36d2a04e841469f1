"""Celery tasks of the sources, off the request path: the DKIM selectors of each domain and their keys
(beat runs refresh_dkim_selectors; `manage.py selectors DOMAIN --refresh` runs it inline), and the daily
sums of the trends (refresh_service_trends; `manage.py trends DOMAIN --refresh`)."""

from __future__ import annotations

import logging

from dmarcapp.celery import app
from reports.rollups.queries import with_data
from reports.sources import selectors, trend_queries

log = logging.getLogger(__name__)


def refresh(domain: str, force_keys: bool = False) -> dict:
    return {
        "selectors": selectors.refresh_selectors(domain),
        "keys_looked_up": selectors.refresh_keys(domain, force=force_keys),
    }


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_dkim_selectors(domain: str = "") -> dict:
    """Recompute the selectors seen in the reports of `domain` (or of every domain with data) and look up
    the keys that are not cached."""
    done = {d: refresh(d) for d in ([domain] if domain else with_data())}
    log.info("DKIM selectors: %d domains refreshed", len(done))
    return done


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_service_trends(domain: str = "") -> dict:
    """Fold the days of each domain's assessed sources per service and of its legitimate mail into
    TrendDay (beat runs it as often as the readiness summaries, whose assessments it follows)."""
    done = {d: trend_queries.refresh(d) for d in ([domain] if domain else with_data())}
    log.info("service trends: %d domains refreshed", len(done))
    return done
