"""The reports list, a report's detail page and the download of its original."""

import gzip

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.models import Report


def test_the_list_shows_the_chosen_domains_reports_newest_first(superuser_client, scenario):
    response = superuser_client.get("/reports/?domain=example.com")
    reports = list(response.context["page_obj"])
    assert len(reports) == 5
    assert all(r.domain == "example.com" for r in reports)
    assert [r.begin for r in reports] == sorted((r.begin for r in reports), reverse=True)
    assert [r.message_count for r in reports if r.org_name == "Yahoo"] == [50]


def test_the_list_searches_reporters_and_report_ids(superuser_client, scenario):
    assert [
        r.org_name for r in superuser_client.get("/reports/?domain=example.com&q=yah").context["page_obj"]
    ] == ["Yahoo"]
    by_id = superuser_client.get("/reports/?domain=example.com&q=example.com-60").context["page_obj"]
    assert [r.message_count for r in by_id] == [7000]


def test_the_detail_shows_metadata_policy_records_and_warnings(superuser_client, db):
    xml = daily_report(
        1,
        [record_xml(ip="192.0.2.1", count=3), record_xml(ip="192.0.2.2", count=9, dkim="fail", spf="fail")],
        org="reporter.example",
        report_id="abc-123",
        p="quarantine",
    )
    # A record the reporter marks as passing while the DKIM domain does not align with header_from.
    outcome = import_ok(xml)[0]
    report = Report.objects.get(pk=outcome.report_pk)
    Report.objects.filter(pk=report.pk).update(warnings=["The XML was damaged and was recovered: line 3"])
    response = superuser_client.get(f"/reports/{report.pk}/")
    body = response.content.decode()
    assert "reporter.example" in body and "abc-123" in body
    assert "<dt>p</dt><dd>quarantine</dd>" in body
    assert "The XML was damaged and was recovered: line 3" in body
    records = list(response.context["page_obj"])
    assert [(r.source_ip, r.count) for r in records] == [("192.0.2.2", 9), ("192.0.2.1", 3)]
    assert f'href="/reports/{report.pk}/download/"' in body


def test_the_original_downloads_as_xml_or_as_gzip(superuser_client, db):
    xml = daily_report(1, [record_xml(count=3)], org="reporter.example", report_id="dl-1")
    pk = import_ok(xml)[0].report_pk
    response = superuser_client.get(f"/reports/{pk}/download/")
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"].startswith('attachment; filename="reporter.example!example.com!')
    assert response["Content-Disposition"].endswith('.xml"')
    assert response.content == xml
    packed = superuser_client.get(f"/reports/{pk}/download/?format=gz")
    assert packed["Content-Type"] == "application/gzip"
    assert gzip.decompress(packed.content) == xml


def test_an_unknown_report_is_not_found(superuser_client, db):
    assert superuser_client.get("/reports/999999/").status_code == 404
    assert superuser_client.get("/reports/999999/download/").status_code == 404
