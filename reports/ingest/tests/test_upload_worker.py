"""An upload goes through a real Celery worker: the web request returns before anything is parsed,
and the uploads page then shows every report of a multi-report zip."""

import gzip
import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report
from reports.harness.waiting import wait_for
from reports.ingest.uploads import stored_bytes
from reports.models import ReadinessSummary, Report, Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_ingests_every_report_of_an_uploaded_zip(client, celery_broker, celery_worker):
    client.force_login(User.objects.create_user("uploader", password="pw-uploader-1"))
    call_command("grant", "uploader", "example.com", role="operator")  # operators may upload
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in (1, 2, 3):
            zf.writestr(
                f"r{n}.xml", daily_report(n, [record_xml(ip=f"192.0.2.{n}", count=n)], report_id=f"zip-{n}")
            )
    # No worker runs yet: whatever the request did, it did without parsing.
    response = client.post("/status/", {"files": [SimpleUploadedFile("three.zip", buf.getvalue())]})
    assert response.status_code == 302 and response["Location"] == "/uploads/"
    row = Upload.objects.get()
    assert row.state == "queued" and row.uploaded_by.username == "uploader"
    assert not Report.objects.exists()
    page = client.get("/uploads/").content.decode()
    assert "Waiting for a worker." in page and "js/refresh.js" in page

    celery_worker()
    wait_for(lambda: Upload.objects.get().state == "done", timeout=60, message="the upload to be ingested")
    page = client.get("/uploads/")
    body = page.content.decode()
    for n in (1, 2, 3):
        assert f"r{n}.xml" in body and f"zip-{n}" in body
    assert sorted(Report.objects.values_list("report_id", flat=True)) == ["zip-1", "zip-2", "zip-3"]
    assert [o["status"] for o in page.context["uploads"][0]["outcomes"]] == ["imported"] * 3
    assert not page.context["pending"] and "refresh.js" not in body
    # The import touched example.com: a worker computes its readiness summary, which the pages read.
    wait_for(lambda: ReadinessSummary.objects.filter(domain="example.com").exists(), timeout=60)


def test_an_upload_past_the_time_limit_is_stopped_and_keeps_its_bytes(
    client, celery_broker, celery_worker, settings
):
    settings.DMARC_INGEST_SOFT_TIME_LIMIT = 1
    settings.DMARC_INGEST_TIME_LIMIT = 30
    client.force_login(User.objects.create_user("uploader", password="pw-uploader-1"))
    call_command("grant", "uploader", "example.com", role="operator")  # operators may upload
    # About 40 MB of XML: several seconds of work, gzipped to stay within the input limit.
    records = [record_xml(ip=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", count=1) for n in range(90_000)]
    data = gzip.compress(daily_report(1, records, report_id="too-slow"), 1)
    client.post("/status/", {"files": [SimpleUploadedFile("slow.xml.gz", data)]})
    celery_worker(DMARC_INGEST_SOFT_TIME_LIMIT=1, DMARC_INGEST_TIME_LIMIT=30)
    wait_for(lambda: Upload.objects.get().state == "failed", timeout=60, message="the upload to be stopped")
    row = Upload.objects.get()
    assert "took longer than 1 seconds" in row.error and stored_bytes(row.pk) == data
    assert not Report.objects.filter(report_id="too-slow").exists()  # its transaction was rolled back
    assert "took longer than 1 seconds" in client.get("/uploads/").content.decode()
