"""Every report field is attacker-controlled: hostile names must show as text on every page."""

from django.core.files.uploadedfile import SimpleUploadedFile

from reports.demo.report_xml import record_xml
from reports.harness.builders import HOSTILE_ID, HOSTILE_ORG, daily_report, xml_text
from reports.ingest.tasks import ingest_upload
from reports.models import Upload

ESCAPED_ORG = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_ID = "&lt;img src=x onerror=alert(1)&gt;"


def assert_shown_as_text(body: str, *escaped):
    for text in escaped:
        assert text in body
    assert HOSTILE_ORG not in body
    assert "<img src=x" not in body
    assert "onerror=alert" not in body.replace(ESCAPED_ID, "")


def test_hostile_names_are_escaped_on_the_report_pages(superuser_client, hostile):
    assert_shown_as_text(superuser_client.get("/reports/").content.decode(), ESCAPED_ORG, ESCAPED_ID)
    detail = superuser_client.get(f"/reports/{hostile.report_pk}/").content.decode()
    assert_shown_as_text(detail, ESCAPED_ORG, ESCAPED_ID)
    assert "&lt;b&gt;bold&lt;/b&gt;" in detail


def test_hostile_names_are_escaped_on_the_drill_down(superuser_client, hostile):
    body = superuser_client.get("/sources/192.0.2.66/", follow=True).content.decode()
    assert_shown_as_text(body, ESCAPED_ORG, ESCAPED_ID)
    assert "&lt;b&gt;bold&lt;/b&gt;" in body  # the override reason's comment


def test_hostile_names_are_escaped_on_the_overview_sources_and_search(superuser_client, hostile):
    for url in ("/", "/sources/", f"/sources/?q={HOSTILE_ORG}", f"/reports/?q={HOSTILE_ID}"):
        assert_shown_as_text(superuser_client.get(url).content.decode())


def test_hostile_names_are_escaped_in_the_upload_results(superuser_client, db):
    xml = daily_report(1, [record_xml()], org=xml_text(HOSTILE_ORG), report_id=xml_text(HOSTILE_ID))
    superuser_client.post("/status/", {"files": [SimpleUploadedFile("<svg onload=alert(1)>.xml", xml)]})
    ingest_upload(Upload.objects.get().pk)  # what the worker does
    body = superuser_client.get("/uploads/").content.decode()
    assert_shown_as_text(body, ESCAPED_ORG, ESCAPED_ID, "&lt;svg onload=alert(1)&gt;.xml")
    assert "<svg" not in body


def test_the_download_name_cannot_break_out_of_its_header(superuser_client, hostile):
    disposition = superuser_client.get(f"/reports/{hostile.report_pk}/download/")["Content-Disposition"]
    name = disposition.split('filename="', 1)[1]
    assert name.endswith('.xml"') and '"' not in name[:-1]
    assert "<" not in name and "\n" not in name


def test_chart_data_cannot_end_its_script_element(superuser_client, hostile):
    body = superuser_client.get("/sources/192.0.2.66/", follow=True).content.decode()
    start = body.index('<script id="chart-data" type="application/json">')
    end = body.index("</script>", start)
    assert "<" not in body[start + 48 : end]
