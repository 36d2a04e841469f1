import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_no_fk_checks_on_bulk_rows"),
    ]

    operations = [
        # Rows written before this migration belonged to no report; rebuild them with reprocess.
        migrations.RunSQL("DELETE FROM reports_dailyrollup", migrations.RunSQL.noop),
        migrations.RemoveConstraint(model_name="dailyrollup", name="rollup_identity"),
        migrations.AddField(
            model_name="dailyrollup",
            name="report",
            field=models.ForeignKey(
                db_constraint=False,
                default=0,
                on_delete=django.db.models.deletion.CASCADE,
                to="reports.report",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="dailyrollup",
            index=models.Index(fields=["domain", "day"], name="rollup_domain_day"),
        ),
    ]
