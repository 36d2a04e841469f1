"""Every page and endpoint, through real requests, for each role and for a user of one domain."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import AuditEntry, Report

pytestmark = pytest.mark.django_db

OWN, OTHER = "example.com", "other.example"
OTHER_IP = "192.0.2.77"  # a source of other.example only
OWN_IP = "192.0.2.10"


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def other_domain_requests(other_report: int):
    """(method, url) of every page and endpoint that is about other.example or one of its reports."""
    q = f"?domain={OTHER}"
    return [
        ("get", "/" + q),
        ("get", reverse("sources") + q),
        ("get", reverse("sources_csv") + q),
        ("get", reverse("source", args=[OTHER_IP]) + q),
        ("get", reverse("source", args=[OWN_IP]) + q),
        ("get", reverse("report_list") + q),
        ("get", reverse("report_detail", args=[other_report])),
        ("get", reverse("report_detail", args=[other_report]) + f"?domain={OWN}"),
        ("get", reverse("report_download", args=[other_report])),
        ("get", reverse("report_download", args=[other_report]) + "?format=gz"),
        ("get", reverse("rollout", args=[OTHER])),
        ("post", reverse("rollout_refresh", args=[OTHER])),
        ("get", reverse("status") + q),
    ]


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_every_page_of_another_domain_answers_404(who, people, scenario):
    other_report = Report.objects.get(domain=OTHER).pk
    client = client_of(people[who])
    for method, url in other_domain_requests(other_report):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (who, url, response.status_code)
        assert OTHER.encode() not in response.content and b"7000" not in response.content
    assert not AuditEntry.objects.filter(action=AuditEntry.REFRESH_DNS).exists()


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_the_pages_of_their_own_domain_work_and_show_only_it(who, people, scenario):
    own_report = Report.objects.filter(domain=OWN).first().pk
    client = client_of(people[who])
    for url in [
        "/",
        f"/?domain={OWN}",
        reverse("sources") + f"?domain={OWN}",
        reverse("source", args=[OWN_IP]) + f"?domain={OWN}",
        reverse("report_list"),
        reverse("report_detail", args=[own_report]),
        reverse("rollout", args=[OWN]),
        reverse("rollout_how"),
        reverse("status"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, (who, url)
        assert OTHER.encode() not in response.content, (who, url)
    assert client.get(reverse("report_download", args=[own_report])).content.startswith(b"<?xml")
    overview = client.get("/?range=30")
    assert overview.context["domains"] == [OWN]
    assert overview.context["domain"] == OWN
    listed = client.get(reverse("report_list")).context["page_obj"]
    assert {r.domain for r in listed} == {OWN} and len(listed) == Report.objects.filter(domain=OWN).count()


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_the_export_holds_only_their_rows(who, people, scenario):
    client = client_of(people[who])
    for url in [reverse("sources_csv"), reverse("sources_csv") + f"?domain={OWN}&range=90"]:
        rows = list(csv.DictReader(io.StringIO(client.get(url).content.decode())))
        assert {r["source_ip"] for r in rows} >= {OWN_IP, "198.51.100.7"}
        assert OTHER_IP not in {r["source_ip"] for r in rows}


def test_the_drill_down_of_a_shared_address_shows_only_their_domains_records(people, scenario):
    # 192.0.2.77 sent for other.example only: under example.com it has no records at all.
    client = client_of(people["viewer"])
    response = client.get(reverse("source", args=[OTHER_IP]) + f"?domain={OWN}&range=90")
    assert response.status_code == 200
    assert list(response.context["records"]) == []
    assert OTHER.encode() not in response.content


def test_a_user_without_a_grant_gets_403_everywhere(people, scenario):
    client = client_of(people["nobody"])
    own_report = Report.objects.filter(domain=OWN).first().pk
    for url in ["/", reverse("sources"), reverse("sources_csv"), reverse("report_list"), reverse("status"),
                reverse("rollout_how"), reverse("source", args=[OWN_IP])]:  # fmt: skip
        assert client.get(url).status_code == 403, url
    # Domains and reports they cannot see do not exist for them.
    assert client.get(reverse("report_detail", args=[own_report])).status_code == 404
    assert client.get(reverse("rollout", args=[OWN])).status_code == 404
    assert b"Ask an admin" in client.get("/").content or b"An admin can grant" in client.get("/").content


def test_a_viewer_may_not_upload_retry_or_refresh(people, scenario):
    client = client_of(people["viewer"])
    upload = io.BytesIO(b"<feedback/>")
    upload.name = "r.xml"
    assert client.post(reverse("status"), {"files": upload}).status_code == 403
    assert client.post(reverse("retry_message", args=[1])).status_code == 403
    assert client.post(reverse("rollout_refresh", args=[OWN])).status_code == 403
    page = client.get(reverse("status")).content.decode()
    assert 'enctype="multipart/form-data"' not in page
    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=[OWN]).get()  # the page shows the stored summary, not "pending"
    readiness = client.get(reverse("rollout", args=[OWN])).content.decode()
    assert 'id="verdict" data-stage="none"' in readiness and "Refresh DNS" not in readiness
    assert not AuditEntry.objects.exclude(action=AuditEntry.ACCESS).exists()
    assert Report.objects.filter(original_name="r.xml").count() == 0


def test_an_operator_uploads_and_the_upload_is_audited(people, scenario):
    from reports.demo.report_xml import record_xml
    from reports.tests.dashboard import daily_report

    client = client_of(people["operator"])
    upload = io.BytesIO(daily_report(5, [record_xml(ip="192.0.2.55", count=9)], org="Upload Org"))
    upload.name = "upload.xml"
    response = client.post(reverse("status"), {"files": upload})
    assert response.status_code == 302
    # A worker ingests the upload (reports.ingest.tasks); run its task here as the worker would.
    from reports.ingest.tasks import ingest_upload
    from reports.models import Upload

    saved = Upload.objects.get()
    assert saved.uploaded_by == people["operator"]
    ingest_upload.apply(args=[saved.pk])
    assert Report.objects.filter(org_name="Upload Org", domain=OWN).exists()
    sent, ingested = AuditEntry.objects.filter(action=AuditEntry.UPLOAD).order_by("when", "pk")
    assert (sent.username, sent.user, sent.target) == ("operator", people["operator"], "upload.xml")
    # Once ingested, the entry says which domains the upload changed.
    assert (ingested.user, ingested.target) == (people["operator"], "upload.xml (ingested)")
    assert ingested.detail["imported"] == [OWN] and ingested.detail["refused"] == []


def test_a_superuser_sees_every_domain(people, scenario):
    client = client_of(people["admin"])
    other_report = Report.objects.get(domain=OTHER).pk
    for method, url in other_domain_requests(other_report):
        if method == "get":
            assert client.get(url).status_code == 200, url
    assert set(client.get("/?range=30").context["domains"]) == {OWN, OTHER}


def test_the_readiness_refresh_is_allowed_to_operators_of_the_domain_and_audited(people, scenario, settings):
    from reports.tests.dns_server import DnsServer

    with DnsServer() as dns:
        dns.txt(f"_dmarc.{OWN}", "v=DMARC1; p=none")
        dns.serve(settings)
        client = client_of(people["operator"])
        response = client.post(reverse("rollout_refresh", args=[OWN]))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.REFRESH_DNS)
    assert (entry.username, entry.target) == ("operator", OWN)
