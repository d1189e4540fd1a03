"""The five standard data zones; operator staff can add more."""

from django.db import migrations

from operation.zones import ensure_standard_zones


def forward(apps, schema_editor):
    ensure_standard_zones(apps.get_model("operation", "DataZone"))


class Migration(migrations.Migration):
    dependencies = [("operation", "0003_catalogs")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
