"""Declared income becomes nullable: NULL = not known (was stored as 0 when a list had no
income). Existing zeros are turned into NULL: no worker declares an income of Rp 0, the 0s
came from empty cells and the form's default, and a PU with either cannot be priced anyway."""

from django.db import migrations, models


def zero_is_unknown(apps, schema_editor):
    Worker = apps.get_model("participants", "Worker")
    Worker.objects.filter(monthly_income=0).update(monthly_income=None)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0006_heir_school_level_tk"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalworker",
            name="monthly_income",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Whole rupiah. Leave empty when not known.",
                null=True,
                verbose_name="declared monthly income (Rp)",
            ),
        ),
        migrations.AlterField(
            model_name="worker",
            name="monthly_income",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Whole rupiah. Leave empty when not known.",
                null=True,
                verbose_name="declared monthly income (Rp)",
            ),
        ),
        migrations.RunPython(zero_is_unknown, migrations.RunPython.noop),
    ]
