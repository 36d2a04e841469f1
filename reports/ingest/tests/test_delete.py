"""Deleting reports through Django (the admin, Report.delete(), a queryset), purging old ones, and
check_rollups, which proves that every count still equals a rebuild from the records."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from reports.models import DailyRollup, DomainDay, Record, Report, ReporterDay, SourcePeriod


def check_rollups(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("check_rollups", *args, stdout=out)
    except SystemExit as e:
        return e.code, out.getvalue()
    return 0, out.getvalue()


def domain_messages(domain="example.com") -> int:
    return DomainDay.objects.filter(domain=domain).aggregate(n=Sum("messages"))["n"] or 0


def record_messages(domain="example.com") -> int:
    return Record.objects.filter(domain=domain).aggregate(n=Sum("count"))["n"] or 0


def test_deleting_a_report_in_the_admin_takes_its_counts_out_of_the_rollups(scenario, superuser_client):
    report = Report.objects.get(domain="example.com", org_name="google.com", begin__date=_days_ago(2))
    before = domain_messages()
    # The confirmation page names the report and its size, without listing its records.
    page = superuser_client.get(f"/admin/reports/report/{report.pk}/delete/")
    assert page.status_code == 200 and f"{report.record_count:,} records" in page.content.decode()
    response = superuser_client.post(f"/admin/reports/report/{report.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()
    assert not Record.objects.filter(report_id=report.pk).exists()
    assert not DailyRollup.objects.filter(report_id=report.pk).exists()
    assert domain_messages() == before - report.message_count == record_messages()
    assert check_rollups() == (0, "All rollups match the records.\n")


def test_the_admin_delete_action_takes_every_selected_report_out(scenario, superuser_client):
    selected = list(
        Report.objects.filter(domain="example.com", org_name="google.com").values_list("id", flat=True)
    )
    response = superuser_client.post(
        "/admin/reports/report/",
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Report.objects.filter(pk__in=selected).exists()
    # Only Yahoo's 50 messages are left for example.com, in every rollup.
    assert domain_messages() == record_messages() == 50
    assert ReporterDay.objects.filter(domain="example.com").aggregate(n=Sum("messages"))["n"] == 50
    assert set(SourcePeriod.objects.filter(domain="example.com").values_list("source_ip", flat=True)) == {
        "192.0.2.10"
    }
    assert check_rollups()[0] == 0


def test_report_delete_and_queryset_delete_keep_the_rollups_exact(scenario):
    one = Report.objects.filter(domain="example.com").order_by("id").first()
    total, per_model = one.delete()
    assert per_model["reports.Report"] == 1 and per_model["reports.Record"] == one.record_count
    assert total == sum(per_model.values())
    assert domain_messages() == record_messages()
    count, per_model = Report.objects.filter(domain="other.example").delete()
    assert per_model["reports.Report"] == 1
    assert not DomainDay.objects.filter(domain="other.example").exists()
    assert not SourcePeriod.objects.filter(domain="other.example").exists()
    assert check_rollups()[0] == 0
    # Deleting nothing is no error.
    assert Report.objects.filter(domain="nothing.example").delete() == (0, {})


def test_purge_reports_deletes_old_reports_and_keeps_the_counts_exact(scenario):
    old = Report.objects.get(message_count=7000)
    out = io.StringIO()
    call_command("purge_reports", "--older-than", "30", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["reports"] == 1 and result["records"] == 1
    assert not Report.objects.filter(pk=old.pk).exists()
    assert not SourcePeriod.objects.filter(source_ip="192.0.2.99").exists()
    assert Report.objects.count() == 5
    assert check_rollups("--json") == (0, json.dumps({"ok": True, "differences": []}) + "\n")
    # Nothing is left that old: a second run purges nothing.
    call_command("purge_reports", "--older-than", "30", "--json", stdout=(out := io.StringIO()))
    assert json.loads(out.getvalue())["reports"] == 0


@pytest.mark.rollups_broken
def test_check_rollups_prints_each_difference_and_exits_1(scenario):
    DomainDay.objects.filter(domain="other.example").update(messages=12)
    Record.objects.filter(source_ip="192.0.2.99").update(count=7001)
    code, out = check_rollups()
    assert code == 1
    assert "DomainDay domain=other.example" in out and "messages: expected 11, found 12" in out
    assert "Report id=" in out and "message_count: expected 7001, found 7000" in out
    assert "DailyRollup" in out and out.strip().endswith("differences")
    code, out = check_rollups("--json")
    found = json.loads(out)
    assert code == 1 and not found["ok"]
    assert {d["table"] for d in found["differences"]} == {"DomainDay", "Report", "DailyRollup"}


def _days_ago(n):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now().date() - timedelta(days=n)


def test_the_daily_task_purges_only_when_a_retention_is_set(scenario, settings):
    from reports.ingest.tasks import purge_old_reports

    settings.DMARC_RETENTION_DAYS = 0
    assert purge_old_reports() is None and Report.objects.count() == 6
    settings.DMARC_RETENTION_DAYS = 30
    assert purge_old_reports() == 1 and Report.objects.count() == 5


def test_a_deletion_queues_the_readiness_summary_of_its_domain(
    scenario, celery_broker, django_capture_on_commit_callbacks
):
    import base64

    import redis

    from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE

    with django_capture_on_commit_callbacks(execute=True):
        Report.objects.filter(domain="other.example").delete()
    queued = [json.loads(m) for m in redis.Redis.from_url(TEST_BROKER_URL).lrange(TEST_QUEUE, 0, -1)]
    assert [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in queued] == [
        ("reports.rollout.tasks.refresh_summary", ["other.example", 30, False])
    ]
