# The outbox of account and certificate emails (issue 10, hole 9: a mail server down never fails a page).

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutgoingEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=100)),
                ("to", models.JSONField(default=list)),
                ("from_email", models.CharField(max_length=320)),
                ("subject", models.CharField(max_length=998)),
                ("body", models.TextField(blank=True)),
                ("html_body", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("sending_until", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=200)),
                ("gave_up_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["next_attempt_at", "id"],
            },
        ),
    ]
