"""Alerts and digests read what the rollout assistant and the dashboard stored: an evaluation or a digest,
from the commands or in a real Celery worker, changes no stored summary, service, ranking or total."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from reports.alerts.tasks import evaluate_alerts, send_weekly_digests
from reports.alerts.tests.conftest import publish
from reports.dashboard.source_table import SourceFilter
from reports.dashboard.tasks import rank_sources, total_senders
from reports.demo.report_xml import record_xml
from reports.harness.alert_scenarios import people, ses_broken, workspace
from reports.harness.builders import daily_report
from reports.harness.rollout_scenarios import build
from reports.harness.waiting import wait_for
from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE
from reports.models import (
    DailyRollup,
    DomainDay,
    ReadinessSummary,
    ReporterDay,
    SenderTotals,
    SourcePeriod,
    SourceRanking,
    SourceService,
)
from reports.shared.dates import DateRange

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

D = "readonly.example"
SES = "54.240.8.21"
STORED = (ReadinessSummary, SourceService, SourceRanking, SenderTotals, DomainDay, ReporterDay, SourcePeriod,
          DailyRollup)  # fmt: skip


def stored_rows() -> dict[str, list]:
    return {model.__name__: sorted(map(repr, model.objects.order_by().values_list())) for model in STORED}


def succeeded(worker, task: str) -> int:
    return len(re.findall(rf"{re.escape(task)}\[[^\]]+\] succeeded", worker.output()))


def test_alerts_and_digests_change_no_stored_row(dns, settings, smtp, celery_worker, tmp_path):
    publish(dns, settings, D, f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
    people(D)
    today = timezone.now().date()
    # Amazon SES (not aligned) sent its last mail 10 days ago: inside the 30-day window, outside the
    # alerts' recent one.
    build(D, [workspace(D), ses_broken(D, until_days=9)], days=28, today=today - timedelta(days=1))
    # The history's own assessments are not this test's: the worker starts from an empty queue.
    redis.Redis.from_url(TEST_BROKER_URL).delete(TEST_QUEUE)
    cache.clear()
    worker = celery_worker(
        concurrency=1,
        DMARC_DNS_NAMESERVERS=f"127.0.0.1:{dns.port}",
        DMARC_BASE_URL="http://dash.test",
        DMARC_ALERT_AFTER_IMPORT_DELAY=0,
        **smtp.env(),
    )

    # An import, as an operator runs it: the worker assesses the domain, then evaluates its alerts.
    (tmp_path / "today.xml").write_bytes(
        daily_report(1, [record_xml(ip="209.85.220.41", header_from=D)], org="Yahoo", domain=D)
    )
    call_command("import_reports", str(tmp_path / "today.xml"), "--jobs", "1", stdout=StringIO())
    wait_for(lambda: succeeded(worker, "reports.alerts.tasks.evaluate_alerts"), 120, message="the evaluation")
    assert list(ReadinessSummary.objects.values_list("domain", "days")) == [(D, 30)]
    assert SourceService.objects.filter(domain=D, ip=SES, service_name="Amazon SES").exists()
    # What pages read of a big domain, as the worker computes it.
    rng = DateRange(today - timedelta(days=29), today)
    rank_sources(D, rng.start.isoformat(), rng.end.isoformat(), SourceFilter().order_key)
    total_senders(D, rng.start.isoformat(), rng.end.isoformat())
    before = stored_rows()
    assert all(before.values()), [name for name, rows in before.items() if not rows]

    call_command("alerts", stdout=StringIO())
    call_command("digest", stdout=StringIO())
    evaluate_alerts.delay([D])
    send_weekly_digests.delay()
    wait_for(lambda: succeeded(worker, "reports.alerts.tasks.evaluate_alerts") >= 2, 120, message="alerts")
    wait_for(lambda: succeeded(worker, "reports.alerts.tasks.send_weekly_digests"), 120, message="digests")

    assert stored_rows() == before
    # The source last seen 10 days ago keeps the service the 30-day assessment found.
    assert SourceService.objects.filter(domain=D, ip=SES, service_name="Amazon SES").exists()
