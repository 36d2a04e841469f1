"""Reports pushed to POST /api/v1/reports/ through the running server, ingested by a real Celery
worker: every file of the shared corpus, the same bytes again, and who may push."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from reports.demo.report_xml import record_xml
from reports.harness.api import Api, token_for
from reports.harness.builders import OTHER, OWN, daily_report
from reports.harness.corpus import corpus_dir
from reports.harness.waiting import wait_for
from reports.models import AuditEntry, Report, Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def finished(api: Api, url: str, timeout: float = 120) -> dict:
    def done():
        body = api.get(url).json()
        return body if body["state"] in ("done", "failed") else None

    return wait_for(done, timeout=timeout, message=url)


def push(api: Api, data: bytes, name: str):
    return api.post("/api/v1/reports/", data=data, headers={"X-Filename": name})


def test_every_corpus_file_pushed_is_ingested_and_the_same_again_is_a_duplicate(live_server, celery_worker):
    celery_worker()
    root = User.objects.create_superuser("root", password="pw-root-1")
    api = Api(live_server.url, token_for(root, "ingest"))
    files = sorted(p for p in (corpus_dir() / "parsedmarc").iterdir() if p.is_file())
    assert len(files) >= 20
    urls = {}
    for path in files:
        response = push(api, path.read_bytes(), path.name)
        if path.stat().st_size == 0:
            # Nothing to ingest: refused at the door, with a clear error.
            assert response.status_code == 400 and "no body" in response.json()["error"]
            continue
        assert response.status_code == 202, (path.name, response.text)
        body = response.json()
        assert body["status_url"] == f"/api/v1/uploads/{body['id']}/" == response.headers["Location"]
        urls[path.name] = body["status_url"]
    status = {name: finished(api, url) for name, url in urls.items()}
    assert {s["state"] for s in status.values()} == {"done"}, {n: s["error"] for n, s in status.items()}
    outcomes = {name: s["reports"] for name, s in status.items()}
    # One report in three containers: stored once. The worker takes pushes in parallel, so which of
    # the three comes first is not fixed.
    nice = sorted(outcomes[f"nice-input{ext}"][0]["status"] for ext in (".xml", ".xml.gz", ".xml.zip"))
    assert nice == ["duplicate", "duplicate", "imported"]
    assert outcomes["!large-example.com!1711897200!1711983600.xml"][0]["records"] == 2286
    # A damaged copy stored in part (lxml's recover mode) is replaced by its clean copy: both say imported.
    imported = {(o["org_name"], o["report_id"], o["domain"]) for reports in outcomes.values() for o in reports
                if o["status"] == "imported"}  # fmt: skip
    assert len(imported) == Report.objects.count() >= 15

    # The same bytes again: nothing stored twice, and the status says so.
    nice = (corpus_dir() / "parsedmarc" / "nice-input.xml").read_bytes()
    again = finished(api, push(api, nice, "again.xml").json()["status_url"])
    assert again["counts"] == {"duplicate": 1} and Report.objects.count() == len(imported)

    # Each outcome has the keys that import_reports --json prints.
    out = io.StringIO()
    call_command("import_reports", str(corpus_dir() / "parsedmarc" / "nice-input.xml"), "--json", stdout=out)
    printed = json.loads(out.getvalue().splitlines()[0])
    assert printed["status"] == "duplicate"
    assert set(again["reports"][0]) == set(printed)


def test_who_may_push_and_what_is_stored(live_server, celery_worker, people):
    celery_worker()
    both = daily_report(2, [record_xml(ip="192.0.2.5", count=4)], report_id="push-own")
    theirs = daily_report(2, [record_xml(ip="192.0.2.6", count=9, header_from=OTHER)], domain=OTHER,
                          report_id="push-other")  # fmt: skip
    # A read token, a viewer's ingest token, a user without a grant: refused before anything is saved.
    assert push(Api(live_server.url, token_for(people["operator"], "read")), both, "a.xml").status_code == 403
    assert push(Api(live_server.url, token_for(people["viewer"], "ingest")), both, "a.xml").status_code == 403
    assert push(Api(live_server.url, token_for(people["nobody"], "ingest")), both, "a.xml").status_code == 403
    assert push(Api(live_server.url, None), both, "a.xml").status_code == 401
    assert not Upload.objects.exists()

    operator = Api(live_server.url, token_for(people["operator"], "ingest"))
    own = finished(operator, push(operator, both, "own.xml").json()["status_url"])
    assert own["counts"] == {"imported": 1} and own["reports"][0]["domain"] == OWN
    # A report of a domain where the operator has no role is refused, as from the upload form.
    other = finished(operator, push(operator, theirs, "other.xml").json()["status_url"])
    assert other["counts"] == {"not-allowed": 1}
    assert not Report.objects.filter(report_id="push-other").exists()
    # The status of another user's push does not exist for them.
    viewer = Api(live_server.url, token_for(people["viewer"], "ingest"))
    assert viewer.get(f"/api/v1/uploads/{own['id']}/").status_code == 404
    # The push and the token's write are in the audit trail.
    assert AuditEntry.objects.filter(action=AuditEntry.UPLOAD, target="own.xml", username="operator").exists()
    used = AuditEntry.objects.filter(action=AuditEntry.API, username="operator").first()
    assert used.detail["what"] == "push" and used.detail["token"].startswith("dmarc_")


def test_a_push_over_the_input_limit_is_refused_unread(live_server, people, settings):
    settings.DMARC_MAX_INPUT_BYTES = 1000
    operator = Api(live_server.url, token_for(people["operator"], "ingest"))
    response = push(operator, b"<feedback>" + b" " * 2000 + b"</feedback>", "big.xml")
    assert response.status_code == 413 and "input limit" in response.json()["error"]
    assert Upload.objects.get().state == "failed"


def test_a_pushed_tls_report_is_stored_and_the_same_again_is_a_duplicate(live_server, celery_worker, people):
    import gzip
    from datetime import date

    from reports.demo import tls_json
    from reports.models import TlsReport

    celery_worker()
    operator = Api(live_server.url, token_for(people["operator"], "ingest"))
    data = gzip.compress(tls_json.dumps(tls_json.google(OWN, date(2026, 11, 2))))
    first = finished(operator, push(operator, data, "google.json.gz").json()["status_url"])
    assert [(o["kind"], o["status"]) for o in first["reports"]] == [("tlsrpt", "imported")], first
    assert TlsReport.objects.get().domains == [OWN]
    again = finished(operator, push(operator, data, "again.json.gz").json()["status_url"])
    assert again["counts"] == {"duplicate": 1} and TlsReport.objects.count() == 1
