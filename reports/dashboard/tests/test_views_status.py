"""The ingestion status page: rejected inputs, and the upload form importing real report files."""

import gzip
import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.demo.report_xml import record_xml
from reports.models import Rejection, Report
from reports.tests.dashboard import daily_report
from reports.tests.helpers import corpus_dir


@pytest.fixture
def client(client, db):
    client.force_login(User.objects.create_superuser("operator", password="pw-operator-1"))
    return client


def upload(client, *files):
    return client.post("/status/", {"files": [SimpleUploadedFile(name, data) for name, data in files]})


def test_it_imports_several_files_and_shows_the_outcome_of_each(client, db):
    xml = daily_report(1, [record_xml(ip="192.0.2.5", count=12)], org="upload.example", report_id="u-1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.xml", daily_report(2, [record_xml(count=4)], org="zip.example"))
    eml = (corpus_dir() / "parsedmarc" / "mimecast-weird-gzip.eml").read_bytes()
    response = upload(
        client,
        ("a.xml", xml),
        ("b.xml.gz", gzip.compress(xml)),
        ("c.zip", buf.getvalue()),
        ("d.eml", eml),
        ("notes.txt", b"hello, not a report"),
    )
    assert response.status_code == 302 and response["Location"] == "/status/"
    page = client.get("/status/")
    results = page.context["results"]
    assert [r["name"] for r in results] == ["a.xml", "b.xml.gz", "c.zip", "d.eml", "notes.txt"]
    statuses = [[o["status"] for o in r["outcomes"]] for r in results]
    assert statuses[:4] == [["imported"], ["duplicate"], ["imported"], ["imported"]]
    assert statuses[4][0] in ("rejected", "not-dmarc")
    assert results[0]["outcomes"][0]["messages"] == 12
    body = page.content.decode()
    assert f'href="/reports/{results[0]["outcomes"][0]["report_pk"]}/"' in body
    assert "upload.example" in body and "already stored" in body
    # The results are shown once: a reload does not repeat them, nor the import.
    assert client.get("/status/").context["results"] is None
    assert Report.objects.filter(source="upload:a.xml").count() == 1
    # And the upload reaches the dashboard.
    assert client.get("/sources/192.0.2.5/?domain=example.com").context["detail"].totals.messages == 12


def test_rejected_inputs_are_listed_with_their_error(client, db):
    upload(client, ("empty.xml", (corpus_dir() / "parsedmarc" / "empty.xml").read_bytes()))
    rejection = Rejection.objects.get(source="upload:empty.xml")
    page = client.get("/status/").content.decode()
    assert "upload:empty.xml" in page
    assert rejection.error.split("\n")[0][:40] in page


def test_it_asks_for_a_file(client, db):
    response = client.post("/status/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_status_page_includes_the_mailbox_status(client, db):
    response = client.get("/status/")
    assert "reports/_mailbox_status.html" in [t.name for t in response.templates]
