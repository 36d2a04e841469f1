"""The security migration encrypts the alert URLs a database holds in clear, takes them out of the
deliveries' keys, drops the readiness windows no page offers, and goes back."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATION = "0018_security"
URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


def _executor():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def before() -> tuple:
    return next(p for p in _executor().loader.graph.node_map[("reports", MIGRATION)].parents)


def migrate_to(target):
    _executor().migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def raw(sql):
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_upgrade_encrypts_alert_urls_and_a_downgrade_decrypts_them():
    previous = before().key
    apps = migrate_to(previous)
    try:
        user = User.objects.create_user("op")
        apps.get_model("reports", "AlertPreference").objects.create(
            user_id=user.pk, domain="example.com", urls=f"{URL}\nntfy://topic"
        )
        now = timezone.now()
        apps.get_model("reports", "Delivery").objects.create(
            key=f"alert:1:firing:apprise:{URL}", channel="apprise", kind="firing", target=URL,
            label="slack://…", subject="s", text="t", next_attempt=now,
        )  # fmt: skip
        summary = apps.get_model("reports", "ReadinessSummary")
        for days in (7, 30, 366):
            summary.objects.create(domain="example.com", days=days, computed=now, stage="none")

        migrate_to(("reports", MIGRATION))
        ((urls,),) = raw("SELECT urls FROM reports_alertpreference")
        ((key, target),) = raw("SELECT key, target FROM reports_delivery")
        assert urls.startswith("gAAAAA") and target.startswith("gAAAAA")
        assert "TIiajkdnlazkcOXrIdevi7FQ" not in urls + key + target
        assert key.startswith("alert:1:firing:apprise:sha256:")
        from reports.models import AlertPreference, Delivery, ReadinessSummary

        assert AlertPreference.objects.get().urls == f"{URL}\nntfy://topic"
        assert Delivery.objects.get().target == URL
        assert list(ReadinessSummary.objects.values_list("days", flat=True)) == [30]

        migrate_to(previous)
        assert raw("SELECT urls FROM reports_alertpreference") == [(f"{URL}\nntfy://topic",)]
        assert raw("SELECT target FROM reports_delivery") == [(URL,)]
    finally:
        migrate_to(("reports", _executor().loader.graph.leaf_nodes("reports")[0][1]))
