"""`check_rollups --repair` rebuilds from the records whatever differs, in one transaction, and says
what it changed; afterwards check_rollups finds nothing, and the pages show the records' counts."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from reports.models import DailyRollup, DomainDay, Record, Report, SourcePeriod


def check_rollups(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("check_rollups", *args, stdout=out)
    except SystemExit as e:
        return e.code, out.getvalue()
    return 0, out.getvalue()


def rollup_state():
    return (
        sorted(DomainDay.objects.values_list("domain", "day", "messages", "dmarc_pass", "quarantined")),
        sorted(SourcePeriod.objects.values_list("domain", "period", "start", "source_ip", "messages")),
        sorted(DailyRollup.objects.values_list("report_id", "day", "source_ip", "messages", "dkim_pass")),
        sorted(Report.objects.values_list("id", "record_count", "message_count")),
    )


@pytest.mark.rollups_broken  # repaired inside the test, checked at its end
def test_repair_rebuilds_what_differs_and_says_what_it_changed(scenario):
    good = rollup_state()
    report = Report.objects.filter(domain="example.com").order_by("id").first()
    # Four kinds of damage: a report's counts, a report's daily rows, a coarser rollup of another
    # domain, and rows left behind by a report that is gone.
    Report.objects.filter(pk=report.pk).update(message_count=1, record_count=99)
    DailyRollup.objects.filter(report_id=report.pk).update(messages=5, dkim_pass=0)
    DomainDay.objects.filter(domain="other.example").update(messages=12)
    orphan = DailyRollup.objects.filter(report_id=report.pk).first()
    DailyRollup.objects.create(
        report_id=10**9, domain="example.com", day=orphan.day, source_ip="192.0.2.250", messages=3
    )
    assert check_rollups()[0] == 1

    code, out = check_rollups("--repair", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["remaining"] == []
    assert {d["table"] for d in result["differences"]} >= {"Report", "DailyRollup", "DomainDay"}
    assert result["repaired"] == {
        "reports": [report.pk],
        "daily_rollups": [report.pk, 10**9],
        "orphans": {"DailyRollup": 1},
        "domains": ["example.com", "other.example"],
    }
    assert rollup_state() == good
    assert check_rollups() == (0, "All rollups match the records.\n")
    assert (
        DomainDay.objects.filter(domain="example.com").aggregate(n=Sum("messages"))["n"]
        == (Record.objects.filter(domain="example.com").aggregate(n=Sum("count"))["n"])
    )


@pytest.mark.rollups_broken
def test_a_repair_that_fails_changes_nothing(scenario, monkeypatch):
    DomainDay.objects.filter(domain="other.example").update(messages=12)
    broken = rollup_state()

    def fail(domain, batch=200):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("reports.ingest.consistency.rebuild", fail)
    with pytest.raises(RuntimeError):
        call_command("check_rollups", "--repair", stdout=io.StringIO())
    assert rollup_state() == broken
    DomainDay.objects.filter(domain="other.example").update(messages=11)
    assert check_rollups()[0] == 0


def test_repair_with_nothing_to_repair_changes_nothing(scenario):
    good = rollup_state()
    code, out = check_rollups("--repair")
    assert code == 0 and out == "All rollups match the records.\n"
    assert rollup_state() == good
