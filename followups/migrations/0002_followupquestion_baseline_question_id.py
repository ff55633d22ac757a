"""FollowUpQuestion.baseline_question_id: the repeated post-test question's id, kept when credits'
quiz_replace deletes the post-test (``source`` is then emptied), so the outcomes report keeps its
paired baseline. Filled from ``source`` for the questions already there."""

from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    FollowUpQuestion = apps.get_model("followups", "FollowUpQuestion")
    FollowUpQuestion.objects.filter(source__isnull=False).update(baseline_question_id=F("source_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="followupquestion",
            name="baseline_question_id",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
