"""The access migration encrypts the passwords a database holds, creates the roles, and goes back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("reports", "0008_domain")
ACCESS = ("reports", "0013_access")

pytestmark = pytest.mark.django_db(transaction=True)


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def raw_passwords():
    with connection.cursor() as cur:
        cur.execute("SELECT name, password FROM reports_mailbox ORDER BY name")
        return dict(cur.fetchall())


@pytest.mark.slow
def test_upgrade_encrypts_stored_passwords_and_a_downgrade_decrypts_them():
    apps = migrate_to(BEFORE)
    try:
        apps.get_model("reports", "Mailbox").objects.create(
            name="old", host="h", username="u", password='p"w\\1'
        )
        apps.get_model("reports", "Mailbox").objects.create(name="none", host="h", username="u", password="")

        migrate_to(ACCESS)
        raw = raw_passwords()
        assert raw["none"] == "" and raw["old"].startswith("gAAAAA")
        assert 'p"w\\1' not in raw["old"]
        from reports.models import Mailbox

        assert Mailbox.objects.get(name="old").password == 'p"w\\1'
        from django.contrib.auth.models import Group

        roles = {g.name: sorted(p.codename for p in g.permissions.all()) for g in Group.objects.all()}
        assert roles["viewer"] == ["view_domain_pages"]
        # The five actions of 0011 (later migrations add more, e.g. 0015's mark_sender).
        assert {"view_domain_pages", "upload_reports", "retry_mail", "refresh_dns", "edit_alerts"} <= set(
            roles["operator"]
        )

        migrate_to(BEFORE)
        assert raw_passwords() == {"none": "", "old": 'p"w\\1'}
    finally:
        migrate_to(("reports", MigrationExecutor(connection).loader.graph.leaf_nodes("reports")[0][1]))
