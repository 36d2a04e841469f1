"""An import evaluates the alerts of the domains it touched, in a real Celery worker, once the readiness it
changed was assessed again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone

from reports.alerts import receivers
from reports.alerts.tests.conftest import publish
from reports.demo.report_xml import record_xml
from reports.harness.alert_scenarios import people, ses_aligned, ses_broken, workspace
from reports.harness.builders import daily_report, import_ok
from reports.harness.rollout_scenarios import build
from reports.harness.waiting import wait_for
from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE
from reports.models import Alert
from reports.rollout.tasks import refresh_summary

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_import_that_breaks_a_sender_alerts_through_the_worker(dns, settings, smtp, celery_worker):
    d = "hook.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    today = timezone.now().date()
    build(d, [workspace(d), ses_aligned(d)], p="reject", days=28, today=today - timedelta(days=1))
    # The history's own evaluations are not this test's: drop them before the worker starts.
    redis.Redis.from_url(TEST_BROKER_URL).delete(TEST_QUEUE)
    cache.clear()
    celery_worker(
        concurrency=1,
        DMARC_DNS_NAMESERVERS=f"127.0.0.1:{dns.port}",
        DMARC_BASE_URL="http://dash.test",
        # The worker queues the evaluation, once it has assessed the domain again.
        DMARC_ALERT_AFTER_IMPORT_DELAY=1,
        **smtp.env(),
    )

    # Yesterday's reports: SES lost its alignment and the receivers rejected its mail.
    build(d, [workspace(d), ses_broken(d, disposition="reject")], p="reject", days=1)

    wait_for(lambda: len(smtp.messages) >= 3, timeout=60, message="the alert emails")
    (msg,) = smtp.to("alice@ops.test")
    assert (
        msg["Subject"].strip()
        == f"[DMARC critical] {d}: mail from Amazon SES is being blocked (240 messages)"
    )
    assert Alert.objects.get().key == f"{d}|blocked|Amazon SES"
    assert sorted(m.envelope_to[0] for m in smtp.messages) == [
        "alice@ops.test",
        "bob@ops.test",
        "carol@ops.test",
    ]


@pytest.mark.django_db(transaction=False)
def test_a_bulk_import_queues_one_evaluation_per_domain(
    celery_broker, settings, dns, django_capture_on_commit_callbacks
):
    settings.DMARC_ALERT_AFTER_IMPORT_DELAY = 60
    dns.serve(settings)
    receivers._queued.clear()
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for days_ago in range(1, 6):
            import_ok(daily_report(days_ago, [record_xml(header_from="bulk.example")], domain="bulk.example"))
    broker = redis.Redis.from_url(TEST_BROKER_URL)
    # One assessment of the domain, whose end queues the evaluation.
    (queued,) = broker.lrange(TEST_QUEUE, 0, -1)
    assert b"reports.rollout.tasks.refresh_summary" in queued and b"bulk.example" in queued
    broker.delete(TEST_QUEUE)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            refresh_summary("bulk.example")
    queued = broker.lrange(TEST_QUEUE, 0, -1)
    assert len(queued) == 1
    assert b"reports.alerts.tasks.evaluate_alerts" in queued[0] and b"bulk.example" in queued[0]
