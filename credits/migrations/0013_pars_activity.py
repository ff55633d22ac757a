"""ACCME PARS reporting fields on the activity (issue 13, item 1): the PARS activity ID, the
description reported, the CME Finder listing and the outcome measures. See docs/pars.md."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0012_disclosure_collection_final'),
    ]

    operations = [
        migrations.AddField(
            model_name='activity',
            name='pars_activity_id',
            field=models.CharField(blank=True, help_text='The number PARS gave the activity once you registered it there (digits only).', max_length=12, verbose_name='PARS activity ID'),
        ),
        migrations.AddField(
            model_name='activity',
            name='pars_cme_finder',
            field=models.BooleanField(default=False, verbose_name='list in CME Finder'),
        ),
        migrations.AddField(
            model_name='activity',
            name='pars_description',
            field=models.TextField(blank=True, help_text='Reported to PARS (and CME Finder). Empty: the learning objectives are reported.', max_length=2000, verbose_name='PARS activity description'),
        ),
        migrations.AddField(
            model_name='activity',
            name='pars_outcome_measures',
            field=models.JSONField(blank=True, default=list, help_text='What the activity measured.', verbose_name='PARS outcome measures'),
        ),
        migrations.AddConstraint(
            model_name='activity',
            constraint=models.UniqueConstraint(condition=models.Q(('pars_activity_id', ''), _negated=True), fields=('provider', 'pars_activity_id'), name='activity_pars_id_unique_per_provider'),
        ),
    ]
