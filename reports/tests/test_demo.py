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


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_shows_tls_reports_and_an_mta_sts_domain_on_its_way(client):
    import json

    from reports.harness.personas import superuser
    from reports.models import TlsReport

    call_command("demo", stdout=io.StringIO())
    assert set(TlsReport.objects.values_list("org_name", flat=True)) == {
        "Google Inc.",
        "Microsoft Corporation",
    }
    answers = {}
    for domain in ("northwind.example", "fabrikam.example"):
        out = io.StringIO()
        with pytest.raises(SystemExit) as done:
            call_command("rollout", domain, "--mta-sts", "--json", "--check", stdout=out)
        answers[domain] = (done.value.code, json.loads(out.getvalue()))
    code, ready = answers["northwind.example"]
    assert code == 0 and ready["stage"] == "testing" and ready["next_stage"] == "enforce"
    code, not_ready = answers["fabrikam.example"]
    failed = " ".join(r["text"] for r in not_ready["reasons"] if not r["ok"])
    assert code == 1 and "backup.fabrikam.example" in failed and "certificate-expired" in failed
    client.force_login(superuser())
    page = client.get("/tls/fabrikam.example/").content.decode()
    assert 'data-type="certificate-expired"' in page and "backup.fabrikam.example" in page
