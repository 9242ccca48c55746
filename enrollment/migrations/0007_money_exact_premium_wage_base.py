"""Exact premiums and the PU wage base (issue 11).

* ``Enrollment.monthly_premium_micro`` / ``committed_micro``: the exact amounts in millionths
  of a rupiah; the rupiah fields become their half-up rounding (a CHECK keeps them in step).
  Existing rows were priced in whole rupiah, so their exact amounts are those × 10^6.
* ``ProgramYear.pu_wage_base`` / ``umk``: what PU premiums are a percentage of. Years that
  exist already were priced on each worker's declared wage and keep that base; a new year
  starts on the UMK (administrators enter its amount).
* The covering index of migration 0004 now carries the exact cost the budget check sums.
"""

import django.core.validators
import django.db.models.expressions
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


MICRO = 1_000_000
INDEX = "enrollment_year_committed_idx"


def backfill(apps, schema_editor):
    Enrollment = apps.get_model("enrollment", "Enrollment")
    ProgramYear = apps.get_model("enrollment", "ProgramYear")
    Enrollment.objects.update(committed_micro=models.F("committed_amount") * MICRO)
    Enrollment.objects.filter(monthly_premium__isnull=False).update(
        monthly_premium_micro=models.F("monthly_premium") * MICRO
    )
    ProgramYear.objects.update(pu_wage_base="upah")


def index_exact(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON enrollment_enrollment "
            "(program_year_id, worker_type, status) INCLUDE (committed_amount, committed_micro)"
        )


def index_rupiah(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON enrollment_enrollment "
            "(program_year_id, worker_type, status) INCLUDE (committed_amount)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_cover_enrollment_place_exports_limits"),
        ("participants", "0008_money_segment_risk_class"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="committed_micro",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="Exact monthly premium × months of coverage inside the year.",
                verbose_name="exact cost to the year (millionths of a rupiah)",
            ),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="monthly_premium_micro",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Exact premium per month: Rp 11.827,168398 is 11827168398.",
                null=True,
                verbose_name="exact monthly premium (millionths of a rupiah)",
            ),
        ),
        migrations.AddField(
            model_name="historicalenrollment",
            name="committed_micro",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="Exact monthly premium × months of coverage inside the year.",
                verbose_name="exact cost to the year (millionths of a rupiah)",
            ),
        ),
        migrations.AddField(
            model_name="historicalenrollment",
            name="monthly_premium_micro",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Exact premium per month: Rp 11.827,168398 is 11827168398.",
                null=True,
                verbose_name="exact monthly premium (millionths of a rupiah)",
            ),
        ),
        migrations.AddField(
            model_name="historicalprogramyear",
            name="pu_wage_base",
            field=models.CharField(
                choices=[
                    ("umk", "The year's UMK (minimum wage of Kota Madiun)"),
                    ("upah", "Each worker's declared wage"),
                ],
                default="umk",
                help_text="What the PU premium percentages are applied to.",
                max_length=4,
                verbose_name="PU wage base",
            ),
        ),
        migrations.AddField(
            model_name="historicalprogramyear",
            name="umk",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="The year's minimum wage of Kota Madiun with its cents, e.g. 2190216.37; the PU premium base when the wage base is the UMK.",
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="UMK (Rp per month)",
            ),
        ),
        migrations.AddField(
            model_name="programyear",
            name="pu_wage_base",
            field=models.CharField(
                choices=[
                    ("umk", "The year's UMK (minimum wage of Kota Madiun)"),
                    ("upah", "Each worker's declared wage"),
                ],
                default="umk",
                help_text="What the PU premium percentages are applied to.",
                max_length=4,
                verbose_name="PU wage base",
            ),
        ),
        migrations.AddField(
            model_name="programyear",
            name="umk",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="The year's minimum wage of Kota Madiun with its cents, e.g. 2190216.37; the PU premium base when the wage base is the UMK.",
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="UMK (Rp per month)",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="monthly_premium",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Frozen from the year's rate when verified, rounded to the rupiah.",
                null=True,
                verbose_name="monthly premium (Rp)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalenrollment",
            name="monthly_premium",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Frozen from the year's rate when verified, rounded to the rupiah.",
                null=True,
                verbose_name="monthly premium (Rp)",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "committed_micro__gte",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.functions.comparison.Cast(
                                    "committed_amount", models.BigIntegerField()
                                ),
                                "*",
                                models.Value(1000000),
                            ),
                            "-",
                            models.Value(500000),
                        ),
                    ),
                    (
                        "committed_micro__lt",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.functions.comparison.Cast(
                                    "committed_amount", models.BigIntegerField()
                                ),
                                "*",
                                models.Value(1000000),
                            ),
                            "+",
                            models.Value(500000),
                        ),
                    ),
                ),
                name="enrollment_committed_exact_rounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("monthly_premium__isnull", True), ("monthly_premium_micro__isnull", True)
                    ),
                    models.Q(
                        (
                            "monthly_premium_micro__gte",
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    django.db.models.functions.comparison.Cast(
                                        "monthly_premium", models.BigIntegerField()
                                    ),
                                    "*",
                                    models.Value(1000000),
                                ),
                                "-",
                                models.Value(500000),
                            ),
                        ),
                        (
                            "monthly_premium_micro__lt",
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    django.db.models.functions.comparison.Cast(
                                        "monthly_premium", models.BigIntegerField()
                                    ),
                                    "*",
                                    models.Value(1000000),
                                ),
                                "+",
                                models.Value(500000),
                            ),
                        ),
                    ),
                    _connector="OR",
                ),
                name="enrollment_premium_exact_rounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="programyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("pu_wage_base__in", ["umk", "upah"])),
                name="programyear_wage_base_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="programyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("umk__gte", 0)), name="programyear_umk_not_negative"
            ),
        ),
        migrations.RunPython(index_exact, index_rupiah, elidable=False),
    ]
