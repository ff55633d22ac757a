"""Disclosure collection (issue 12, ACCME Standard 3), schema: known people, requests, forms,
relationships, decisions and speaker matches; ContentPerson gains its person (nullable until 0011
fills it), its Standard 3.2 exception and removed_at. 0011 moves the typed data, 0012 drops it."""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0009_activity_versions_final'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RelevanceDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('relevant', models.BooleanField(verbose_name='relevant to the content')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('mitigation', models.CharField(blank=True, choices=[('peer_review', 'Independent peer review of the content'), ('role_change', 'Role changed or limited (e.g. to non-clinical content)'), ('divestment', 'Relationship ended or divested'), ('evidence', 'Attestation that recommendations are evidence-based'), ('other', 'Other (described)'), ('before_collection', 'Recorded before issue 12 (mitigated; method not recorded)')], max_length=20, verbose_name='mitigation')),
                ('mitigation_note', models.TextField(blank=True, verbose_name='how it was mitigated')),
                ('mitigated_at', models.DateTimeField(blank=True, null=True)),
                ('decided_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'relevance decision',
                'ordering': ['content_person', 'relationship'],
            },
        ),
        migrations.CreateModel(
            name='SpeakerMatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('speaker_name', models.CharField(max_length=128, verbose_name='speaker')),
                ('not_in_control_reason', models.TextField(blank=True, verbose_name='why not in control of content')),
                ('decided_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'speaker match',
                'ordering': ['activity', 'speaker_name'],
            },
        ),
        migrations.AddField(
            model_name='contentperson',
            name='added_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='contentperson',
            name='exception',
            field=models.CharField(blank=True, choices=[('', 'None'), ('unrelated', 'The content is not related to the business lines or products of their company'), ('technical', 'The content is limited to basic science research or the technical use of a device, with no care recommendations'), ('research', "They present research methods or results not about their company's products, with no care recommendations")], max_length=12, verbose_name='exception (owner or employee of an ineligible company)'),
        ),
        migrations.AddField(
            model_name='contentperson',
            name='exception_note',
            field=models.TextField(blank=True, verbose_name='why the exception applies'),
        ),
        migrations.AddField(
            model_name='contentperson',
            name='removed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='contentperson',
            name='removed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='DisclosureRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('sent_to', models.EmailField(max_length=254, verbose_name='sent to')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='answered')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('activity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credits.activity')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'disclosure request',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='DisclosureForm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('self', 'Completed by the person through the emailed link'), ('coordinator', "Entered by a coordinator from the person's signed form"), ('before_collection', 'Entered by the coordinator before collection existed')], max_length=20, verbose_name='source')),
                ('collected_on', models.DateField(blank=True, null=True, verbose_name='date collected')),
                ('submitted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('no_relationships', models.BooleanField(default=False, verbose_name='no financial relationships with ineligible companies in the past 24 months')),
                ('owner_or_employee', models.BooleanField(default=False, verbose_name='owner or employee of an ineligible company')),
                ('owner_or_employee_company', models.CharField(blank=True, max_length=200, verbose_name='that company')),
                ('attests_complete', models.BooleanField(default=False, verbose_name='attests the list is complete')),
                ('promises_to_report_changes', models.BooleanField(default=False, verbose_name='promises to report changes')),
                ('signed_name', models.CharField(blank=True, max_length=128, verbose_name='signed (typed name)')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='form', to='credits.disclosurerequest')),
            ],
            options={
                'verbose_name': 'disclosure form',
                'ordering': ['-submitted_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='FinancialRelationship',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('company', models.CharField(max_length=200, verbose_name='ineligible company')),
                ('nature', models.CharField(choices=[('consultant', 'Consultant'), ('speaker', "Speakers' bureau"), ('advisory', 'Advisory board'), ('research', 'Research grant (to institution or self)'), ('stock', 'Stock or ownership interest'), ('employee', 'Employee'), ('royalties', 'Royalties or patent'), ('other', 'Other')], max_length=20, verbose_name='nature of relationship')),
                ('started_on', models.DateField(blank=True, null=True, verbose_name='from')),
                ('ended_on', models.DateField(blank=True, null=True, verbose_name='until')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('form', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='relationships', to='credits.disclosureform')),
            ],
            options={
                'verbose_name': 'financial relationship',
                'ordering': ['form', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ProviderPerson',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='name')),
                ('credentials', models.CharField(blank=True, max_length=64, verbose_name='credentials')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='known_people', to='credits.provider')),
            ],
            options={
                'verbose_name': 'known person',
                'ordering': ['name', 'id'],
            },
        ),
        migrations.AddField(
            model_name='disclosurerequest',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disclosure_requests', to='credits.providerperson'),
        ),
        migrations.AddField(
            model_name='disclosureform',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disclosure_forms', to='credits.providerperson'),
        ),
        migrations.AddField(
            model_name='contentperson',
            name='person',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='activity_roles', to='credits.providerperson'),
        ),
        migrations.AddConstraint(
            model_name='contentperson',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True)), fields=('activity', 'person'), name='content_person_once_per_activity'),
        ),
        migrations.AddConstraint(
            model_name='contentperson',
            constraint=models.CheckConstraint(condition=models.Q(('exception', ''), models.Q(('exception_note', ''), _negated=True), _connector='OR'), name='content_person_exception_has_note'),
        ),
        migrations.AddField(
            model_name='relevancedecision',
            name='content_person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='credits.contentperson'),
        ),
        migrations.AddField(
            model_name='relevancedecision',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='relevancedecision',
            name='mitigated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='relevancedecision',
            name='relationship',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='credits.financialrelationship'),
        ),
        migrations.AddField(
            model_name='speakermatch',
            name='activity',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='speaker_matches', to='credits.activity'),
        ),
        migrations.AddField(
            model_name='speakermatch',
            name='content_person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='speaker_matches', to='credits.contentperson'),
        ),
        migrations.AddField(
            model_name='speakermatch',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='providerperson',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), models.F('provider'), condition=models.Q(('email', ''), _negated=True), name='provider_person_unique_email'),
        ),
        migrations.AddConstraint(
            model_name='disclosureform',
            constraint=models.CheckConstraint(condition=models.Q(('source', 'before_collection'), ('collected_on__isnull', False), _connector='OR'), name='disclosure_form_collected_on_required'),
        ),
        migrations.AddConstraint(
            model_name='relevancedecision',
            constraint=models.UniqueConstraint(fields=('content_person', 'relationship'), name='relevance_decision_once_per_relationship'),
        ),
        migrations.AddConstraint(
            model_name='relevancedecision',
            constraint=models.CheckConstraint(condition=models.Q(('relevant', True), ('mitigation', ''), _connector='OR'), name='relevance_decision_mitigation_only_if_relevant'),
        ),
        migrations.AddConstraint(
            model_name='speakermatch',
            constraint=models.UniqueConstraint(fields=('activity', 'speaker_name'), name='speaker_match_once'),
        ),
        migrations.AddConstraint(
            model_name='speakermatch',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('content_person__isnull', False), ('not_in_control_reason', '')), models.Q(('content_person__isnull', True), models.Q(('not_in_control_reason', ''), _negated=True)), _connector='OR'), name='speaker_match_person_or_reason'),
        ),
    ]
