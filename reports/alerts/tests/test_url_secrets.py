"""Alert URLs hold tokens and passwords: encrypted at rest like mailbox secrets, shown masked, in the
audit trail masked, and encrypted again by rotate_encryption_key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from reports.access import crypto
from reports.demo.report_xml import record_xml
from reports.harness.alert_scenarios import alerts
from reports.harness.builders import daily_report, import_ok
from reports.models import AlertPreference, AuditEntry, Delivery

pytestmark = pytest.mark.django_db

TOKEN = "TIiajkdnlazkcOXrIdevi7FQ"
SLACK = f"slack://T1JJ3T3L2/A1BRTD4JD/{TOKEN}"


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM reports_{table}")  # noqa: S608 (names from this file)
        return [row[0] for row in cur.fetchall()]


def test_an_alert_url_is_stored_encrypted_shown_masked_and_rotated(client, settings, smtp):
    import_ok(daily_report(1, [record_xml(ip="198.51.100.23", count=40, dkim="fail", spf="fail")]))
    user = User.objects.create_user("op", "op@ops.test", "pw-op-1")
    call_command("grant", "op", "example.com", role="operator", stdout=StringIO())
    client.force_login(user)

    response = client.post("/alerts/settings/", {"d0-rules": ["new-source"], "d0-urls": SLACK})
    assert response.status_code == 302
    (stored,) = raw("alertpreference", "urls")
    assert stored.startswith(crypto.TOKEN_PREFIX) and TOKEN not in stored
    assert AlertPreference.objects.get().urls == SLACK
    page = client.get("/alerts/settings/").content.decode()
    assert "slack://" in page and TOKEN not in page
    entry = AuditEntry.objects.get(action=AuditEntry.ALERTS)
    assert entry.detail["choices"]["example.com"]["urls"] == [page_value(client)]
    assert TOKEN not in str(entry.detail)

    # The alert's delivery to the URL: its target encrypted, its key without the URL.
    alerts()
    delivery = Delivery.objects.get(channel="apprise")
    assert delivery.target == SLACK and TOKEN not in delivery.key and TOKEN not in delivery.label
    assert all(TOKEN not in v for v in raw("delivery", "target"))

    new = crypto.new_key()
    settings.DMARC_ENCRYPTION_KEYS = [new.encode(), *settings.DMARC_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    (stored,) = raw("alertpreference", "urls")
    assert Fernet(new).decrypt(stored.encode()).decode() == SLACK
    settings.DMARC_ENCRYPTION_KEYS = [new.encode()]
    assert AlertPreference.objects.get().urls == SLACK
    assert Delivery.objects.get(pk=delivery.pk).target == SLACK


def page_value(client) -> str:
    return client.get("/alerts/settings/").context["forms"][0][1]["urls"].value()
