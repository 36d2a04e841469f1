"""Every page and endpoint, through real requests, for each role and for a user of one domain.

The pages come from the registry (reports.harness.pages); what each role gets is what it says."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from reports.harness import pages
from reports.harness.builders import OTHER, OTHER_IP, OWN, OWN_IP
from reports.harness.personas import signed_in
from reports.models import AuditEntry, Report

pytestmark = pytest.mark.django_db

client_of = signed_in


def other_domain_requests():
    """(method, url) of every page and endpoint that is about other.example or one of its reports,
    and the mixes of the two domains: a source of example.com asked under other.example, a report of
    other.example asked under example.com."""
    other = pages.subjects(OTHER)
    found = [(p.methods[0].lower(), p.url(other)) for p in pages.app_pages() if p.about_a_domain]
    return found + [
        ("get", reverse("source", args=[OWN_IP]) + f"?domain={OTHER}"),
        ("get", reverse("report_detail", args=[other.report]) + f"?domain={OWN}"),
        ("get", reverse("report_download", args=[other.report]) + "?format=gz"),
    ]


def crawl(client, role, domain, admin):
    """Every page of the registry about `domain` (each one once for OWN), the app's or the admin's,
    through `client`: the (page, method, url, expected, got) where the answer is not the registry's."""
    s = pages.subjects(domain)
    wrong = []
    for page in pages.every_page():
        if page.admin != admin or (domain != OWN and not page.about_a_domain):
            continue
        url = page.url(s)
        if url is None:
            continue
        for method in page.methods:
            expected = page.answer(role, domain, method)
            if method == "POST" and expected in (None, page.ok):
                continue  # an allowed action is tested where its effect is
            got = getattr(client, method.lower())(url).status_code
            if got != expected:
                wrong.append((page.name, method, url, expected, got))
    return wrong


@pytest.mark.parametrize("role", pages.EVERYONE)
def test_every_page_answers_each_role_as_the_registry_says(role, people, scenario):
    client = Client() if role == pages.ANONYMOUS else signed_in(people[role])
    wrong = crawl(client, role, OWN, admin=False) + crawl(client, role, OTHER, admin=False)
    assert not wrong, "\n".join(map(str, wrong))
    # Nothing a refused request asked for was done.
    assert not AuditEntry.objects.exclude(action=AuditEntry.ACCESS).exists()


@pytest.mark.slow  # every admin page, each role
@pytest.mark.parametrize("role", pages.EVERYONE)
def test_every_admin_page_answers_each_role_as_the_registry_says(role, people, scenario):
    client = Client() if role == pages.ANONYMOUS else signed_in(people[role])
    wrong = crawl(client, role, OWN, admin=True)
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_every_page_of_another_domain_answers_404(who, people, scenario):
    client = client_of(people[who])
    for method, url in other_domain_requests():
        response = getattr(client, method)(url)
        assert response.status_code == 404, (who, url, response.status_code)
        assert OTHER.encode() not in response.content and b"7000" not in response.content
    assert not AuditEntry.objects.filter(action=AuditEntry.REFRESH_DNS).exists()


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_the_pages_of_their_own_domain_work_and_show_only_it(who, people, scenario):
    own_report = Report.objects.filter(domain=OWN).first().pk
    client = client_of(people[who])
    own = pages.urls(pages.subjects(OWN), role=who, kinds=(pages.HTML, pages.CSV, pages.FILE))
    for url in ["/", reverse("report_list"), reverse("status"), *own]:
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
    from reports.harness.builders import daily_report

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
    client = client_of(people["superuser"])
    for method, url in other_domain_requests():
        if method == "get":
            # 202: the API's readiness while no worker has assessed the domain yet.
            assert client.get(url).status_code in (200, 202), url
    assert set(client.get("/?range=30").context["domains"]) == {OWN, OTHER}


def test_the_readiness_refresh_is_allowed_to_operators_of_the_domain_and_audited(people, scenario, settings):
    from reports.harness.dns_server import DnsServer

    with DnsServer() as dns:
        dns.txt(f"_dmarc.{OWN}", "v=DMARC1; p=none")
        dns.serve(settings)
        client = client_of(people["operator"])
        response = client.post(reverse("rollout_refresh", args=[OWN]))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.REFRESH_DNS)
    assert (entry.username, entry.target) == ("operator", OWN)
