"""The alerts page, the overview's open alerts, and the alert settings page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from reports.alerts import links
from reports.alerts.recipients import for_alert
from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.models import Alert, AlertPreference, DigestSubscription

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def operator_of_both(client, django_user_model):
    """An operator of example.com and other.example, with an address, signed in to `client`."""
    user = django_user_model.objects.create_user("op", "op@ops.test", "pw")
    call_command("grant", "op", "example.com", "other.example", role="operator")
    client.force_login(user)
    return user


@pytest.fixture
def domains(db):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.10", count=10)], domain="example.com",
                           report_id="a"))  # fmt: skip
    import_ok(daily_report(1, [record_xml(ip="192.0.2.11", count=5, header_from="other.example")],
                           domain="other.example", report_id="b"))  # fmt: skip


def alert(domain, subject, resolved=False, **kw):
    now = timezone.now()
    fields = dict(key=f"{domain}|blocked|{subject}", domain=domain, rule="blocked", subject=subject,
                  severity="critical", title=f"{domain}: mail from {subject} is being blocked",
                  text="Fix it.",
                  facts={"sources": [{"ip": "54.240.8.21", "service": "Amazon SES"}]}, opened=now,
                  resolved=now if resolved else None)  # fmt: skip
    fields.update(kw)
    return Alert.objects.create(**fields)


def test_the_alerts_page_shows_open_and_resolved_alerts_with_links_to_their_sources(
    operator_of_both, client, domains
):
    alert("example.com", "Amazon SES")
    alert("example.com", "Mailchimp", resolved=True)
    alert("other.example", "Postmark")
    page = client.get("/alerts/?domain=example.com").content.decode()
    open_part, resolved_part = page.split('id="resolved-alerts"')
    assert "mail from Amazon SES is being blocked" in open_part and "Mailchimp" not in open_part
    assert "mail from Mailchimp is being blocked" in resolved_part
    assert "Postmark" not in page
    assert 'href="/sources/54.240.8.21/?domain=example.com&amp;range=30"' in page
    assert "Postmark" in client.get("/alerts/").content.decode()


def test_a_hostile_title_cannot_break_the_pages(operator_of_both, client, domains):
    alert("example.com", "x", title=HOSTILE, text=HOSTILE, facts={"sources": [{"ip": HOSTILE}, "junk"]})
    for url in ("/alerts/", "/?domain=example.com"):
        page = client.get(url).content.decode()
        assert HOSTILE not in page and "&lt;script&gt;" in page


def test_the_overview_shows_the_open_alerts_of_its_domain(operator_of_both, client, domains):
    alert("example.com", "Amazon SES")
    alert("example.com", "Mailchimp", resolved=True)
    page = client.get("/?domain=example.com").content.decode()
    assert 'id="open-alerts"' in page and "mail from Amazon SES is being blocked" in page
    assert "Mailchimp" not in page
    assert 'id="open-alerts"' not in client.get("/?domain=other.example").content.decode()


def test_a_user_sees_and_sets_the_alerts_of_their_own_domains_only(client, django_user_model, domains):
    alert("example.com", "Amazon SES")
    alert("other.example", "SendGrid")
    django_user_model.objects.create_user("viewer", "v@ops.test", "pw")
    call_command("grant", "viewer", "example.com", role="viewer")
    client.force_login(django_user_model.objects.get(username="viewer"))

    page = client.get("/alerts/").content.decode()
    assert "Amazon SES" in page and "SendGrid" not in page
    assert client.get("/alerts/?domain=other.example").status_code == 404
    settings_page = client.get("/alerts/settings/").content.decode()
    assert "example.com" in settings_page and "other.example" not in settings_page
    # A viewer gets the domain's default alerts: choosing them is an operator's right.
    assert 'id="readonly-domains"' in settings_page and 'name="d0-email"' not in settings_page
    client.post("/alerts/settings/", {"d0-rules": ["dns"], "d0-email": "", "digest": "on"})
    assert not AlertPreference.objects.filter(domain="example.com").exists()


def test_the_alert_pages_need_a_login(client):
    assert client.get("/alerts/").status_code == 302
    assert client.get("/alerts/settings/").status_code == 302


SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


def test_each_user_chooses_rules_and_channels_per_domain(operator_of_both, client, domains):
    page = client.get("/alerts/settings/").content.decode()
    assert "example.com" in page and "other.example" in page
    # Forms are in the busiest-first order of the domains: example.com is d0.
    data = {"digest": "", "d0-rules": ["blocked", "dns"], "d0-email": "on",
            "d0-urls": f"{SLACK}\nntfy://alerts-topic",
            "d1-rules": [], "d1-urls": ""}  # fmt: skip
    assert client.post("/alerts/settings/", data).status_code == 302
    pref = AlertPreference.objects.get(user=operator_of_both, domain="example.com")
    assert (pref.rules, pref.email, pref.urls) == (["blocked", "dns"], True, f"{SLACK}\nntfy://alerts-topic")
    other = AlertPreference.objects.get(user=operator_of_both, domain="other.example")
    assert (other.rules, other.email) == ([], False)
    assert DigestSubscription.objects.get(user=operator_of_both).enabled is False

    # The page shows the saved URLs with their tokens hidden; sent back as shown, they are kept.
    page = client.get("/alerts/settings/").content.decode()
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in page and "A1BRTD4JD" not in page and "slack://" in page
    shown = client.get("/alerts/settings/").context["forms"][0][1]["urls"].value()
    assert client.post("/alerts/settings/", {**data, "d0-urls": shown}).status_code == 302
    assert (
        AlertPreference.objects.get(user=operator_of_both, domain="example.com").urls
        == f"{SLACK}\nntfy://alerts-topic"
    )

    data["d0-urls"] = "not a url at all"
    page = client.post("/alerts/settings/", data).content.decode()
    assert "Line 1" in page and "not a URL" in page
    assert AlertPreference.objects.get(user=operator_of_both, domain="example.com").urls.startswith(
        "slack://"
    )


def test_the_unsubscribe_link_of_an_alert_email_stops_that_domains_alert_email_only(
    client, django_user_model, db
):
    user = django_user_model.objects.create_user("op", "op@ops.test", "pw")
    call_command("grant", "op", "example.com", "other.example", role="viewer")
    token = links.unsubscribe_token(user_id=user.pk, scope="alerts:example.com", address="op@ops.test")
    path = links.unsubscribe_url(token).removeprefix(links.absolute(""))
    assert b"Stop alert emails for example.com to op@ops.test?" in client.get(path).content
    # Mail clients' one-click unsubscribe (RFC 8058) POSTs without a session or a CSRF token.
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    pref = AlertPreference.objects.get(user=user, domain="example.com")
    assert pref.email is False and "blocked" in pref.rules
    assert [r.target for r in for_alert("example.com", "blocked")] == []
    assert [r.target for r in for_alert("other.example", "blocked")] == ["op@ops.test"]

    env = links.unsubscribe_token(user_id=None, scope="alerts:example.com", address="noc@ops.test")
    page = client.get(links.unsubscribe_url(env).removeprefix(links.absolute(""))).content.decode()
    assert "DMARC_ALERT_EMAILS" in page and "noc@ops.test" in page
