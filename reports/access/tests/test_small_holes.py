"""The small ones: `next` only ever a path of this site; the admin's lists take any query without a 500;
no mark wider than a /16 (IPv4) or /32 (IPv6); and the admin's changes to reports, domains, alert
thresholds and marks in the audit trail."""

import pytest
from django.test import Client
from django.urls import reverse

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.personas import person
from reports.models import AlertThresholds, AuditEntry, Domain, Report, SenderMark

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = ["-1", "overview", "//evil.example/x", "https://evil.example/", "/\\evil.example"]
HOSTILE_NEXT += ["javascript:x", "http://testserver/reports/", "/\t/evil.example", ""]


@pytest.fixture
def a_report(db):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.10", count=5)]))


def test_next_is_followed_only_to_a_path_of_this_site(operator_client, a_report):
    url = reverse("mark_sender", args=["example.com"])
    for value in HOSTILE_NEXT:
        response = operator_client.post(url, {"source": "192.0.2.10", "verdict": "ours", "next": value})
        assert (response.status_code, response["Location"]) == (302, "/"), value
    response = operator_client.post(
        url, {"source": "192.0.2.10", "verdict": "ours", "next": "/sources/?domain=x"}
    )
    assert response["Location"] == "/sources/?domain=x"
    retry = reverse("retry_message", args=[999999])
    assert (
        operator_client.post(retry, {"next": "-1"}).status_code == 404
    )  # no such message: no redirect at all


def test_the_login_follows_next_only_to_a_path(db):
    person("ann", "example.com")
    for value, expected in [("/reports/", "/reports/"), ("http://testserver/reports/", "/"), ("-1", "/")]:
        client = Client()
        response = client.post(
            reverse("login") + f"?next={value}", {"username": "ann", "password": "pw-ann-1", "next": value}
        )
        assert (response.status_code, response["Location"]) == (302, expected), value


@pytest.mark.parametrize(
    "query",
    ["?q=%00", "?domain=%00", "?org_name=%00", "?begin__year=2147483648", "?begin__year=99999999999",
     "?begin__year=2024&begin__month=13", "?begin__year=2024&begin__month=1&begin__day=2147483648",
     "?when__year=2147483648", "?username=%00", "?q=x%00y"],
)  # fmt: skip
def test_the_admins_lists_take_any_query_without_an_error(superuser_client, operator_client, a_report, query):
    for name in ("report", "auditentry", "mailmessage", "rejection", "domain", "sendermark", "mailbox"):
        response = superuser_client.get(reverse(f"admin:reports_{name}_changelist") + query)
        assert response.status_code in (200, 302), (name, query, response.status_code)
    assert superuser_client.get(reverse("admin:auth_user_changelist") + query).status_code in (200, 302)


def test_a_mark_is_at_most_a_16_or_a_32_and_says_why(operator_client, a_report):
    url = reverse("mark_sender", args=["example.com"])
    for wide in ("0.0.0.0/0", "192.0.0.0/8", "2001:db8::/16"):
        response = operator_client.post(url, {"source": wide, "verdict": "ours", "next": "/"}, follow=True)
        assert "wider than a /" in response.content.decode()
    assert not SenderMark.objects.exists()
    operator_client.post(url, {"source": "192.0.0.0/16", "verdict": "ours"})
    assert SenderMark.objects.get().value == "192.0.0.0/16"


def test_the_admins_changes_are_in_the_audit_trail(superuser_client, operator_client, a_report):
    import_ok(daily_report(2, [record_xml(ip="192.0.2.11", count=7)], report_id="second"))
    first, second = Report.objects.order_by("report_id")
    superuser_client.post(reverse("admin:reports_report_delete", args=[first.pk]), {"post": "yes"})
    import_ok(daily_report(3, [record_xml(ip="192.0.2.12", count=9)], report_id="third"))
    superuser_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "delete_selected", "_selected_action": list(Report.objects.values_list("pk", flat=True)),
         "post": "yes"},
    )  # fmt: skip
    assert not Report.objects.exists()
    deleted = AuditEntry.objects.filter(action=AuditEntry.REPORTS).order_by("pk")
    assert [e.detail["domains"] for e in deleted] == [["example.com"], ["example.com"]]
    assert [len(e.detail["reports"]) for e in deleted] == [1, 2] and deleted[1].detail["messages"] == 16
    assert all(e.username == "superuser" for e in deleted)

    superuser_client.post(reverse("admin:reports_domain_add"), {"name": "New.Example"})
    domain = Domain.objects.get(name="new.example")
    superuser_client.post(
        reverse("admin:reports_domain_change", args=[domain.pk]), {"name": "renamed.example"}
    )
    superuser_client.post(reverse("admin:reports_domain_delete", args=[domain.pk]), {"post": "yes"})
    entries = AuditEntry.objects.filter(action=AuditEntry.DOMAINS).order_by("pk")
    assert [(e.target, e.detail.get("created"), e.detail.get("deleted")) for e in entries] == [
        ("new.example", True, None),
        ("renamed.example", False, None),
        ("renamed.example", None, True),
    ]
    assert entries[1].detail["renamed_from"] == "new.example"

    add = reverse("admin:reports_alertthresholds_add")
    page = superuser_client.post(add, {"domain": "example.com", "hourly_cap": "0"}).content.decode()
    assert "At least 1" in page and not AlertThresholds.objects.exists()
    assert superuser_client.post(add, {"domain": "example.com", "hourly_cap": "3"}).status_code == 302
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.ALERTS)
    assert entry.target == "alert thresholds of example.com" and entry.detail["hourly_cap"] == 3

    operator_client.post(
        reverse("mark_sender", args=["example.com"]), {"source": "192.0.2.10", "verdict": "ours"}
    )
    mark = SenderMark.objects.get()
    superuser_client.post(reverse("admin:reports_sendermark_delete", args=[mark.pk]), {"post": "yes"})
    assert not SenderMark.objects.exists()
    cleared = AuditEntry.objects.filter(action=AuditEntry.MARK, username="superuser").get()
    assert cleared.target == "example.com" and cleared.detail == {
        "source": "192.0.2.10",
        "verdict": "clear",
        "deleted": True,
    }
