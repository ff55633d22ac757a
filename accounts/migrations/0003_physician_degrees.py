"""Issue 12: international medical degrees with the learner's MD/DO-equivalence attestation
(finding 7), and one account per NPI (finding 13).

Before the NPI constraint is added, existing duplicates are looked for. If any NPI is on more than
one account the migration stops and lists them, changing nothing: which account an NPI belongs to is
a fact about a clinician that only a person can establish (a typo on one account, or one clinician
with two accounts), and keeping "the oldest" could hand MOC board reports to the wrong physician.
Resolve each (the learner corrects their profile, or an administrator edits the profile's NPI after
checking with the learners) and run ``migrate`` again.

Existing MBBS profiles are not attested: nobody has attested for them. Their next claim asks them to
confirm the equivalence in their profile first.
"""

from django.db import migrations, models
from django.db.models import Count


class DuplicateNPIError(RuntimeError):
    pass


def refuse_duplicate_npis(apps, schema_editor):
    LearnerProfile = apps.get_model("accounts", "LearnerProfile")
    duplicates = (
        LearnerProfile.objects.exclude(npi="")
        .values("npi")
        .annotate(accounts=Count("id"))
        .filter(accounts__gt=1)
        .order_by("npi")
    )
    lines = []
    for row in duplicates:
        holders = LearnerProfile.objects.filter(npi=row["npi"]).select_related("user").order_by("id")
        names = ", ".join(f"user {p.user_id} <{p.user.email}>" for p in holders)
        lines.append(f"  NPI {row['npi']}: {names}")
    if lines:
        raise DuplicateNPIError(
            "accounts.0003_physician_degrees: an NPI identifies one clinician, but these NPIs are on "
            "more than one account. Nothing was changed. Decide with the learners which account each "
            "belongs to, clear it on the others (their profile page, or the learner profile in the "
            "admin), then run migrate again:\n" + "\n".join(lines)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_encrypt_mfa_secrets"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicate_npis, migrations.RunPython.noop),
        migrations.AddField(
            model_name="learnerprofile",
            name="degree_equivalence_attested_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="degree equivalence attested at"),
        ),
        migrations.AlterField(
            model_name="learnerprofile",
            name="degree",
            field=models.CharField(
                blank=True,
                choices=[
                    ("MD", "MD"),
                    ("DO", "DO"),
                    ("MBBS", "MBBS"),
                    ("MBChB", "MBChB"),
                    ("MB BCh", "MB BCh"),
                    ("MBBCh", "MBBCh"),
                    ("MB BChir", "MB BChir"),
                    ("BM BCh", "BM BCh"),
                    ("BMBS", "BMBS"),
                    ("MB BCh BAO", "MB BCh BAO"),
                    ("OtherMed", "Other international medical degree equivalent to MD/DO"),
                    ("PA-C", "PA-C"),
                    ("NP", "NP"),
                    ("RN", "RN"),
                    ("CRNA", "CRNA"),
                    ("PharmD", "PharmD"),
                    ("PhD", "PhD"),
                    ("Other", "Other"),
                ],
                max_length=10,
                verbose_name="degree or credential",
            ),
        ),
        migrations.AddConstraint(
            model_name="learnerprofile",
            constraint=models.UniqueConstraint(
                condition=models.Q(("npi", ""), _negated=True),
                fields=("npi",),
                name="profile_npi_unique",
                violation_error_code="unique",
                violation_error_message=(
                    "This NPI is already on another account. An NPI identifies one clinician: "
                    "check the number, or sign in to the account that has it."
                ),
            ),
        ),
    ]
