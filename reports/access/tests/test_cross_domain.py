"""An operator of one domain cannot store, retry or see another domain's reports, uploads or failed mail.

Two monitored domains, northwind and fabrikam. Each persona (a viewer and an operator of northwind, a
staff user who may edit mailboxes but has no grant, and a superuser as the control) signs in to the
running server and tries every write and read of fabrikam's; uploads are ingested by a real worker.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission, User

from reports.demo.report_xml import record_xml
from reports.harness import pages
from reports.harness.builders import daily_report, import_ok
from reports.harness.personas import person
from reports.harness.report_mail import report_email
from reports.harness.waiting import wait_for
from reports.harness.web import Web
from reports.models import AuditEntry, Domain, Mailbox, MailMessage, Report, SenderMark, Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OWN, OTHER = "northwind.example", "fabrikam.example"
PERSONAS = ("viewer", "operator", "staff")


def report(domain: str, report_id: str, ip: str = "192.0.2.10", count: int = 5) -> bytes:
    records = [record_xml(ip=ip, count=count, header_from=domain)]
    return daily_report(2, records, domain=domain, report_id=report_id)


def zipped(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def world(db):
    for name in (OWN, OTHER):
        Domain.objects.get_or_create(name=name)
    import_ok(report(OWN, "own-1"))
    import_ok(report(OTHER, "other-1", ip="198.51.100.77", count=7001))
    staff = User.objects.create_user("staff", password="pw-staff-1", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_mailbox", "change_mailbox"]))
    people = {
        "viewer": person("viewer", OWN),
        "operator": person("operator", OWN, role="operator"),
        "staff": staff,
        "admin": User.objects.create_superuser("admin", password="pw-admin-1"),
    }
    mailbox = Mailbox.objects.create(name="rua", host="imap.internal.example", username="dmarc", password="x")

    def failed(uid, raw, outcomes, subject):
        return MailMessage.objects.create(
            mailbox=mailbox, folder="INBOX", uidvalidity=1, uid=uid, raw=raw, subject=subject,
            state=MailMessage.FAILED, error="refused earlier", outcomes=outcomes,
        )  # fmt: skip

    # Reports that failed before their domain was monitored, and a message nothing could be read of.
    messages = {
        OTHER: failed(1, report_email(report(OTHER, "other-mail")), [{"status": "foreign", "domain": OTHER}],
                      f"Report domain: {OTHER} secret-subject"),
        OWN: failed(2, report_email(report(OWN, "own-mail")), [{"status": "foreign", "domain": OWN}],
                    f"Report domain: {OWN}"),
        "": failed(3, report_email(report(OTHER, "unknown-mail")), [{"status": "rejected", "domain": ""}],
                   "unreadable secret-subject"),
    }  # fmt: skip
    return people, messages


def web(live_server, who: str) -> Web:
    return Web(live_server.url, who, f"pw-{who}-1")


def test_uploads_store_only_the_domains_where_the_uploader_is_operator(world, live_server, celery_worker):
    celery_worker()
    both = zipped(**{"own.xml": report(OWN, "up-own"), "other.xml": report(OTHER, "up-other", count=100000)})

    for who in ("viewer", "staff"):
        assert web(live_server, who).post("/status/", files={"files": ("both.zip", both)}).status_code == 403
    assert not Upload.objects.exists()

    response = web(live_server, "operator").post("/status/", files={"files": ("both.zip", both)})
    assert response.status_code == 302
    wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the upload")
    outcomes = {o["member"]: o for o in Upload.objects.get().outcomes}
    assert outcomes["own.xml"]["status"] == "imported"
    assert outcomes["other.xml"]["status"] == "not-allowed"
    assert f"{OTHER} is not a domain on which you may upload reports" in outcomes["other.xml"]["error"]
    assert Report.objects.filter(report_id="up-own").exists()
    assert not Report.objects.filter(report_id="up-other").exists()
    assert not Report.objects.filter(domain=OTHER, message_count=100000).exists()
    ingested = AuditEntry.objects.get(action=AuditEntry.UPLOAD, target="both.zip (ingested)")
    assert ingested.detail["imported"] == [OWN] and ingested.detail["refused"] == [OTHER]
    page = web(live_server, "operator").get("/uploads/").text
    assert "not-allowed" in page and "operator role" in page

    # The control: an admin's upload of the same file stores both.
    Upload.objects.all().delete()
    assert web(live_server, "admin").post("/status/", files={"files": ("both.zip", both)}).status_code == 302
    wait_for(lambda: Upload.objects.filter(state="done").exists(), timeout=60, message="the admin's upload")
    assert Report.objects.filter(report_id="up-other").exists()


def test_the_ingestion_pages_show_each_persona_only_their_domains(world, live_server):
    people, messages = world
    Upload.objects.create(
        name=f"{OTHER}-only.xml", size=1, state="done", uploaded_by=people["admin"],
        outcomes=[{"status": "imported", "domain": OTHER, "member": None, "report_pk": 1}],
    )  # fmt: skip
    Upload.objects.create(
        name="mixed.zip", size=1, state="done", uploaded_by=people["admin"],
        outcomes=[{"status": "imported", "domain": OWN, "member": "a.xml", "report_id": "own-up",
                   "report_pk": Report.objects.get(domain=OWN).pk},
                  {"status": "imported", "domain": OTHER, "member": "b.xml", "report_id": "other-up",
                   "report_pk": Report.objects.get(domain=OTHER).pk}],
    )  # fmt: skip
    for who in ("viewer", "operator"):
        client = web(live_server, who)
        uploads = client.get("/uploads/").text
        assert "mixed.zip" in uploads and "own-up" in uploads
        assert "1 more report of domains you do not see" in uploads
        assert OTHER not in uploads and "other-up" not in uploads
        status = client.get("/status/").text
        assert "secret-subject" not in status and OTHER not in status
        assert "imap.internal.example" not in status and "refused earlier" not in status
        for path in (f"/status/?domain={OTHER}", f"/uploads/?domain={OTHER}"):
            assert client.get(path).status_code == 404
    staff = web(live_server, "staff")
    assert staff.get("/uploads/").status_code == 403 and staff.get("/status/").status_code == 403
    admin = web(live_server, "admin")
    assert f"{OTHER}-only.xml" in admin.get("/uploads/").text
    status = admin.get("/status/").text
    assert "secret-subject" in status and "imap.internal.example" in status


def test_retrying_a_message_needs_the_operator_role_on_every_domain_it_holds(world, live_server):
    people, messages = world
    expected = {"viewer": 403, "operator": 404, "staff": 403}
    for who in PERSONAS:
        client = web(live_server, who)
        for key in (OTHER, ""):
            response = client.post(f"/mail/{messages[key].pk}/retry/", {"next": "/"}, form_page="/")
            assert response.status_code == expected[who], (who, key, response.status_code)
    assert MailMessage.objects.filter(state=MailMessage.FAILED).count() == 3
    assert not Report.objects.filter(report_id__in=["other-mail", "unknown-mail"]).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.RETRY).exists()

    # The operator retries their own domain's message; the admin the others (the control).
    operator = web(live_server, "operator")
    assert operator.post(f"/mail/{messages[OWN].pk}/retry/", {"next": "/"}, form_page="/").status_code == 302
    assert Report.objects.filter(report_id="own-mail").exists()
    admin = web(live_server, "admin")
    for key in (OTHER, ""):
        assert admin.post(f"/mail/{messages[key].pk}/retry/", {"next": "/"}, form_page="/").status_code == 302
    assert Report.objects.filter(report_id="other-mail").exists()


def test_no_other_write_or_read_of_the_other_domain_works(world, live_server):
    # Every page and action about a domain (reports.harness.pages), for the other domain.
    theirs = pages.subjects(OTHER, ip="198.51.100.77")
    about = [p for p in pages.app_pages() if p.about_a_domain]
    reads = [p.url(theirs) for p in about if p.reads]
    bodies = {"mark_sender": {"source": "198.51.100.77", "verdict": "ours"}}
    writes = [(p.url(theirs), bodies.get(p.name, {})) for p in about if p.methods == ("POST",)]
    assert len(reads) >= 10 and len(writes) >= 2
    for who in PERSONAS:
        client = web(live_server, who)
        for path in reads:
            response = client.get(path)
            assert response.status_code in (403, 404), (who, path, response.status_code)
            assert OTHER not in response.text and "7,001" not in response.text and "7001" not in response.text
        for path, data in writes:
            response = client.post(path, data, form_page="/")
            assert response.status_code in (403, 404), (who, path, response.status_code)
    assert not SenderMark.objects.exists()
    assert not AuditEntry.objects.filter(action__in=[AuditEntry.MARK, AuditEntry.REFRESH_DNS]).exists()
