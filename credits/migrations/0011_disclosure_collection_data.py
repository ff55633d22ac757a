"""People and disclosures typed by coordinators before collection existed, in the new shape.

Each ContentPerson's typed name and credentials become a known person of the provider (one per
name and credentials), with one form marked "entered by the coordinator before collection
existed" and no collection date, holding the relationships typed for them: a new version of the
activity needs a fresh form (credits.disclosures). Each typed relationship was shown to learners,
so it is decided relevant for its activity; a mitigated one records the mitigation "recorded
before issue 12". One audit row per activity keeps what was typed. Self-contained (no app code).
"""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    ContentPerson = apps.get_model("credits", "ContentPerson")
    Disclosure = apps.get_model("credits", "Disclosure")
    ProviderPerson = apps.get_model("credits", "ProviderPerson")
    DisclosureForm = apps.get_model("credits", "DisclosureForm")
    FinancialRelationship = apps.get_model("credits", "FinancialRelationship")
    RelevanceDecision = apps.get_model("credits", "RelevanceDecision")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    now = timezone.now()

    rows = list(ContentPerson.objects.select_related("activity").order_by("pk"))
    typed = {}  # content person pk -> [(company, nature, mitigated)]
    for disclosure in Disclosure.objects.order_by("pk"):
        typed.setdefault(disclosure.person_id, []).append(
            (disclosure.company.strip(), disclosure.nature, disclosure.mitigated)
        )

    # One known person per provider, name and credentials; one form holding all their relationships.
    people = {}
    relationships = {}  # (person pk, company casefold, nature) -> FinancialRelationship
    for row in rows:
        key = (row.activity.provider_id, row.name.strip(), row.credentials.strip())
        if key not in people:
            person = ProviderPerson.objects.create(
                provider_id=key[0], name=key[1][:128], credentials=key[2][:64], email="", created_at=now
            )
            form = DisclosureForm.objects.create(
                person=person,
                source="before_collection",
                collected_on=None,
                submitted_at=now,
                no_relationships=False,
                owner_or_employee=False,
                attests_complete=False,
                promises_to_report_changes=False,
                signed_name="",
            )
            people[key] = (person, form)
        person, form = people[key]
        row.person = person
        row.added_at = now
        row.save(update_fields=["person", "added_at"])
        for company, nature, _mitigated in typed.get(row.pk, []):
            rkey = (person.pk, company.casefold(), nature)
            if rkey not in relationships:
                relationships[rkey] = FinancialRelationship.objects.create(
                    form=form,
                    company=company[:200],
                    nature=nature,
                    position=sum(1 for k in relationships if k[0] == person.pk),
                )
    for _person, form in people.values():
        if not FinancialRelationship.objects.filter(form=form).exists():
            form.no_relationships = True
            form.save(update_fields=["no_relationships"])

    by_activity = {}
    for row in rows:
        person, _form = people[(row.activity.provider_id, row.name.strip(), row.credentials.strip())]
        decided = set()
        entries = []
        for company, nature, mitigated in typed.get(row.pk, []):
            relationship = relationships[(person.pk, company.casefold(), nature)]
            entries.append({"company": company, "nature": nature, "mitigated": mitigated})
            if relationship.pk in decided:
                continue
            decided.add(relationship.pk)
            RelevanceDecision.objects.create(
                content_person=row,
                relationship=relationship,
                relevant=True,
                reason="Typed on the activity's people page before issue 12 (shown to learners).",
                mitigation="before_collection" if mitigated else "",
                decided_at=now,
            )
        by_activity.setdefault(row.activity_id, []).append(
            {
                "name": row.name,
                "credentials": row.credentials,
                "role": row.role,
                "disclosures": entries,
                "known_person": person.pk,
            }
        )
    for activity_id, typed_people in by_activity.items():
        AuditEvent.objects.create(
            action="disclosure.carried_over",
            object_type="credits.activity",
            object_id=str(activity_id),
            data={
                "old": typed_people,
                "new": "each person's typed relationships are a form entered before collection existed "
                "(no collection date); each relationship decided relevant, mitigated ones 'recorded before "
                "issue 12'",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0010_disclosure_collection"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
