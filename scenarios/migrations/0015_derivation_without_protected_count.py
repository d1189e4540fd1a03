"""A mitigated copy's derivation no longer says how many cells were suppressed to protect
the failing ones (a number that depends on the data): older copies lose it too."""

from django.db import migrations


def forget_protected_counts(apps, schema_editor):
    JobOutput = apps.get_model("scenarios", "JobOutput")
    for output in JobOutput.objects.filter(derivation__regex=r"^suppress:[0-9]+\+"):
        output.derivation = output.derivation.partition("+")[0]
        output.save(update_fields=["derivation"])


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0014_service_ledger_values")]

    operations = [migrations.RunPython(forget_protected_counts, migrations.RunPython.noop)]
