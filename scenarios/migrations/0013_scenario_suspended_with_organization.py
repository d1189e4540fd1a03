from django.db import migrations, models


def mark_suspended_with_organization(apps, schema_editor):
    """Scenarios suspended by their organization's suspension before this field: those
    suspended while their organization is, with its suspension's reason (the cascade
    gave them that reason)."""
    scenario_model = apps.get_model("scenarios", "Scenario")
    for scenario in scenario_model.objects.filter(
        status="suspended", organization__admission__status="suspended"
    ).select_related("organization__admission"):
        if scenario.reason == scenario.organization.admission.reason:
            scenario.suspended_with_organization = True
            scenario.save(update_fields=["suspended_with_organization"])


class Migration(migrations.Migration):
    dependencies = [
        ("scenarios", "0012_job_claim_token"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="scenario",
            name="suspended_with_organization",
            field=models.BooleanField(
                default=False, verbose_name="suspended with its organization"
            ),
        ),
        migrations.RunPython(mark_suspended_with_organization, migrations.RunPython.noop),
    ]
