from django.db import migrations

TOPICS = [
    ("Opioid prescribing", "opioid-prescribing"),
    ("Pain management", "pain-management"),
    ("Implicit bias", "implicit-bias"),
    ("Controlled substances", "controlled-substances"),
    ("Medical ethics", "medical-ethics"),
    ("Risk management", "risk-management"),
    ("End-of-life care", "end-of-life-care"),
    ("Domestic violence", "domestic-violence"),
    ("Human trafficking", "human-trafficking"),
    ("Infection control", "infection-control"),
    ("Patient safety", "patient-safety"),
    ("Cultural competency", "cultural-competency"),
]


def add_topics(apps, schema_editor):
    MandateTopic = apps.get_model("credits", "MandateTopic")
    for name, slug in TOPICS:
        MandateTopic.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("credits", "0002_activities")]
    operations = [migrations.RunPython(add_topics, migrations.RunPython.noop)]
