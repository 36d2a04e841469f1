from django.db import migrations

# DailyRollup keeps one row per report, day and source: the header_from split
# doubled the rows every import writes and folds, and only the drill-down read it,
# which now sums one source's header_from domains from its records. Rows that
# differed only in header_from are merged before the column goes. Going back
# restores the column empty: the split is not recoverable from these rows.
MERGE = """
CREATE TEMPORARY TABLE merged_dailyrollup AS
SELECT report_id, domain, day, source_ip, reporter, sum(messages) AS messages,
    sum(dmarc_pass) AS dmarc_pass, sum(dkim_pass) AS dkim_pass, sum(spf_pass) AS spf_pass,
    sum(quarantined) AS quarantined, sum(rejected) AS rejected
FROM reports_dailyrollup GROUP BY 1, 2, 3, 4, 5;
TRUNCATE reports_dailyrollup;
INSERT INTO reports_dailyrollup (report_id, domain, day, source_ip, reporter, header_from, messages,
    dmarc_pass, dkim_pass, spf_pass, quarantined, rejected)
SELECT report_id, domain, day, source_ip, reporter, '', messages, dmarc_pass, dkim_pass, spf_pass,
    quarantined, rejected
FROM merged_dailyrollup ORDER BY report_id, day, source_ip;
DROP TABLE merged_dailyrollup;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_unbounded_record_text"),
    ]

    operations = [
        migrations.RunSQL(MERGE, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveField(
            model_name="dailyrollup",
            name="header_from",
        ),
    ]
