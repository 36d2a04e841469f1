"""Sending: a refused send is retried with backoff and shown on the status page, never lost; the hourly
cap holds messages back until the hour has passed; mailbox alerts reach superusers only."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.alerts.tasks import send_alert_deliveries
from reports.harness.alert_scenarios import alerts
from reports.models import Alert, AlertMemory, Delivery, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_alice(superuser):
    """Superusers hear about mailboxes: the superuser, with an address."""
    superuser.email = "alice@ops.test"
    superuser.save(update_fields=["email"])
    return superuser


def stuck_mailbox(name="reports", hours=7):
    now = timezone.now()
    return Mailbox.objects.create(
        name=name, host="imap.example.net", username="dmarc", last_poll=now,
        last_success=now - timedelta(hours=hours), last_error="LOGIN failed: authentication failed",
    )  # fmt: skip


def test_a_mailbox_that_stopped_polling_alerts_the_superusers_only_and_resolves_once(
    superuser_alice, smtp, django_user_model
):
    # Its error quotes the mailbox's server: neither a staff user nor a viewer of a domain hears of it.
    django_user_model.objects.create_user("bob", "bob@ops.test", "pw", is_staff=True)
    django_user_model.objects.create_user("carol", "carol@ops.test", "pw")
    call_command("grant", "carol", "example.com", role="operator", stdout=StringIO())
    box = stuck_mailbox()
    lines = [x for x in alerts() if x["domain"] == ""]
    assert [(x["domain"], x["rule"], x["key"], x["recipients"], x["sent"]) for x in lines] == [
        ("", "silence", "|silence|mailbox:reports", ["alice@ops.test"], True)
    ]
    (mail,) = [m for m in smtp.messages if "LOGIN failed" in m.get_body(("plain",)).get_content()]
    assert mail.envelope_to == ["alice@ops.test"]
    assert alerts() == []
    box.last_success = timezone.now()
    box.save()
    resolved = [(x["state"], x["sent"], x["recipients"]) for x in alerts()]
    assert resolved == [("resolved", True, ["alice@ops.test"])]
    assert alerts() == []


def test_a_refused_send_is_retried_with_backoff_and_shown_on_the_status_page(
    superuser_alice, smtp, webhook, settings, client
):
    settings.DMARC_RETRY_BACKOFF = 1
    settings.DMARC_ALERT_URLS = [webhook.url("hook")]
    smtp.refuse = "451 4.3.0 Mailbox busy, try later"
    webhook.status = 500
    stuck_mailbox()

    (line,) = alerts()
    assert line["sent"] is False and len(line["recipients"]) == 2
    rows = {d.channel: d for d in Delivery.objects.all()}
    assert rows["email"].state == "pending" and "451" in rows["email"].last_error
    assert rows["apprise"].state == "pending" and rows["apprise"].last_error
    client.force_login(superuser_alice)
    page = client.get("/status/").content.decode()
    assert "Mailbox busy, try later" in page and "retrying" in page

    smtp.refuse, webhook.status = "", 200
    time.sleep(1.1)  # the first retry waits DMARC_RETRY_BACKOFF seconds
    send_alert_deliveries.apply().get()
    assert [d.state for d in Delivery.objects.order_by("channel")] == ["sent", "sent"]
    # The SMTP server keeps only what it accepted; the receiver saw the refused POST and the retry.
    assert len(smtp.messages) == 1 and len(webhook.at("hook")) == 2
    assert "Mailbox busy" not in client.get("/status/").content.decode()


def test_a_send_that_keeps_failing_is_given_up_and_stays_on_the_status_page(
    superuser_alice, smtp, settings, client
):
    settings.DMARC_RETRY_BACKOFF = 1
    settings.DMARC_ALERT_MAX_ATTEMPTS = 2
    smtp.refuse = "550 5.1.1 No such user"
    stuck_mailbox()
    alerts()
    time.sleep(1.1)
    send_alert_deliveries.apply().get()
    (d,) = Delivery.objects.all()
    assert (d.state, d.attempts) == ("failed", 2) and "No such user" in d.last_error
    client.force_login(superuser_alice)
    page = client.get("/status/").content.decode()
    assert "gave up" in page and "No such user" in page


def test_the_hourly_cap_holds_back_the_rest_until_the_hour_has_passed(superuser_alice, smtp, settings):
    settings.DMARC_ALERT_HOURLY_CAP = 1
    stuck_mailbox("first", hours=9)
    stuck_mailbox("second", hours=8)
    lines = alerts()
    assert sorted((x["key"], x["sent"]) for x in lines) == [
        ("|silence|mailbox:first", True),
        ("|silence|mailbox:second", False),
    ]
    assert len(smtp.messages) == 1
    assert alerts() == []  # still within the hour
    Alert.objects.filter(notified__isnull=False).update(notified=timezone.now() - timedelta(minutes=61))
    assert [(x["key"], x["sent"]) for x in alerts()] == [("|silence|mailbox:second", True)]
    assert len(smtp.messages) == 2


def test_dry_run_records_and_sends_nothing(superuser_alice, smtp):
    stuck_mailbox()
    (line,) = alerts("--dry-run")
    assert (line["state"], line["sent"], line["recipients"]) == ("firing", False, ["alice@ops.test"])
    assert not Alert.objects.exists() and smtp.messages == []


def test_a_mailbox_that_never_polled_successfully_alerts_after_the_same_hours(superuser_alice, smtp):
    box = stuck_mailbox()
    Mailbox.objects.filter(pk=box.pk).update(last_success=None)
    assert alerts() == []  # first seen failing now
    AlertMemory.objects.filter(name=f"mailbox-failing:{box.pk}").update(
        value=(timezone.now() - timedelta(hours=7)).isoformat()
    )
    assert [(x["key"], x["sent"]) for x in alerts()] == [("|silence|mailbox:reports", True)]
