"""A default JKK risk class per segment (issue 11): a wage earner (PU) is proposed with their
segment's class instead of one class chosen for a whole batch.

Defaults: the city's PU (non-ASN staff, RT/RW heads, cadres) work at the very low class
(DOMAIN.md: 0,24 % JKK); building work is a higher-risk class and motorcycle transport a
middle one (PP 44/2015 Lampiran I groups work by risk; administrators check each segment
against the annex and BPJS's classification and change it in the segment admin).
"""

from django.db import migrations, models

DEFAULTS = {"jasa-konstruksi": "tinggi", "ojol": "sedang"}


def load(apps, schema_editor):
    Segment = apps.get_model("participants", "Segment")
    for code, risk_class in DEFAULTS.items():
        Segment.objects.filter(code=code).update(default_risk_class=risk_class)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0007_impcontent_income_unknown"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsegment",
            name="default_risk_class",
            field=models.CharField(
                choices=[
                    ("sangat_rendah", "Very low"),
                    ("rendah", "Low"),
                    ("sedang", "Medium"),
                    ("tinggi", "High"),
                    ("sangat_tinggi", "Very high"),
                ],
                default="sangat_rendah",
                help_text="JKK risk class (PP 44/2015 Lampiran I) of a wage earner (PU) in this segment; can be changed per enrollment until it is verified.",
                max_length=16,
                verbose_name="default PU risk class",
            ),
        ),
        migrations.AddField(
            model_name="segment",
            name="default_risk_class",
            field=models.CharField(
                choices=[
                    ("sangat_rendah", "Very low"),
                    ("rendah", "Low"),
                    ("sedang", "Medium"),
                    ("tinggi", "High"),
                    ("sangat_tinggi", "Very high"),
                ],
                default="sangat_rendah",
                help_text="JKK risk class (PP 44/2015 Lampiran I) of a wage earner (PU) in this segment; can be changed per enrollment until it is verified.",
                max_length=16,
                verbose_name="default PU risk class",
            ),
        ),
        migrations.AddConstraint(
            model_name="segment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "default_risk_class__in",
                        ["sangat_rendah", "rendah", "sedang", "tinggi", "sangat_tinggi"],
                    )
                ),
                name="segment_risk_class_valid",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
