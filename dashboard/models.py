"""The dashboard's summary tables: one fact row per enrollment and an aggregate "cube".

Neither is edited by Django code. On PostgreSQL, triggers created by migration 0002 keep
both in step with the registry and enrollment tables inside the writing transaction, so the
dashboard reads a few thousand pre-aggregated rows instead of a million enrollments. On
SQLite, triggers list the workers whose rows changed (``StaleWorker``) and the dashboard
refreshes their facts and cells before it reads (``dashboard.sqlite_summary``).
See docs/dashboard.md.

The ids are plain integers rather than foreign keys: the rows are derived data, rebuilt by
``manage.py dashboard_rebuild``, and a foreign key would make deleting an enrollment fail
before the statement trigger could remove its fact.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrollmentFact(models.Model):
    """What the dashboard knows about one enrollment, derived from enrollment, worker, heirs
    and history (see ``dashboard.facts.fact_select_sql``)."""

    enrollment_id = models.BigIntegerField(primary_key=True)
    worker_id = models.BigIntegerField(db_index=True)
    program_year_id = models.BigIntegerField()
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12)
    worker_type = models.CharField(max_length=3)
    segment_id = models.BigIntegerField()
    kelurahan_id = models.BigIntegerField()
    dtks_status = models.CharField(max_length=16)
    desil = models.PositiveSmallIntegerField(help_text="0 when no desil is recorded.")
    sex = models.CharField(max_length=1)
    age_band = models.CharField(max_length=8)
    has_heirs = models.BooleanField()
    heirs_belum_sekolah = models.PositiveIntegerField()
    heirs_tk = models.PositiveIntegerField()
    heirs_sd = models.PositiveIntegerField()
    heirs_smp = models.PositiveIntegerField()
    heirs_sma = models.PositiveIntegerField()
    heirs_pt = models.PositiveIntegerField()
    heirs_tidak_sekolah = models.PositiveIntegerField()
    heirs_unknown = models.PositiveIntegerField()
    verified_month = models.PositiveSmallIntegerField(null=True)
    activated_month = models.PositiveSmallIntegerField(null=True)
    renewed = models.BooleanField()
    committed_amount = models.BigIntegerField()

    class Meta:
        default_permissions = ()
        verbose_name = _("dashboard fact")
        verbose_name_plural = _("dashboard facts")

    def __str__(self) -> str:
        return f"fact {self.enrollment_id}"


class CubeCell(models.Model):
    """How many enrollments (``n``) with one status, worker type, segment and kelurahan have
    ``value`` for the breakdown ``dim`` in a program year, and what they commit (``amount``,
    on the ``total`` rows only). School-level rows count heirs, not enrollments."""

    program_year_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    worker_type = models.CharField(max_length=3)
    segment_id = models.BigIntegerField()
    kelurahan_id = models.BigIntegerField()
    dim = models.CharField(max_length=16)
    value = models.CharField(max_length=16)
    n = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)

    class Meta:
        # The dashboard's access right: officials get it without any admin permission.
        default_permissions = ()
        permissions = [("view_dashboard", _("Can view the quota dashboard and its reports"))]
        verbose_name = _("dashboard summary cell")
        verbose_name_plural = _("dashboard summary cells")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "program_year_id",
                    "dim",
                    "status",
                    "worker_type",
                    "segment_id",
                    "kelurahan_id",
                    "value",
                ],
                name="dashboard_cube_cell_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_year_id} {self.dim}={self.value}: {self.n}"


class StaleWorker(models.Model):
    """SQLite only: a worker whose enrollments, heirs or record changed since the summary was
    last refreshed. Written by triggers, emptied by ``dashboard.summary.refresh_stale``."""

    worker_id = models.BigIntegerField(primary_key=True)

    class Meta:
        default_permissions = ()
        verbose_name = _("worker awaiting a dashboard refresh")
        verbose_name_plural = _("workers awaiting a dashboard refresh")

    def __str__(self) -> str:
        return f"stale {self.worker_id}"
