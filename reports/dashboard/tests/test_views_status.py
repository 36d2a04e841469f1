"""The ingestion status page: rejected inputs, and the upload form whose files a worker ingests."""

import gzip
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report
from reports.harness.corpus import corpus_dir
from reports.ingest.tasks import ingest_upload
from reports.models import Rejection, Report, Upload, UploadChunk


def upload(superuser_client, *files):
    return superuser_client.post(
        "/status/", {"files": [SimpleUploadedFile(name, data) for name, data in files]}
    )


def ingest_queued():
    """Run the ingest task of every queued upload, here (the worker test below runs them in a worker)."""
    for pk in Upload.objects.filter(state=Upload.QUEUED).order_by("id").values_list("id", flat=True):
        ingest_upload(pk)


def test_it_imports_several_files_and_shows_the_outcome_of_each(superuser_client, db):
    xml = daily_report(1, [record_xml(ip="192.0.2.5", count=12)], org="upload.example", report_id="u-1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.xml", daily_report(2, [record_xml(count=4)], org="zip.example"))
    eml = (corpus_dir() / "parsedmarc" / "mimecast-weird-gzip.eml").read_bytes()
    response = upload(
        superuser_client,
        ("a.xml", xml),
        ("b.xml.gz", gzip.compress(xml)),
        ("c.zip", buf.getvalue()),
        ("d.eml", eml),
        ("notes.txt", b"hello, not a report"),
    )
    assert response.status_code == 302 and response["Location"] == "/uploads/"
    # The request saved the files and parsed nothing.
    assert not Report.objects.exists()
    assert list(Upload.objects.order_by("id").values_list("name", "state")) == [
        (name, "queued") for name in ("a.xml", "b.xml.gz", "c.zip", "d.eml", "notes.txt")
    ]
    assert set(Upload.objects.values_list("uploaded_by__username", flat=True)) == {"superuser"}
    ingest_queued()
    page = superuser_client.get("/uploads/")
    rows = list(reversed(page.context["uploads"]))  # newest first
    assert [r["upload"].name for r in rows] == ["a.xml", "b.xml.gz", "c.zip", "d.eml", "notes.txt"]
    statuses = [[o["status"] for o in r["outcomes"]] for r in rows]
    assert statuses[:4] == [["imported"], ["duplicate"], ["imported"], ["imported"]]
    assert statuses[4][0] in ("rejected", "not-dmarc")
    assert rows[0]["outcomes"][0]["messages"] == 12
    body = page.content.decode()
    assert f'href="/reports/{rows[0]["outcomes"][0]["report_pk"]}/"' in body
    assert "upload.example" in body and "already stored" in body
    assert not page.context["pending"] and "refresh.js" not in body
    # Ingested: the bytes are gone from the upload (the report keeps its own).
    assert set(bytes(d) for d in Upload.objects.values_list("data", flat=True)) == {b""}
    assert not UploadChunk.objects.exists()
    # Running a task again (a redelivery) ingests nothing twice.
    ingest_upload(Upload.objects.get(name="a.xml").pk)
    assert Report.objects.filter(origin="upload:a.xml").count() == 1
    # And the upload reaches the dashboard.
    assert (
        superuser_client.get("/sources/192.0.2.5/?domain=example.com").context["detail"].totals.messages == 12
    )


def test_a_file_over_the_input_limit_is_refused_unread(superuser_client, db, settings):
    settings.DMARC_MAX_INPUT_BYTES = 100
    upload(superuser_client, ("big.xml", b"x" * 101))
    row = Upload.objects.get()
    assert row.state == "failed" and bytes(row.data) == b"" and not UploadChunk.objects.exists()
    page = superuser_client.get("/uploads/").content.decode()
    assert "more than the 100-byte input limit" in page


def test_a_file_is_stored_in_pieces_and_a_user_uploads_at_most_a_days_limit(operator_client, settings):
    from reports.ingest.uploads import CHUNK, stored_bytes

    # An operator of example.com: superusers have no limit.
    settings.DMARC_UPLOAD_BYTES_PER_DAY = 4 * CHUNK
    # Three pieces: a file this big is spooled to disk by Django, then read a piece at a time.
    data = bytes(range(256)) * (3 * CHUNK // 256)
    upload(operator_client, ("first.bin", data))
    first = Upload.objects.get()
    assert UploadChunk.objects.filter(upload=first).count() == 3 and stored_bytes(first.pk) == data
    upload(operator_client, ("second.bin", data))
    second = Upload.objects.get(name="second.bin")
    assert second.state == "failed" and "DMARC_UPLOAD_BYTES_PER_DAY" in second.error
    assert not UploadChunk.objects.filter(upload=second).exists()
    assert "bytes one user may upload in a day" in operator_client.get("/uploads/").content.decode()
    # What was refused unread does not count; a smaller file still fits.
    upload(operator_client, ("third.xml", b"<x/>" * 100))
    assert Upload.objects.get(name="third.xml").state == "queued"


def test_the_uploads_page_refreshes_itself_while_a_file_waits(superuser_client, db):
    upload(superuser_client, ("a.xml", daily_report(1, [record_xml(count=1)])))
    page = superuser_client.get("/uploads/")
    assert page.context["pending"]
    body = page.content.decode()
    assert "Waiting for a worker." in body and "/static/js/refresh.js" in body and "<script>" not in body


def test_rejected_inputs_are_listed_with_their_error(superuser_client, db):
    upload(superuser_client, ("empty.xml", (corpus_dir() / "parsedmarc" / "empty.xml").read_bytes()))
    ingest_queued()
    rejection = Rejection.objects.get(origin="upload:empty.xml")
    page = superuser_client.get("/status/").content.decode()
    assert "upload:empty.xml" in page
    assert rejection.error.split("\n")[0][:40] in page


def test_it_asks_for_a_file(superuser_client, db):
    response = superuser_client.post("/status/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_status_page_includes_the_mailbox_status(superuser_client, db):
    response = superuser_client.get("/status/")
    assert "reports/mail/_mailbox_status.html" in [t.name for t in response.templates]
