"""The rollup migrations keep every count when an existing database is upgraded, and go back."""

from datetime import date

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from reports.rollups import fold as rollup

BEFORE = ("reports", "0005_unbounded_record_text")
LATEST = ("reports", "0007_sourceperiod_identity_key")

# The rollup rows are written by hand, without records behind them: check_rollups has nothing to compare.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rollups_broken]


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def rows(sql):
    with connection.cursor() as cur:
        cur.execute(sql)
        return sorted(cur.fetchall())


@pytest.mark.slow
def test_rollups_written_before_the_upgrade_keep_every_count():
    apps = migrate_to(BEFORE)
    try:
        Report = apps.get_model("reports", "Report")
        DailyRollup = apps.get_model("reports", "DailyRollup")
        report = Report.objects.create(
            org_name="r",
            report_id="1",
            domain="example.com",
            begin="2026-01-01T00:00Z",
            end="2026-01-02T00:00Z",
        )
        # One source and day split by header_from (and, within one header_from, over two
        # batches, as the old store wrote it); another source on its own.
        for ip, header_from, messages in (
            ("192.0.2.1", "example.com", 5),
            ("192.0.2.1", "news.example.com", 7),
            ("192.0.2.1", "example.com", 1),
            ("2001:db8::1", "example.com", 3),
        ):
            DailyRollup.objects.create(
                report=report, domain="example.com", day=date(2026, 1, 1), source_ip=ip, reporter="r",
                header_from=header_from, messages=messages, dmarc_pass=messages, rejected=1,
            )  # fmt: skip
        with connection.cursor() as cur:
            rollup.add_reports(cur, [report.pk])
        periods_before = rows(
            "SELECT period, start, host(source_ip), messages, rejected FROM reports_sourceperiod"
        )
        assert len(periods_before) == 6  # two sources, each a day, a month and a year

        migrate_to(LATEST)

        assert rows(
            "SELECT report_id, day, host(source_ip), reporter, messages, dmarc_pass, rejected"
            " FROM reports_dailyrollup"
        ) == [
            (report.pk, date(2026, 1, 1), "192.0.2.1", "r", 13, 13, 3),
            (report.pk, date(2026, 1, 1), "2001:db8::1", "r", 3, 3, 1),
        ]
        assert (
            rows("SELECT period, start, host(source_ip), messages, rejected FROM reports_sourceperiod")
            == periods_before
        )
        # The identity is the key now: a second row for it is refused.
        with pytest.raises(IntegrityError, match="reports_sourceperiod_pkey"), connection.cursor() as cur:
            cur.execute("INSERT INTO reports_sourceperiod SELECT * FROM reports_sourceperiod LIMIT 1")

        # And back: the surrogate id and the unique identity return, the counts stay.
        migrate_to(BEFORE)
        assert (
            rows("SELECT period, start, host(source_ip), messages, rejected FROM reports_sourceperiod")
            == periods_before
        )
        assert sum(n for (n,) in rows("SELECT messages FROM reports_dailyrollup")) == 16
        assert all(pk for (pk,) in rows("SELECT id FROM reports_sourceperiod"))
        with pytest.raises(IntegrityError, match="sourceperiod_identity"), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO reports_sourceperiod (domain, period, start, source_ip, messages, dmarc_pass,"
                " dkim_pass, spf_pass, quarantined, rejected, first_day, last_day)"
                " SELECT domain, period, start, source_ip, 1, 0, 0, 0, 0, 0, first_day, last_day"
                " FROM reports_sourceperiod LIMIT 1"
            )
    finally:
        # Every later migration too: the tests that run after this one need the whole schema.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
