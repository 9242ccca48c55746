# Proposals (usulan) and the yearly update (pemutakhiran), issue 16; creates the Pengusul role.

import django.db.models.deletion
import participants.validators
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def sync_roles(apps, schema_editor):
    """Give the roles their proposal permissions and create the Pengusul role."""
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("enrollment", "0007_money_exact_premium_wage_base"),
        ("accounts", "0005_rules_dedup_roles"),
        ("importer", "0005_impsafe_job_lifecycle"),
        ("participants", "0009_ux_worker_phone_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalProposal",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "source_kind",
                    models.CharField(
                        choices=[
                            ("kelurahan", "Kelurahan / kecamatan"),
                            ("mitra", "Partner office (OPD)"),
                            ("kelompok", "Community group or organisation"),
                        ],
                        max_length=10,
                        verbose_name="kind of source",
                    ),
                ),
                (
                    "source_name",
                    models.CharField(
                        help_text="The kelurahan, partner office or group that gathered the candidate.",
                        max_length=150,
                        validators=[participants.validators.validate_no_formula],
                        verbose_name="source",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("diajukan", "Submitted, waiting for review"),
                            ("diterima", "Accepted"),
                            ("dikembalikan", "Returned"),
                        ],
                        default="diajukan",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "reason",
                    models.TextField(
                        blank=True,
                        help_text="Why the proposal was returned (the proposer sees it).",
                        verbose_name="reason",
                    ),
                ),
                (
                    "nik",
                    models.CharField(
                        max_length=16,
                        validators=[participants.validators.validate_nik],
                        verbose_name="NIK",
                    ),
                ),
                (
                    "kk_number",
                    models.CharField(blank=True, max_length=16, verbose_name="KK number"),
                ),
                ("full_name", models.CharField(max_length=150, verbose_name="full name")),
                (
                    "birth_place",
                    models.CharField(blank=True, max_length=100, verbose_name="place of birth"),
                ),
                ("birth_date", models.DateField(verbose_name="date of birth")),
                (
                    "sex",
                    models.CharField(
                        choices=[("L", "Male"), ("P", "Female")], max_length=1, verbose_name="sex"
                    ),
                ),
                ("address", models.CharField(blank=True, max_length=255, verbose_name="address")),
                ("rt", models.CharField(blank=True, max_length=3, verbose_name="RT")),
                ("rw", models.CharField(blank=True, max_length=3, verbose_name="RW")),
                ("phone", models.CharField(blank=True, max_length=16, verbose_name="phone")),
                (
                    "worker_type",
                    models.CharField(
                        choices=[("PU", "Wage earner (PU)"), ("BPU", "Non-wage worker (BPU)")],
                        max_length=3,
                        verbose_name="worker type",
                    ),
                ),
                (
                    "employer_name",
                    models.CharField(blank=True, max_length=150, verbose_name="employer or group"),
                ),
                (
                    "monthly_income",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="declared monthly income (Rp)"
                    ),
                ),
                (
                    "heir_name",
                    models.CharField(
                        blank=True,
                        max_length=150,
                        validators=[participants.validators.validate_no_formula],
                        verbose_name="heir's name",
                    ),
                ),
                (
                    "heir_relationship",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("spouse", "Spouse"),
                            ("child", "Child"),
                            ("parent", "Parent"),
                            ("sibling", "Sibling"),
                            ("other", "Other"),
                        ],
                        max_length=10,
                        verbose_name="heir's relationship",
                    ),
                ),
                (
                    "heir_birth_date",
                    models.DateField(blank=True, null=True, verbose_name="heir's date of birth"),
                ),
                (
                    "heir_nik",
                    models.CharField(blank=True, max_length=16, verbose_name="heir's NIK"),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, editable=False, verbose_name="submitted at"),
                ),
                (
                    "reviewed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="reviewed at"),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "enrollment",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="enrollment.enrollment",
                        verbose_name="enrollment",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "import_job",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="importer.importjob",
                        verbose_name="uploaded in",
                    ),
                ),
                (
                    "kelurahan",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.kelurahan",
                        verbose_name="urban village (kelurahan)",
                    ),
                ),
                (
                    "program_year",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="enrollment.programyear",
                        verbose_name="program year",
                    ),
                ),
                (
                    "proposer",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="proposer",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
                (
                    "segment",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.segment",
                        verbose_name="segment",
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.worker",
                        verbose_name="worker",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical proposal (usulan)",
                "verbose_name_plural": "historical proposals (usulan)",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="UpdateRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "form_downloaded_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="form downloaded at"),
                ),
                (
                    "completed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="update done at"),
                ),
                (
                    "report",
                    models.JSONField(
                        blank=True, default=dict, verbose_name="report of the last upload"
                    ),
                ),
                (
                    "completed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="update done by",
                    ),
                ),
                (
                    "form_downloaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="form downloaded by",
                    ),
                ),
                (
                    "kelurahan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="update_rounds",
                        to="participants.kelurahan",
                        verbose_name="urban village (kelurahan)",
                    ),
                ),
                (
                    "program_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="update_rounds",
                        to="enrollment.programyear",
                        verbose_name="program year",
                    ),
                ),
            ],
            options={
                "verbose_name": "yearly update (pemutakhiran)",
                "verbose_name_plural": "yearly updates (pemutakhiran)",
                "ordering": ["program_year", "kelurahan__code"],
                "permissions": [
                    ("run_yearly_update", "Can download and upload yearly update forms")
                ],
            },
        ),
        migrations.CreateModel(
            name="UpdateAnswer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "answer",
                    models.CharField(
                        choices=[
                            ("masih_bekerja", "Still working"),
                            ("pindah", "Moved away"),
                            ("meninggal", "Died"),
                            ("tidak_ditemukan", "Not found"),
                        ],
                        max_length=16,
                        verbose_name="answer",
                    ),
                ),
                (
                    "death_date",
                    models.DateField(blank=True, null=True, verbose_name="date of death"),
                ),
                ("answered_at", models.DateTimeField(verbose_name="answered at")),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="update_answers",
                        to="participants.worker",
                        verbose_name="worker",
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="proposals.updateround",
                        verbose_name="update",
                    ),
                ),
            ],
            options={
                "verbose_name": "yearly update answer",
                "verbose_name_plural": "yearly update answers",
            },
        ),
        migrations.CreateModel(
            name="HistoricalUpdateAnswer",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "answer",
                    models.CharField(
                        choices=[
                            ("masih_bekerja", "Still working"),
                            ("pindah", "Moved away"),
                            ("meninggal", "Died"),
                            ("tidak_ditemukan", "Not found"),
                        ],
                        max_length=16,
                        verbose_name="answer",
                    ),
                ),
                (
                    "death_date",
                    models.DateField(blank=True, null=True, verbose_name="date of death"),
                ),
                ("answered_at", models.DateTimeField(verbose_name="answered at")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.worker",
                        verbose_name="worker",
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="proposals.updateround",
                        verbose_name="update",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical yearly update answer",
                "verbose_name_plural": "historical yearly update answers",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="Proposal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source_kind",
                    models.CharField(
                        choices=[
                            ("kelurahan", "Kelurahan / kecamatan"),
                            ("mitra", "Partner office (OPD)"),
                            ("kelompok", "Community group or organisation"),
                        ],
                        max_length=10,
                        verbose_name="kind of source",
                    ),
                ),
                (
                    "source_name",
                    models.CharField(
                        help_text="The kelurahan, partner office or group that gathered the candidate.",
                        max_length=150,
                        validators=[participants.validators.validate_no_formula],
                        verbose_name="source",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("diajukan", "Submitted, waiting for review"),
                            ("diterima", "Accepted"),
                            ("dikembalikan", "Returned"),
                        ],
                        default="diajukan",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "reason",
                    models.TextField(
                        blank=True,
                        help_text="Why the proposal was returned (the proposer sees it).",
                        verbose_name="reason",
                    ),
                ),
                (
                    "nik",
                    models.CharField(
                        max_length=16,
                        validators=[participants.validators.validate_nik],
                        verbose_name="NIK",
                    ),
                ),
                (
                    "kk_number",
                    models.CharField(blank=True, max_length=16, verbose_name="KK number"),
                ),
                ("full_name", models.CharField(max_length=150, verbose_name="full name")),
                (
                    "birth_place",
                    models.CharField(blank=True, max_length=100, verbose_name="place of birth"),
                ),
                ("birth_date", models.DateField(verbose_name="date of birth")),
                (
                    "sex",
                    models.CharField(
                        choices=[("L", "Male"), ("P", "Female")], max_length=1, verbose_name="sex"
                    ),
                ),
                ("address", models.CharField(blank=True, max_length=255, verbose_name="address")),
                ("rt", models.CharField(blank=True, max_length=3, verbose_name="RT")),
                ("rw", models.CharField(blank=True, max_length=3, verbose_name="RW")),
                ("phone", models.CharField(blank=True, max_length=16, verbose_name="phone")),
                (
                    "worker_type",
                    models.CharField(
                        choices=[("PU", "Wage earner (PU)"), ("BPU", "Non-wage worker (BPU)")],
                        max_length=3,
                        verbose_name="worker type",
                    ),
                ),
                (
                    "employer_name",
                    models.CharField(blank=True, max_length=150, verbose_name="employer or group"),
                ),
                (
                    "monthly_income",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="declared monthly income (Rp)"
                    ),
                ),
                (
                    "heir_name",
                    models.CharField(
                        blank=True,
                        max_length=150,
                        validators=[participants.validators.validate_no_formula],
                        verbose_name="heir's name",
                    ),
                ),
                (
                    "heir_relationship",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("spouse", "Spouse"),
                            ("child", "Child"),
                            ("parent", "Parent"),
                            ("sibling", "Sibling"),
                            ("other", "Other"),
                        ],
                        max_length=10,
                        verbose_name="heir's relationship",
                    ),
                ),
                (
                    "heir_birth_date",
                    models.DateField(blank=True, null=True, verbose_name="heir's date of birth"),
                ),
                (
                    "heir_nik",
                    models.CharField(blank=True, max_length=16, verbose_name="heir's NIK"),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="submitted at"),
                ),
                (
                    "reviewed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="reviewed at"),
                ),
                (
                    "enrollment",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="proposal",
                        to="enrollment.enrollment",
                        verbose_name="enrollment",
                    ),
                ),
                (
                    "import_job",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="importer.importjob",
                        verbose_name="uploaded in",
                    ),
                ),
                (
                    "kelurahan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="participants.kelurahan",
                        verbose_name="urban village (kelurahan)",
                    ),
                ),
                (
                    "program_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="proposals",
                        to="enrollment.programyear",
                        verbose_name="program year",
                    ),
                ),
                (
                    "proposer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="proposals",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="proposer",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="participants.segment",
                        verbose_name="segment",
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="proposals",
                        to="participants.worker",
                        verbose_name="worker",
                    ),
                ),
            ],
            options={
                "verbose_name": "proposal (usulan)",
                "verbose_name_plural": "proposals (usulan)",
                "ordering": ["-submitted_at", "-pk"],
                "permissions": [
                    ("review_proposal", "Can accept or return proposals"),
                    ("view_all_proposals", "Can see every proposer's proposals"),
                ],
                "indexes": [
                    models.Index(fields=["proposer", "status"], name="proposal_proposer_status"),
                    models.Index(fields=["program_year", "status"], name="proposal_year_status"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "diajukan")),
                        fields=("program_year", "nik"),
                        name="proposal_one_open_per_nik_year",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "dikembalikan"), _negated=True),
                            models.Q(("reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="proposal_returned_has_reason",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "diterima"), _negated=True),
                            ("worker__isnull", False),
                            _connector="OR",
                        ),
                        name="proposal_accepted_has_worker",
                    ),
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="updateround",
            constraint=models.UniqueConstraint(
                fields=("program_year", "kelurahan"), name="update_round_one_per_kelurahan_year"
            ),
        ),
        migrations.AddConstraint(
            model_name="updateanswer",
            constraint=models.UniqueConstraint(
                fields=("round", "worker"), name="update_answer_one_per_worker"
            ),
        ),
        migrations.AddConstraint(
            model_name="updateanswer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("answer", "meninggal"), ("death_date__isnull", False)),
                    models.Q(
                        models.Q(("answer", "meninggal"), _negated=True),
                        ("death_date__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="update_answer_death_has_date",
            ),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
