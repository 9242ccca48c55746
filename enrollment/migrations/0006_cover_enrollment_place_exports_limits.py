"""Issue 11: an enrollment keeps the segment and kelurahan (so kecamatan) it was verified
under; BPJS registration files are recorded; lowering a limit below use keeps its reason;
a deactivated worker's cover ends with its own termination reason.

Existing enrollments take their worker's current segment and kelurahan: the best record of
where each place was counted before this change.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE enrollment_enrollment SET
    segment_id = (SELECT w.segment_id FROM participants_worker w
                  WHERE w.id = enrollment_enrollment.worker_id),
    kelurahan_id = (SELECT w.kelurahan_id FROM participants_worker w
                    WHERE w.id = enrollment_enrollment.worker_id)
WHERE segment_id IS NULL OR kelurahan_id IS NULL
"""

TERMINATION_CHOICES = [
    ("meninggal", "Deceased"),
    ("pindah_domisili", "Moved out of the city"),
    ("ditanggung_pemberi_kerja", "Covered by an employer"),
    ("data_ganda", "Duplicate record"),
    ("ditolak_bpjs", "Rejected by BPJS"),
    ("mengundurkan_diri", "Withdrew"),
    ("dinonaktifkan", "Worker record deactivated"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0005_target_eligibility_requirement"),
        ("participants", "0006_heir_school_level_tk"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="segment",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="participants.segment",
                verbose_name="segment (as verified)",
            ),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="kelurahan",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="participants.kelurahan",
                verbose_name="kelurahan (as verified)",
            ),
        ),
        migrations.AddField(
            model_name="historicalenrollment",
            name="segment",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="participants.segment",
                verbose_name="segment (as verified)",
            ),
        ),
        migrations.AddField(
            model_name="historicalenrollment",
            name="kelurahan",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="participants.kelurahan",
                verbose_name="kelurahan (as verified)",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="enrollment",
            name="segment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="participants.segment",
                verbose_name="segment (as verified)",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="kelurahan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="participants.kelurahan",
                verbose_name="kelurahan (as verified)",
            ),
        ),
        migrations.AddField(
            model_name="programyear",
            name="budget_below_use_reason",
            field=models.TextField(
                blank=True, verbose_name="reason for a budget below the committed amount"
            ),
        ),
        migrations.AddField(
            model_name="historicalprogramyear",
            name="budget_below_use_reason",
            field=models.TextField(
                blank=True, verbose_name="reason for a budget below the committed amount"
            ),
        ),
        migrations.AddField(
            model_name="quotatarget",
            name="below_use_reason",
            field=models.TextField(
                blank=True, verbose_name="reason for a target below the places used"
            ),
        ),
        migrations.AddField(
            model_name="historicalquotatarget",
            name="below_use_reason",
            field=models.TextField(
                blank=True, verbose_name="reason for a target below the places used"
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="termination_reason",
            field=models.CharField(
                blank=True,
                choices=TERMINATION_CHOICES,
                max_length=32,
                verbose_name="termination reason",
            ),
        ),
        migrations.AlterField(
            model_name="historicalenrollment",
            name="termination_reason",
            field=models.CharField(
                blank=True,
                choices=TERMINATION_CHOICES,
                max_length=32,
                verbose_name="termination reason",
            ),
        ),
        migrations.RemoveConstraint(model_name="enrollment", name="enrollment_termination_reason"),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("status", "dihentikan"),
                        ("termination_reason__in", [c for c, _label in TERMINATION_CHOICES]),
                    ),
                    models.Q(
                        models.Q(("status", "dihentikan"), _negated=True),
                        ("termination_reason", ""),
                    ),
                    _connector="OR",
                ),
                name="enrollment_termination_reason",
            ),
        ),
        migrations.CreateModel(
            name="BpjsExport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                ("file_name", models.CharField(max_length=200, verbose_name="file name")),
                (
                    "file_sha256",
                    models.CharField(max_length=64, verbose_name="SHA-256 of the file"),
                ),
                ("row_count", models.PositiveIntegerField(verbose_name="participants in the file")),
                (
                    "submitted_count",
                    models.PositiveIntegerField(
                        help_text="Verified enrollments this file submitted.",
                        verbose_name="newly submitted",
                    ),
                ),
                (
                    "left_out",
                    models.TextField(
                        blank=True,
                        help_text="Enrollments not sent, with the reason.",
                        verbose_name="left out",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="exported by",
                    ),
                ),
                (
                    "enrollments",
                    models.ManyToManyField(
                        related_name="bpjs_exports",
                        to="enrollment.enrollment",
                        verbose_name="enrollments",
                    ),
                ),
                (
                    "program_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bpjs_exports",
                        to="enrollment.programyear",
                        verbose_name="program year",
                    ),
                ),
            ],
            options={
                "verbose_name": "BPJS registration file",
                "verbose_name_plural": "BPJS registration files",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
