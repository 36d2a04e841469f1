"""What one user's page views can make the workers do, and what the database keeps of it, is bounded:
readiness windows outside the page's choices are computed on demand and stored nowhere, custom ranges
of a big domain count against an hourly share per user and go when unread, and a slow page stops at
DMARC_WEB_STATEMENT_TIMEOUT with a page that says so."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import psycopg
import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from reports.dashboard import ranking
from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.personas import person
from reports.harness.web import Web
from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE
from reports.models import ReadinessSummary, SourceRanking
from reports.rollout import actions as summaries
from reports.rollout.tasks import queue_domain_summaries

D = "example.com"


def queued() -> list[tuple[str, list]]:
    """(task name, args) of the messages waiting in the tests' Redis queue."""
    messages = [json.loads(m) for m in redis.Redis.from_url(TEST_BROKER_URL).lrange(TEST_QUEUE, 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@pytest.fixture
def viewer(client, db):
    for days_ago in (1, 2, 3):
        import_ok(daily_report(days_ago, [record_xml(ip=f"192.0.2.{days_ago}", count=5)]))
    client.force_login(person("viewer", D))
    return client


@pytest.mark.django_db
def test_readiness_windows_outside_the_pages_choices_are_queued_within_a_share_and_never_stored(
    viewer, settings, celery_broker
):
    settings.DMARC_ON_DEMAND_PER_HOUR = 2
    for days in (7, 8):
        body = viewer.get(f"/rollout/{D}/", {"days": days}).content.decode()
        assert "Not computed yet" in body and "js/refresh.js" in body
        viewer.get(f"/rollout/{D}/", {"days": days})  # the reload queues nothing more, counts nothing more
    body = viewer.get(f"/rollout/{D}/", {"days": 9}).content.decode()
    assert "DMARC_ON_DEMAND_PER_HOUR" in body and "js/refresh.js" not in body
    window = "reports.rollout.tasks.compute_window"
    assert sorted(queued()) == [(window, [D, 7]), (window, [D, 8])]
    # The page's own windows are not counted.
    viewer.get(f"/rollout/{D}/", {"days": 60})
    assert ("reports.rollout.tasks.refresh_summary", [D, 60, False]) in queued()

    # The worker's computation: for the page, a few minutes, in the cache; no stored summary.
    summaries.compute_on_demand(D, 7)
    body = viewer.get(f"/rollout/{D}/", {"days": 7}).content.decode()
    assert 'id="verdict"' in body and "last 7 days" in body and "Not computed yet" not in body
    assert not ReadinessSummary.objects.filter(days=7).exists()
    # Nor does any other path store one: the command, or a DNS refresh of that window.
    call_command("rollout", D, "--days", "8", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not ReadinessSummary.objects.exclude(days__in=[14, 30, 60, 90]).exists()
    # What imports and marks recompute is the page's windows only.
    redis.Redis.from_url(TEST_BROKER_URL).delete(TEST_QUEUE)
    from django.core.cache import cache

    cache.clear()
    summaries.compute(D, days=30)
    queue_domain_summaries(D)
    assert queued() == [("reports.rollout.tasks.refresh_summary", [D, 30, False])]


@pytest.mark.django_db
def test_custom_ranges_of_a_big_domain_count_against_the_users_share_and_go_when_unread(
    viewer, settings, celery_broker
):
    settings.DMARC_RANK_IN_REQUEST_SOURCES = 1
    settings.DMARC_ON_DEMAND_PER_HOUR = 2
    today = timezone.now().date()

    def custom(days: int, sort: str = "messages") -> str:
        start = today - timedelta(days=days - 1)
        return f"/sources/?domain={D}&range=custom&start={start}&end={today}&sort={sort}"

    for url in (custom(5), custom(6), custom(6)):
        page = viewer.get(url)
        assert page.context["ranking_queued"], url
    throttled = viewer.get(custom(4))
    assert not throttled.context["ranking_queued"] and throttled.context["ranking_throttled"]
    assert "DMARC_ON_DEMAND_PER_HOUR" in throttled.content.decode()
    assert viewer.get(custom(5, "ip")).context["ranking_throttled"]  # another order is another ranking
    # Presets are the pages everyone reads: never throttled.
    assert viewer.get(f"/sources/?domain={D}&range=90&sort=ip").context["ranking_queued"]
    assert len(queued()) == 3

    # Ranked by the worker; after an import only the preset range is ranked again.
    ranking.compute(D, ranking.DateRange(today - timedelta(days=4), today), _flt())
    ranking.compute(D, ranking.DateRange(today - timedelta(days=89), today), _flt())
    import_ok(daily_report(1, [record_xml(ip="192.0.2.99", count=1)], report_id="more"))
    assert [rng.days for rng, _ in ranking.still_read(D)] == [90]
    # Unread for two hours, the custom one goes; the preset one stays until two days.
    SourceRanking.objects.update(read=timezone.now() - timedelta(hours=3))
    assert ranking.prune() == 1
    assert list(SourceRanking.objects.values_list("start", flat=True)) == [today - timedelta(days=89)]


def _flt():
    return ranking.table.SourceFilter()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_page_whose_query_runs_too_long_is_stopped_with_a_page_that_says_so(live_server, settings):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=5)]))
    person("viewer", D)
    settings.DMARC_WEB_STATEMENT_TIMEOUT = 1
    web = Web(live_server.url, "viewer", "pw-viewer-1")
    assert web.get(f"/?domain={D}&range=30").status_code == 200

    # Another session holds the table the overview reads: the page's query waits past the limit.
    dsn = connection.settings_dict
    with psycopg.connect(
        host=dsn["HOST"] or "127.0.0.1", port=dsn["PORT"] or 5432, user=dsn["USER"], dbname=dsn["NAME"]
    ) as other:
        other.execute("LOCK TABLE reports_domainday IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        response = web.get(f"/?domain={D}&range=30")
        took = time.monotonic() - started
        other.rollback()
    assert response.status_code == 503 and "This page took too long" in response.text
    assert "DMARC_WEB_STATEMENT_TIMEOUT" in response.text and took < 20
    # The limit is the request's: the next page on the same connection answers.
    assert web.get(f"/?domain={D}&range=30").status_code == 200
