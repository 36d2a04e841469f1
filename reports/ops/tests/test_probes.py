"""The probes and the metrics endpoint through the app's own stack: who may read what."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok

pytestmark = pytest.mark.django_db


def test_healthz_answers_whatever_the_host_and_without_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert len(response["X-Request-ID"]) == 32


def test_a_request_id_sent_along_is_kept_and_a_forged_one_replaced():
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="a\nb: c").headers["X-Request-ID"]
    assert forged != "a\nb: c" and len(forged) == 32


def test_readyz_is_503_when_redis_does_not_answer_and_names_no_host(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok", "redis": "down", "worker": "down", "beat": "down", "mailboxes": "ok"
    }  # fmt: skip
    assert "127.0.0.1" not in response.content.decode()


def test_metrics_need_the_token_or_an_allowed_address(settings):
    settings.DMARC_METRICS_TOKEN = "s3cret-token"
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    settings.DMARC_METRICS_TOKEN = ""
    settings.DMARC_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    assert Client(REMOTE_ADDR="10.9.8.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 403


def test_metrics_count_a_file_import_by_outcome(settings, django_capture_on_commit_callbacks):
    settings.DMARC_METRICS_TOKEN = "t"
    # The count is sent once the import commits.
    with django_capture_on_commit_callbacks(execute=True):
        import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=7)]), source="/tmp/a.xml")
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("dmarc_reports_ingested_total", (("kind", "file"), ("outcome", "imported")))] == 1
    assert samples[("dmarc_report_messages_ingested_total", (("kind", "file"),))] == 7
    assert all(name.startswith("dmarc_") for name, _ in samples)


def test_the_grafana_dashboard_reads_only_metrics_the_app_serves(settings):
    settings.DMARC_METRICS_TOKEN = "t"
    Client().get("/healthz")  # a request duration to serve
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    # A family is served even before it has a sample (no mailbox yet, nothing ingested yet).
    families = {family.name: family.type for family in text_string_to_metric_families(text)}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    served = {name + suffix for name, kind in families.items() for suffix in suffixes.get(kind, ("",))}
    dashboard = json.loads((Path(settings.BASE_DIR) / "grafana" / "dmarc-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    read = {name for expr in exprs for name in re.findall(r"\bdmarc_[a-z_]+", expr)}
    assert len(read) >= 10 and read <= served, read - served
