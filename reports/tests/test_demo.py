"""manage.py demo: realistic reports through the normal ingestion path."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from reports.models import DailyRollup, Domain, Rejection, Report


@pytest.mark.slow
@pytest.mark.django_db
def test_it_imports_weeks_of_reports_in_every_container():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "rejected" not in out.getvalue()
    assert Rejection.objects.count() == 0
    domains = set(Report.objects.values_list("domain", flat=True))
    assert domains == {"northwind.example", "fabrikam.example"}
    assert set(Domain.objects.values_list("name", flat=True)) == domains  # the demo monitors its domains
    assert "foreign" not in out.getvalue()
    assert Report.objects.values("org_name").distinct().count() >= 3
    sources = list(Report.objects.values_list("origin", flat=True))
    for suffix in (".xml", ".xml.gz", ".zip", ".eml"):
        assert any(s.endswith(suffix) for s in sources), suffix
    total = Report.objects.aggregate(n=Sum("message_count"))["n"]
    assert DailyRollup.objects.aggregate(n=Sum("messages"))["n"] == total


@pytest.mark.slow
@pytest.mark.django_db
def test_if_empty_leaves_existing_data_alone():
    call_command("demo", stdout=io.StringIO())
    count = Report.objects.count()
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "already" in out.getvalue()
    assert Report.objects.count() == count
