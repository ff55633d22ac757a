# Transcripts parsed once on upload (issue 10, hole 8): operations filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("episodes", "0003_personal_feeds")]

    operations = []
