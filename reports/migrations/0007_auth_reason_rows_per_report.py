import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_rollup_rows_per_report"),
    ]

    operations = [
        # Rows written before this belonged to no report; `rollup.rebuild()` writes them again.
        migrations.RunSQL("DELETE FROM reports_sourceauth; DELETE FROM reports_sourcereason", migrations.RunSQL.noop),
        migrations.RemoveConstraint(model_name="sourceauth", name="sourceauth_identity"),
        migrations.RemoveConstraint(model_name="sourcereason", name="sourcereason_identity"),
        migrations.AddField(
            model_name="sourceauth",
            name="report",
            field=models.ForeignKey(
                db_constraint=False, default=0, on_delete=django.db.models.deletion.CASCADE, to="reports.report"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sourcereason",
            name="report",
            field=models.ForeignKey(
                db_constraint=False, default=0, on_delete=django.db.models.deletion.CASCADE, to="reports.report"
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="sourceauth",
            index=models.Index(fields=["domain", "source_ip", "day"], name="sourceauth_ip_day"),
        ),
        migrations.AddIndex(
            model_name="sourcereason",
            index=models.Index(fields=["domain", "source_ip", "day"], name="sourcereason_ip_day"),
        ),
    ]
