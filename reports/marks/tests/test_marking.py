"""Marking senders: the `mark` command, and the page action that only operators and admins may use."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from reports.harness.personas import superuser
from reports.models import AuditEntry, SenderMark

pytestmark = pytest.mark.django_db


def mark(*args) -> str:
    out = StringIO()
    call_command("mark", *args, stdout=out)
    return out.getvalue()


def test_the_command_marks_replaces_lists_and_clears():
    assert (
        mark("Example.COM.", "54.240.8.21", "--ours")
        == "Marked the address 54.240.8.21 as ours for example.com.\n"
    )
    assert mark("example.com", "amazon ses", "--not-ours", "--by", "alice").startswith(
        "Marked the service Amazon SES as not ours"
    )
    assert mark("example.com", "54.240.8.21", "--not-ours")
    row = SenderMark.objects.get(kind="ip")
    assert (row.domain, row.value, row.verdict) == ("example.com", "54.240.8.21", "not-ours")
    assert row.marked_by.endswith("(command line)") and row.marked_at
    listing = mark("example.com")
    assert "address 54.240.8.21: not ours" in listing and "service Amazon SES: not ours (by alice," in listing
    assert (
        mark("example.com", "54.240.8.21", "--clear") == "Cleared the mark on 54.240.8.21 for example.com.\n"
    )
    assert "had no mark" in mark("example.com", "54.240.8.21", "--clear")
    assert SenderMark.objects.count() == 1


def test_the_command_refuses_what_is_not_a_source():
    with pytest.raises(CommandError, match="neither an IP address"):
        mark("example.com", "nothing-like-a-sender", "--ours")
    with pytest.raises(CommandError, match="--ours, --not-ours or --clear"):
        mark("example.com", "192.0.2.1")
    assert not SenderMark.objects.exists()


def post_mark(client, source, verdict):
    return client.post(
        reverse("mark_sender", args=["example.com"]),
        {"source": source, "verdict": verdict, "next": "/sources/"},
    )


def test_the_operator_role_may_mark_senders_on_a_fresh_database():
    assert Group.objects.get(name="operator").permissions.filter(codename="mark_sender").exists()
    assert not Group.objects.get(name="viewer").permissions.filter(codename="mark_sender").exists()


def test_operators_and_admins_may_mark_viewers_may_not(client):
    viewer = User.objects.create_user("viewer", password="pw-viewer-12")
    call_command("grant", "viewer", "example.com", role="viewer")
    client.force_login(viewer)
    assert post_mark(client, "192.0.2.1", "ours").status_code == 403
    assert not SenderMark.objects.exists()

    operator = User.objects.create_user("operator", password="pw-operator-1")
    call_command("grant", "operator", "example.net", role="operator")
    client.force_login(operator)
    # Another domain's operator does not learn that example.com exists.
    assert post_mark(client, "192.0.2.1", "ours").status_code == 404
    call_command("grant", "operator", "example.com", role="operator")
    response = post_mark(client, "192.0.2.0/24", "not-ours")
    assert response.status_code == 302 and response["Location"] == "/sources/"
    row = SenderMark.objects.get()
    assert (row.kind, row.value, row.verdict, row.marked_by) == (
        "network",
        "192.0.2.0/24",
        "not-ours",
        "operator",
    )

    entry = AuditEntry.objects.get(action=AuditEntry.MARK)
    assert (entry.username, entry.target, entry.detail) == (
        "operator",
        "example.com",
        {"source": "192.0.2.0/24", "verdict": "not-ours"},
    )

    client.force_login(superuser("admin"))
    post_mark(client, "192.0.2.0/24", "clear")
    assert not SenderMark.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.MARK, username="admin").count() == 1


def test_a_bad_source_from_the_page_is_explained_and_nothing_stored(client):
    client.force_login(superuser("admin"))
    response = client.post(
        reverse("mark_sender", args=["example.com"]),
        {"source": "<script>", "verdict": "ours", "next": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[0][0] == "/"  # no open redirect
    assert "neither an IP address" in response.content.decode()
    assert not SenderMark.objects.exists()


def test_the_source_page_shows_the_mark_and_offers_the_address_its_network_and_its_service(client):
    from reports.demo.report_xml import record_xml
    from reports.harness.builders import daily_report, import_ok

    ses = record_xml(ip="54.240.8.21", count=9, dkim="fail", spf="fail",
                     dkim_results=(("amazonses.com", "x", "pass"),),
                     spf_results=(("us-east-1.amazonses.com", "mfrom", "pass"),))  # fmt: skip
    import_ok(daily_report(1, [ses]))
    viewer = User.objects.create_user("viewer", password="pw-viewer-12")
    call_command("grant", "viewer", "example.com", role="viewer")
    client.force_login(viewer)
    url = "/sources/54.240.8.21/?domain=example.com"
    body = client.get(url).content.decode()
    assert "Not marked" in body and 'class="mark-targets"' not in body  # viewers see, never mark

    client.force_login(superuser("admin"))
    body = client.get(url).content.decode()
    assert '<option value="54.240.8.21">' in body and '<option value="54.240.8.0/24">' in body
    assert '<option value="Amazon SES">every source of Amazon SES</option>' in body
    client.post(
        reverse("mark_sender", args=["example.com"]),
        {"source": "Amazon SES", "verdict": "not-ours", "next": url},
    )
    client.force_login(viewer)
    response = client.get(url)
    assert response.context["mark"].value == "Amazon SES"
    assert response.context["verdict"].category == "unknown"
    body = response.content.decode()
    assert "marked not ours" in body and "service Amazon SES, by admin" in body and "Undo" not in body


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_mark_from_the_page_has_a_worker_compute_the_readiness_again(
    client, celery_broker, celery_worker, settings
):
    import redis

    from reports.harness.rollout_scenarios import build, google_workspace, ses_default
    from reports.harness.waiting import wait_for
    from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE
    from reports.rollout.tasks import refresh_summary

    # No DNS to ask: the record comes from the reports, here and in the worker.
    settings.DMARC_DNS_NAMESERVERS, settings.DMARC_DNS_TIMEOUT = ["127.0.0.1:9"], 1
    d = "marks.example"
    build(d, [google_workspace(d), ses_default(d)])
    refresh_summary.apply(args=[d]).get()
    queue = redis.Redis.from_url(TEST_BROKER_URL)
    queue.delete(TEST_QUEUE)  # the imports' own computations: only the mark's remains to prove
    client.force_login(superuser("admin"))
    url = reverse("rollout", args=[d])
    assert 'data-ip="54.240.8.21" data-category="misconfigured"' in client.get(url).content.decode()

    response = client.post(
        reverse("mark_sender", args=[d]),
        {"source": "Amazon SES", "verdict": "not-ours", "next": url},
        follow=True,
    )
    assert "is being computed again with this mark" in response.content.decode()
    assert queue.llen(TEST_QUEUE) == 1
    # The page still shows the stored summary until the worker has computed the new one.
    assert 'data-ip="54.240.8.21" data-category="misconfigured"' in response.content.decode()

    celery_worker(DMARC_DNS_NAMESERVERS="127.0.0.1:9", DMARC_DNS_TIMEOUT=1)
    body = wait_for(
        lambda: (page := client.get(url).content.decode()) and 'data-category="unknown"' in page and page,
        timeout=60,
        message="the worker to compute the readiness with the mark",
    )
    assert 'data-ip="54.240.8.21" data-category="unknown"' in body and "marked not ours" in body
