"""LOG_FORMAT=json from real processes: gunicorn serving the app, and a Celery worker ingesting."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.demo.report_xml import record_xml
from reports.harness import personas
from reports.harness.builders import daily_report
from reports.harness.redis_server import free_port
from reports.harness.waiting import scaled, wait_for
from reports.harness.workers import worker_env
from reports.models import Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def json_lines(text: str) -> list[dict]:
    """Every line of `text` as JSON: a line that is not one fails the test."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_gunicorn_writes_one_json_object_per_line_with_the_request_id(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "dmarcapp.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
            ],
            cwd=settings.BASE_DIR,
            env=worker_env(LOG_FORMAT="json"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def answers():
            try:
                return requests.get(base + "/healthz", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(answers, timeout=60, message="gunicorn")
        missing = requests.get(base + "/no-such-page/", headers={"X-Request-ID": "req-42"}, timeout=30)
        assert missing.status_code == 404 and missing.headers["X-Request-ID"] == "req-42"
        wait_for(lambda: b"no-such-page" in log.read_bytes(), timeout=30, message="the 404 in the log")
    finally:
        web.terminate()
        web.wait(scaled(30))
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
    client.post("/status/", {"files": [SimpleUploadedFile("one.xml", report)]})
    wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the upload")
    wait_for(lambda: "succeeded" in worker.log.read_text(), timeout=30, message="the task's end in the log")
    entries = json_lines(worker.log.read_text())
    assert any("ready" in e["message"] for e in entries)
    # A line written while the ingest task ran carries its id.
    ends = [e for e in entries if "ingest_upload" in e["message"] and "succeeded" in e["message"]]
    assert ends and ends[0]["task_id"] in ends[0]["message"]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
