# Show-provider grants (issue 10, hole 2): operations filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("credits", "0004_certificates")]

    operations = []
