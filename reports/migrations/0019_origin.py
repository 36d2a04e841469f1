from django.db import migrations, models


class Migration(migrations.Migration):
    """How a report (or a rejected input) arrived is its origin: `source` means a sending address."""

    dependencies = [("reports", "0018_security")]

    operations = [
        migrations.RenameField("report", "source", "origin"),
        migrations.AlterField(
            model_name="report",
            name="origin",
            field=models.CharField(
                blank=True,
                help_text="How the report arrived: a file, an upload, a mailbox's message.",
                max_length=512,
            ),
        ),
        migrations.RenameField("rejection", "source", "origin"),
        migrations.AlterField(
            model_name="rejection",
            name="origin",
            field=models.CharField(help_text="How the input arrived.", max_length=512),
        ),
    ]
