"""MOC through PARS: activity registrations with the PARS boards, learners' opt-ins, and the learner
batches sent to PARS with their rows (issue 13)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0013_pars_activity"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MocOptIn",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "board",
                    models.CharField(
                        choices=[
                            ("ABA", "American Board of Anesthesiology (ABA)"),
                            ("ABIM", "American Board of Internal Medicine (ABIM)"),
                            ("ABOS", "American Board of Orthopaedic Surgery (ABOS)"),
                            ("ABOHNS", "American Board of Otolaryngology – Head and Neck Surgery (ABOHNS)"),
                            ("ABPath", "American Board of Pathology (ABPath)"),
                            ("ABP", "American Board of Pediatrics (ABP)"),
                            ("ABS", "American Board of Surgery (ABS)"),
                            ("ABTS", "American Board of Thoracic Surgery (ABTS)"),
                        ],
                        max_length=8,
                        verbose_name="board",
                    ),
                ),
                ("board_id", models.CharField(blank=True, max_length=20, verbose_name="board ID")),
                ("birth_month", models.PositiveSmallIntegerField(verbose_name="birth month")),
                ("birth_day", models.PositiveSmallIntegerField(verbose_name="birth day")),
                ("credit_type", models.CharField(max_length=8, verbose_name="MOC credit type")),
                ("points", models.DecimalField(decimal_places=2, max_digits=5, verbose_name="MOC points")),
                ("consented_at", models.DateTimeField(verbose_name="consent given at")),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="moc_optins",
                        to="credits.creditclaim",
                    ),
                ),
                (
                    "learner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "MOC opt-in",
                "ordering": ["claim", "board"],
                "constraints": [
                    models.UniqueConstraint(fields=("claim", "board"), name="moc_optin_one_per_board"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("board__in", ["ABA", "ABIM", "ABOS", "ABOHNS", "ABPath", "ABP", "ABS", "ABTS"])
                        ),
                        name="moc_optin_pars_board",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("birth_day__gte", 1),
                            ("birth_day__lte", 31),
                            ("birth_month__gte", 1),
                            ("birth_month__lte", 12),
                        ),
                        name="moc_optin_birth_month_day_range",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="MocRegistration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "board",
                    models.CharField(
                        choices=[
                            ("ABA", "American Board of Anesthesiology (ABA)"),
                            ("ABIM", "American Board of Internal Medicine (ABIM)"),
                            ("ABOS", "American Board of Orthopaedic Surgery (ABOS)"),
                            ("ABOHNS", "American Board of Otolaryngology – Head and Neck Surgery (ABOHNS)"),
                            ("ABPath", "American Board of Pathology (ABPath)"),
                            ("ABP", "American Board of Pediatrics (ABP)"),
                            ("ABS", "American Board of Surgery (ABS)"),
                            ("ABTS", "American Board of Thoracic Surgery (ABTS)"),
                        ],
                        max_length=8,
                        verbose_name="board",
                    ),
                ),
                ("credit_type", models.CharField(max_length=8, verbose_name="MOC credit type")),
                ("points", models.DecimalField(decimal_places=2, max_digits=5, verbose_name="MOC points")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "activity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="moc_registrations",
                        to="credits.activity",
                    ),
                ),
            ],
            options={
                "verbose_name": "MOC registration",
                "ordering": ["board"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("activity", "board"), name="moc_registration_one_per_board"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("points__gt", 0)), name="moc_registration_points_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("board__in", ["ABA", "ABIM", "ABOS", "ABOHNS", "ABPath", "ABP", "ABS", "ABTS"])
                        ),
                        name="moc_registration_pars_board",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ParsLearnerBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("start", models.DateField()),
                ("end", models.DateField()),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="credits.provider"
                    ),
                ),
            ],
            options={
                "verbose_name": "PARS learner batch",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ParsLearnerReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("action", models.CharField(choices=[("Add", "Add"), ("Delete", "Delete")], max_length=6)),
                ("cells", models.JSONField()),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="credits.parslearnerbatch",
                    ),
                ),
                (
                    "certificate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pars_reports",
                        to="credits.certificate",
                    ),
                ),
            ],
            options={
                "verbose_name": "PARS learner report row",
                "ordering": ["batch", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("action__in", ["Add", "Delete"])), name="pars_report_action"
                    )
                ],
            },
        ),
    ]
