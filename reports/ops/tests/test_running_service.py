"""Health and metrics of a running server while real Celery processes work: /readyz follows the
worker, beat and Redis, and /metrics counts the reports a worker just ingested."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
import redis
import requests
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from dmarcapp.celery import app as celery_app
from reports.demo.report_xml import record_xml
from reports.harness import personas
from reports.harness.builders import daily_report
from reports.harness.redis_server import RedisServer
from reports.harness.waiting import wait_for
from reports.harness.web import Web
from reports.harness.workers import TEST_QUEUE, CeleryBeat, worker_env
from reports.models import Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOKEN = "scrape-token-for-the-tests"
# Signs of life every second, stale after ten (a loaded machine may hold a process for seconds): the
# test waits seconds, not minutes.
FAST = {"DMARC_HEARTBEAT_SECONDS": 1, "DMARC_WORKER_STALE_SECONDS": 10, "DMARC_BEAT_STALE_SECONDS": 15}
# The schedule beat sends at start includes naming sources: no DNS leaves the machine.
QUIET = {"DMARC_ASN_LOOKUP": "false", "DMARC_DNS_NAMESERVERS": "127.0.0.1:9", "DMARC_DNS_TIMEOUT": 1}


@pytest.fixture
def service(settings, celery_broker, celery_worker):
    """The live server's settings as fast as the processes', and a way to start beat."""
    for name, value in FAST.items():
        setattr(settings, name, value)
    settings.DMARC_METRICS_TOKEN = TOKEN
    beats = []

    def start_beat(**env):
        beats.append(CeleryBeat(worker_env(**FAST, **QUIET, **env)).start())
        return beats[-1]

    def start_worker(**env):
        return celery_worker(**FAST, **QUIET, **env)

    yield start_worker, start_beat
    for beat in beats:
        beat.stop()


def readyz(base: str) -> requests.Response:
    return requests.get(base + "/readyz", timeout=30)


def status_of(base: str, code: int, check: str | None = None):
    """A predicate: /readyz answers `code` (with `check` down, for a 503)."""

    def answered():
        response = readyz(base)
        if response.status_code != code:
            return False
        return check is None or response.json()["checks"][check] == "down"

    return answered


def scrape(base: str) -> dict:
    """{(name, labels as sorted tuples): value} of every sample /metrics serves."""
    response = requests.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def forget_signs_of_life(url: str) -> None:
    r = redis.Redis.from_url(url)
    r.delete(*[k for k in r.keys(f"dmarc:ops:{TEST_QUEUE}:*")] or ["none"])


def test_readyz_follows_the_worker_and_metrics_count_what_it_just_ingested(live_server, service):
    start_worker, start_beat = service
    base = live_server.url
    forget_signs_of_life(celery_app.conf.broker_url)
    down = readyz(base)
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "down" and body["checks"]["worker"] == "down"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    # An anonymous caller reads a word per check: no host, no URL, no error text.
    assert "detail" not in body and "127.0.0.1" not in down.text and "redis://" not in down.text

    worker = start_worker()
    start_beat()
    wait_for(status_of(base, 200), timeout=60, message="/readyz to answer 200")
    detailed = requests.get(base + "/readyz", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert detailed.json()["detail"]["worker"]["age_seconds"] <= FAST["DMARC_WORKER_STALE_SECONDS"]
    # The containers' health checks read the same signs of life.
    (name,) = redis.Redis.from_url(celery_app.conf.broker_url).hkeys(f"dmarc:ops:{TEST_QUEUE}:workers")
    call_command("health", "worker", "--hostname", name.decode(), stdout=io.StringIO())
    call_command("health", "beat", stdout=io.StringIO())

    before = scrape(base)
    imported = ("dmarc_reports_ingested_total", (("kind", "upload"), ("outcome", "imported")))
    assert before.get(imported, 0) == 0
    personas.operator()
    web = Web(base, "operator", personas.password("operator"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in (1, 2):
            zf.writestr(f"r{n}.xml", daily_report(n, [record_xml(ip=f"192.0.2.{n}", count=10 * n)]))
    sent = web.post("/status/", files={"files": ("two.zip", buf.getvalue())})
    assert sent.status_code == 302, sent.text[:500]
    wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the upload")

    after = scrape(base)
    assert after[imported] == 2
    assert after[("dmarc_inputs_ingested_total", (("kind", "upload"),))] == 1
    assert after[("dmarc_report_messages_ingested_total", (("kind", "upload"),))] == 30
    assert after[("dmarc_ingest_duration_seconds_count", ())] == 1
    assert after[("dmarc_ingest_duration_seconds_bucket", (("le", "+Inf"),))] == 1
    assert after[("dmarc_ready", (("check", "database"),))] == 1
    assert ("dmarc_ready", (("check", "worker"),)) in after
    # The web process timed the upload's page by its view.
    assert any(name == "dmarc_request_duration_seconds_count" and ("method", "POST") in labels
               for name, labels in after)  # fmt: skip

    # A worker killed like the OOM killer does: no goodbye, its heartbeat only grows old.
    worker.kill()
    stopped = time.monotonic()
    wait_for(status_of(base, 503, "worker"), timeout=60, message="/readyz to see the worker gone")
    assert time.monotonic() - stopped < 60
    with pytest.raises(SystemExit):
        call_command("health", "worker", "--hostname", name.decode(), stdout=io.StringIO())
    start_worker()
    wait_for(status_of(base, 200), timeout=60, message="/readyz to see the worker back")


def test_readyz_answers_503_while_redis_is_down_and_200_once_it_is_back(live_server, service, monkeypatch):
    start_worker, start_beat = service
    server = RedisServer().start()
    try:
        # The live server, the worker and beat all on a Redis of this test's own.
        # (Celery reads CELERY_BROKER_URL from the environment before its configuration.)
        monkeypatch.setenv("CELERY_BROKER_URL", server.url)
        monkeypatch.setattr(celery_app.conf, "broker_url", server.url)
        start_worker(CELERY_BROKER_URL=server.url)
        start_beat(CELERY_BROKER_URL=server.url)
        wait_for(status_of(live_server.url, 200), timeout=60, message="/readyz to answer 200")

        server.stop()
        response = readyz(live_server.url)
        assert response.status_code == 503 and response.json()["checks"]["redis"] == "down"
        assert str(server.port) not in response.text

        server.start()
        wait_for(status_of(live_server.url, 200), timeout=90, message="/readyz once Redis is back")
    finally:
        server.stop()
