"""visible_domains and users_for_domain, the two questions the rest of the app (alerts) asks."""

import pytest

from reports.access.queries import users_for_domain
from reports.harness.personas import person
from reports.rollups.queries import visible_domains

pytestmark = pytest.mark.django_db


def test_users_for_a_domain_are_its_grantees_teams_and_superusers(people):
    expected = {"viewer", "operator", "member", "superuser"}
    assert {u.username for u in users_for_domain("example.com")} == expected
    assert {u.username for u in users_for_domain("mail.example.com")} == expected  # subdomains are covered
    # The admin (staff, no grant) runs the admin site and sees no domain.
    assert {u.username for u in users_for_domain("other.example")} == {"superuser"}
    people["viewer"].is_active = False
    people["viewer"].save()
    assert "viewer" not in {u.username for u in users_for_domain("example.com")}


def test_visible_domains_are_the_covered_ones_with_data_and_the_granted(people, scenario):
    from reports.demo.report_xml import record_xml
    from reports.harness.builders import daily_report
    from reports.ingest import pipeline

    pipeline.ingest_bytes(
        daily_report(1, [record_xml(ip="192.0.2.1", count=1)], domain="news.example.com"), "t"
    )
    assert visible_domains(people["superuser"]) is None
    assert visible_domains(people["viewer"]) == ["example.com", "news.example.com"]
    assert visible_domains(person("later", "nodata.example")) == ["nodata.example"]
    assert visible_domains(people["nobody"]) == []
