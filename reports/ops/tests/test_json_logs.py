"""LOG_FORMAT=json from real processes: gunicorn serving the app, and a Celery worker ingesting."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from prometheus_client.parser import text_string_to_metric_families

from reports.demo.report_xml import record_xml
from reports.harness import personas
from reports.harness.builders import daily_report
from reports.harness.waiting import wait_for
from reports.harness.web import gunicorn
from reports.harness.workers import worker_env
from reports.models import Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def json_lines(text: str) -> list[dict]:
    """Every line of `text` as JSON: a line that is not one fails the test."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_gunicorn_writes_one_json_object_per_line_with_the_request_id(tmp_path):
    log = tmp_path / "web.log"
    with gunicorn(worker_env(LOG_FORMAT="json"), log) as base:
        missing = requests.get(base + "/no-such-page/", headers={"X-Request-ID": "req-42"}, timeout=30)
        assert missing.status_code == 404 and missing.headers["X-Request-ID"] == "req-42"
        wait_for(lambda: b"no-such-page" in log.read_bytes(), timeout=30, message="the 404 in the log")
    # Every line, gunicorn's own (started, worker booted, the access log) included (gunicorn.conf.py).
    entries = json_lines(log.read_text())
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    assert any(e["logger"] == "gunicorn.access" and "/healthz" in e["message"] for e in entries)
    found = [e for e in entries if "no-such-page" in e["message"]]
    assert found and found[0]["request_id"] == "req-42" and found[0]["level"] == "WARNING"
    assert {"time", "level", "logger", "message"} <= set(found[0])


def test_a_worker_logs_json_with_the_task_id(client, celery_worker):
    client.force_login(personas.operator())
    # Celery warns of running as root (the tests do; the image runs as dmarc) before any logging is set
    # up, in lines of text: silenced here, not in the product.
    worker = celery_worker(LOG_FORMAT="json", PYTHONWARNINGS="ignore")
    report = daily_report(1, [record_xml(ip="192.0.2.1", count=3)])
    sent = client.post("/status/", {"files": [SimpleUploadedFile("one.xml", report)]})
    wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the upload")
    wait_for(lambda: "succeeded" in worker.log.read_text(), timeout=30, message="the task's end in the log")
    entries = json_lines(worker.log.read_text())
    assert any("ready" in e["message"] for e in entries)
    # A line written while the ingest task ran carries its id.
    ends = [e for e in entries if "ingest_upload" in e["message"] and "succeeded" in e["message"]]
    assert ends and ends[0]["task_id"] in ends[0]["message"]
    # ... and the id of the request that queued it.
    assert ends[0]["request_id"] == sent["X-Request-ID"]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


def test_request_durations_are_summed_over_gunicorn_workers_in_multiprocess_mode(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = worker_env(PROMETHEUS_MULTIPROC_DIR=shared, DMARC_METRICS_TOKEN="t")
    with gunicorn(env, tmp_path / "web.log", 2) as base:
        before = healthz_count(base)
        # One worker takes a request whose headers are not finished and waits for the rest: the other
        # answers the next ten. Then the first one's request is finished and answered too.
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for _ in range(10):
                assert requests.get(base + "/healthz", timeout=30).status_code == 200
            slow.sendall(b"Connection: close\r\n\r\n")
            assert slow.recv(100).startswith(b"HTTP/1.1 200")
        after = healthz_count(base)
    assert after - before == 11 and len(list(shared.glob("histogram_*.db"))) >= 2


def healthz_count(base: str) -> float:
    text = requests.get(base + "/metrics", headers={"Authorization": "Bearer t"}, timeout=30).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "dmarc_request_duration_seconds_count" and s.labels.get("view") == "healthz"
    )
