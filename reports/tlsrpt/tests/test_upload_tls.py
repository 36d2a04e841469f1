"""A TLS report uploaded through the status page, ingested by the upload task: an operator's
domain is stored, another domain is refused as for DMARC reports."""

import gzip

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from reports.demo import tls_json
from reports.ingest import tasks
from reports.models import TlsReport, Upload
from reports.tlsrpt.tests.test_import_tls import DAY

pytestmark = pytest.mark.django_db


def test_an_uploaded_tls_report_is_stored_for_the_operators_domain_only(client, settings):
    settings.DMARC_DOMAINS = ["example.com", "other.example"]
    client.force_login(User.objects.create_user("uploader", password="pw-uploader-1"))
    call_command("grant", "uploader", "example.com", role="operator")
    ours = gzip.compress(tls_json.dumps(tls_json.google("example.com", DAY)))
    theirs = tls_json.dumps(tls_json.microsoft("other.example", DAY))
    files = [SimpleUploadedFile("ours.json.gz", ours), SimpleUploadedFile("theirs.json", theirs)]
    response = client.post("/status/", {"files": files})
    assert response.status_code == 302
    for upload in Upload.objects.order_by("pk"):
        tasks.ingest_upload.apply(args=[upload.pk])
    outcomes = [o for u in Upload.objects.order_by("pk") for o in u.outcomes]
    assert [(o["kind"], o["status"]) for o in outcomes] == [("tlsrpt", "imported"), ("tlsrpt", "not-allowed")]
    report = TlsReport.objects.get()
    assert report.domains == ["example.com"] and report.trusted and report.reporter_verified is None
    page = client.get("/uploads/").content.decode()
    assert "ours.json.gz" in page and "theirs.json" in page
