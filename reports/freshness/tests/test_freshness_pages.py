"""Stale data shows where the operator decides: banners on the overview, the domains list, last reports."""

import pytest
from django.urls import reverse

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.report_mail import report_email, small_report
from reports.mail import poll as mail


@pytest.fixture
def silent_domain(db):
    """quiet.example: its only reporter sent daily reports until 5 days ago."""
    for back in range(5, 20):
        import_ok(daily_report(back, [record_xml(ip="192.0.2.5", count=10)], domain="quiet.example"))


def test_a_reporter_silent_for_5_days_shows_as_a_banner_and_in_the_last_reports(
    superuser_client, silent_domain
):
    body = superuser_client.get("/?domain=quiet.example").content.decode()
    banners = body[body.index('class="banners"') :]
    banners = banners[: banners.index("</ul>")]
    assert "No report for quiet.example in the last 3 days" in banners
    table = body[body.index('class="last-reports"') :]
    assert "google.com" in table and "silent" in table[: table.index("</table>")]


def test_a_reporter_still_sending_shows_no_banner(superuser_client, db):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.5", count=10)]))
    body = superuser_client.get("/?domain=example.com").content.decode()
    assert 'class="banners"' not in body
    assert 'class="last-reports"' in body


@pytest.mark.imap
@pytest.mark.django_db(transaction=True)
def test_a_failing_mailbox_shows_on_the_overview_and_the_domains_list(
    dovecot, imap_user, make_mailbox, operator_client
):
    client = operator_client  # of example.com, not a superuser
    good = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1))])
    mail.poll(good)  # the report arrives through this mailbox
    good.password = "Wrong-Password-7"
    good.save(update_fields=["password"])
    with pytest.raises(mail.MailboxError):
        mail.poll(good)

    overview = client.get("/?domain=example.com").content.decode()
    # A failing mailbox shows to everyone who sees the domain; its error only to superusers (status page).
    assert f"Mailbox {good.name} fails to poll" in overview and "Authentication failed" not in overview
    assert "Wrong-Password-7" not in overview

    response = client.get(reverse("domains"))
    row = {r.name: r for r in response.context["rows"]}["example.com"]
    assert [m.status for m in row.mailboxes] == ["failing"]
    assert f"{good.name}: failing" in response.content.decode()
