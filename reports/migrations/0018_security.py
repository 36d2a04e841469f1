import hashlib

import django.db.models.deletion
import reports.access.fields
from django.db import migrations, models


def encrypt_alert_urls(apps, schema_editor):
    """Encrypt the alert URLs stored in clear, and take them out of the deliveries' keys."""
    AlertPreference = apps.get_model("reports", "AlertPreference")
    Delivery = apps.get_model("reports", "Delivery")
    # The field reads a value stored in clear as it is and encrypts what it writes.
    for pref in AlertPreference.objects.exclude(urls="").only("pk", "urls").iterator(chunk_size=500):
        AlertPreference.objects.filter(pk=pref.pk).update(urls=pref.urls)
    for d in Delivery.objects.only("pk", "key", "channel", "target").iterator(chunk_size=500):
        fields = {"target": d.target}
        head = d.key.split(":", 4)
        if d.channel == "apprise" and len(head) == 5 and head[0] == "alert":
            fields["key"] = ":".join(head[:4]) + ":sha256:" + hashlib.sha256(d.target.encode()).hexdigest()
        Delivery.objects.filter(pk=d.pk).update(**fields)


def decrypt_alert_urls(apps, schema_editor):
    AlertPreference = apps.get_model("reports", "AlertPreference")
    Delivery = apps.get_model("reports", "Delivery")
    with schema_editor.connection.cursor() as cur:
        for pk, urls in AlertPreference.objects.exclude(urls="").values_list("pk", "urls"):
            cur.execute("UPDATE reports_alertpreference SET urls = %s WHERE id = %s", [urls, pk])
        for pk, target in Delivery.objects.values_list("pk", "target"):
            cur.execute("UPDATE reports_delivery SET target = %s WHERE id = %s", [target, pk])


def drop_unstored_windows(apps, schema_editor):
    """Readiness summaries are kept for the page's windows only; the others were asked once by a page."""
    apps.get_model("reports", "ReadinessSummary").objects.exclude(days__in=[14, 30, 60, 90]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0017_source_rankings'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alertpreference',
            name='urls',
            field=reports.access.fields.EncryptedTextField(blank=True, help_text='Apprise URLs, one a line.'),
        ),
        migrations.AlterField(
            model_name='delivery',
            name='target',
            field=reports.access.fields.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_alert_urls, decrypt_alert_urls),
        migrations.RunPython(drop_unstored_windows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('upload', 'Uploaded a file'), ('retry', 'Retried a message'), ('refresh_dns', 'Refreshed DNS'), ('mailbox', 'Changed a mailbox'), ('access', 'Changed access'), ('alerts', 'Changed alert settings'), ('mark', 'Marked a sender'), ('reports', 'Deleted reports'), ('domains', 'Changed monitored domains')], max_length=16),
        ),
        migrations.CreateModel(
            name='UploadChunk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveIntegerField()),
                ('data', models.BinaryField()),
                ('upload', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='reports.upload')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('upload', 'seq'), name='uploadchunk_identity')],
            },
        ),
    ]
