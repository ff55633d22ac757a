"""Disclosure collection, last step: every ContentPerson has its known person (0011), so the typed
name, credentials and the old per-activity Disclosure rows (copied into forms and decisions) go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0011_disclosure_collection_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='disclosure',
            name='person',
        ),
        migrations.DeleteModel(
            name='Disclosure',
        ),
        migrations.RemoveField(
            model_name='contentperson',
            name='credentials',
        ),
        migrations.RemoveField(
            model_name='contentperson',
            name='name',
        ),
        migrations.AlterField(
            model_name='contentperson',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activity_roles', to='credits.providerperson'),
        ),
    ]
