"""The domains list: every monitored domain with its stage, readiness, pass rate, last report and mailbox."""

from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.models import Domain
from reports.rollout.tasks import refresh_readiness


def rows(response):
    return {r.name: r for r in response.context["rows"]}


def test_it_lists_every_monitored_domain_with_stage_readiness_pass_rate_and_last_report(
    superuser_client, scenario
):
    Domain.objects.create(name="quiet.example")  # monitored, no report yet
    refresh_readiness()  # the Celery task that keeps the stored verdicts; the page only reads them
    response = superuser_client.get(reverse("domains"))
    found = rows(response)
    assert sorted(found) == ["example.com", "other.example", "quiet.example"]

    example = found["example.com"]
    assert example.verdict["stage"] == "none"
    assert example.verdict["ready"] is False  # 3 days of data: not enough coverage
    assert example.first_blocker
    assert round(example.pass_pct, 2) == round(100 * 650 / 674, 2)
    assert example.last_end is not None and example.fresh.ok is True

    body = response.content.decode()
    row = body[body.index('data-domain="example.com"') :]
    row = row[: row.index("</tr>")]
    assert "p=none" in row and "not ready" in row and "96.4%" in row
    assert example.first_blocker.split(":")[0] in row
    assert "UTC" in row
    quiet = body[body.index('data-domain="quiet.example"') :]
    assert "none yet" in quiet[: quiet.index("</tr>")]


def test_the_pass_rate_change_compares_with_the_previous_period(superuser_client, db):
    import_ok(daily_report(40, [record_xml(ip="192.0.2.1", count=50), record_xml(ip="192.0.2.2", count=50,
                                dkim="fail", spf="fail")]))  # fmt: skip
    import_ok(daily_report(3, [record_xml(ip="192.0.2.1", count=90), record_xml(ip="192.0.2.2", count=10,
                                dkim="fail", spf="fail")]))  # fmt: skip
    import_ok(daily_report(3, [record_xml(ip="192.0.2.9", count=1)], domain="b.example"))
    row = rows(superuser_client.get(reverse("domains")))["example.com"]
    assert row.pass_pct == 90.0 and row.previous.dmarc_pct == 50.0
    assert row.change == 40.0
    assert "+40.0 pts" in superuser_client.get(reverse("domains")).content.decode()


def test_a_stale_domain_is_marked(superuser_client, db):
    import_ok(daily_report(9, [record_xml(ip="192.0.2.1", count=5)]))
    import_ok(daily_report(1, [record_xml(ip="192.0.2.9", count=1)], domain="b.example"))
    found = rows(superuser_client.get(reverse("domains")))
    assert found["example.com"].fresh.ok is False and found["b.example"].fresh.ok is True


def test_the_home_page_is_the_domains_list_when_there_are_several(superuser_client, scenario):
    response = superuser_client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("domains")
    # With a domain or a range asked for, the overview answers.
    assert superuser_client.get("/?domain=other.example").status_code == 200


def test_one_domain_keeps_the_overview_as_home(superuser_client, db):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=5)]))
    assert superuser_client.get("/").status_code == 200


def test_the_page_never_assesses_a_domain_itself(superuser_client, scenario):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(reverse("domains"))
    assert all(r.verdict is None for r in response.context["rows"])
    assert "being assessed" in response.content.decode()
    # Until then the policy is the one the newest report saw.
    assert {r.name: r.reported_policy for r in response.context["rows"]}["example.com"] == "none"
    # No records, no per-day rollup: an assessment reads them, the page reads only summaries.
    assert not [
        q["sql"] for q in queries if "reports_record" in q["sql"] or "reports_dailyrollup" in q["sql"]
    ]


def test_it_needs_a_login(db):
    from django.test import Client

    assert Client().get(reverse("domains")).status_code == 302


def test_a_user_sees_only_the_domains_granted_to_them(client, scenario):
    viewer = User.objects.create_user("viewer", password="pw-viewer-12")
    call_command("grant", "viewer", "other.example", role="viewer")
    client.force_login(viewer)
    response = client.get(reverse("domains"))
    assert sorted(rows(response)) == ["other.example"]
    assert "example.com" not in response.content.decode().replace("other.example", "")
    # Without any grant there is nothing to list.
    client.force_login(User.objects.create_user("nobody", password="pw-nobody-12"))
    assert client.get(reverse("domains")).status_code == 403
