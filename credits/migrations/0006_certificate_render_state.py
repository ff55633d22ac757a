# Certificate render state (issue 10, hole 4): operations filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("credits", "0005_show_provider_grants")]

    operations = []
