# Certificate render state (issue 10, hole 4): where each certificate's PDF is, retries and their errors.
from django.db import migrations, models


def existing_pdfs_are_rendered(apps, schema_editor):
    # Before this migration a stored file was a finished render, and so was a file removed on purpose
    # (accounts.deletion anonymises expired records: this placeholder name, no file). The rest were
    # waiting for a task: due now, so the worker's sweep (or repair_certificates) renders them.
    Certificate = apps.get_model("credits", "Certificate")
    removed_on_purpose = models.Q(learner_name="Name removed after the retention period")
    Certificate.objects.filter(~models.Q(pdf="") | removed_on_purpose).update(render_state="rendered")
    Certificate.objects.filter(pdf="").exclude(removed_on_purpose).update(
        render_next_try_at=models.F("issued_at")
    )


class Migration(migrations.Migration):
    dependencies = [("credits", "0005_show_provider_grants")]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="render_attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="certificate",
            name="render_error",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="certificate",
            name="render_next_try_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="certificate",
            name="render_state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be rendered"),
                    ("rendered", "Rendered"),
                    ("failed", "Rendering failed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(existing_pdfs_are_rendered, migrations.RunPython.noop),
    ]
