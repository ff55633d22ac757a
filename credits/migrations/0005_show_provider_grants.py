# Show-provider grants (issue 10, hole 2): a show's hosts allow a provider to make its episodes
# CME activities. Pairs that already have activities are carried over as active grants (audited),
# so an existing installation keeps working; hosts see them on their providers page and may revoke.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CARRIED_OVER = "Carried over: this provider had activities on the show before show grants existed."


def carry_over_existing_pairs(apps, schema_editor):
    Activity = apps.get_model("credits", "Activity")
    Grant = apps.get_model("credits", "ShowProviderGrant")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    now = django.utils.timezone.now()
    pairs = Activity.objects.values_list("episode__show_id", "provider_id").distinct().order_by()
    for show_id, provider_id in pairs:
        grant = Grant.objects.create(
            show_id=show_id,
            provider_id=provider_id,
            status="active",
            message=CARRIED_OVER,
            requested_at=now,
            accepted_at=now,
        )
        AuditEvent.objects.create(
            actor=None,
            action="grant.carried_over",
            object_type="credits.showprovidergrant",
            object_id=str(grant.pk),
            data={"show": show_id, "provider": provider_id, "status": "active"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0004_certificates"),
        ("episodes", "0003_personal_feeds"),
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ShowProviderGrant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("requested", "Requested by the provider"),
                            ("invited", "Invited by the show's hosts"),
                            ("active", "Active"),
                            ("declined", "Declined"),
                            ("withdrawn", "Withdrawn"),
                            ("revoked", "Revoked"),
                        ],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("message", models.CharField(blank=True, max_length=500, verbose_name="message")),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("accepted_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="show_grants",
                        to="credits.provider",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "show",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="provider_grants",
                        to="episodes.show",
                    ),
                ),
            ],
            options={
                "verbose_name": "show grant",
                "ordering": ["-requested_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["requested", "invited", "active"])),
                        fields=("show", "provider"),
                        name="grant_one_open_per_show_provider",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "active"), _negated=True),
                            ("accepted_at__isnull", False),
                            _connector="OR",
                        ),
                        name="grant_active_was_accepted",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["requested", "invited", "active"]),
                            ("closed_at__isnull", False),
                            _connector="OR",
                        ),
                        name="grant_closed_has_time",
                    ),
                ],
            },
        ),
        migrations.RunPython(carry_over_existing_pairs, migrations.RunPython.noop),
    ]
