"""A job's reason as a code with its parameters beside its English sentence, so that it
reads in the reader's language (scenarios.jobreasons); older jobs have none and are read
back from their sentence."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0015_derivation_without_protected_count")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="reason_code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="job",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
