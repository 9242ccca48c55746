"""Targeting ("tepat sasaran"): the log of personal-data exports, the yearly priority rule,
and the proposals made from the priority list.

The DTKS/DTSEN result itself lives on ``participants.Worker`` (status, desil, date, source);
``DtksCheck`` and ``HeirFollowUp`` are proxies that give the admin a DTKS page and a heirs
follow-up page with their own imports and permissions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, ProgramYear
from participants.models import Worker, WorkerType


class ExportLog(models.Model):
    """One download of personal data: who, when, what (kind and selection) and how many rows.

    UU 27/2022 (Pelindungan Data Pribadi) asks for a record of processing; every export of
    NIKs, family card numbers or data about children writes one row. The file itself is never
    kept, only its checksum.
    """

    kind = models.CharField(_("kind"), max_length=40)
    purpose = models.CharField(_("purpose"), max_length=255)
    selection = models.TextField(
        _("selection"), blank=True, help_text=_("Filters or selection the rows came from.")
    )
    row_count = models.PositiveIntegerField(_("rows"))
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exported by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal-data export")
        verbose_name_plural = _("personal-data exports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.row_count})"


class DtksRequestItem(models.Model):
    """One worker in a DTKS/DTSEN check request (a download logged as an ``ExportLog``).

    Dinas Sosial sometimes answers with only the NIKs it found; the workers of the request
    that are absent from such a "found list" were not found, so the request's workers are kept.
    """

    export = models.ForeignKey(
        ExportLog,
        on_delete=models.CASCADE,
        related_name="dtks_request_items",
        verbose_name=_("check request"),
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="+", verbose_name=_("worker")
    )

    class Meta:
        verbose_name = _("worker in a DTKS check request")
        verbose_name_plural = _("workers in DTKS check requests")
        constraints = [
            models.UniqueConstraint(fields=["export", "worker"], name="dtksrequestitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.export_id}: {self.worker_id}"


class DtksCheck(Worker):
    """Workers seen from the DTKS/DTSEN check: request lists out, Dinas Sosial's answers in."""

    class Meta:
        proxy = True
        verbose_name = _("DTKS check")
        verbose_name_plural = _("DTKS checks")
        permissions = [("import_dtks_results", _("Can import DTKS check results"))]


class HeirFollowUp(Worker):
    """Workers whose heirs are missing or incomplete, for field staff to complete."""

    class Meta:
        proxy = True
        verbose_name = _("heirs follow-up")
        verbose_name_plural = _("heirs follow-up")
        permissions = [("import_heirs", _("Can import heir spreadsheets"))]


RULE_WEIGHT_FIELDS = (
    "dtks_registered_points",
    "desil_points",
    "school_age_heir_points",
    "bpu_points",
    "disability_points",
    "waiting_points",
    "waiting_max_periods",
)


# How ties in the priority list are broken (``selectors.TieKey``), recorded with every batch.
TIE_BREAK_METHOD = "sha256(tahun:NIK)"


def tie_break_salt(program_year: ProgramYear) -> str:
    """The salt of a year's tie-break: the program year, so a tied group's order changes from
    year to year (one group never always loses) but never between two runs of the same year."""
    return str(program_year.year)


class TargetingRule(models.Model):
    """A program year's weights for ranking candidates for new places (see docs/targeting.md).

    Every weight is a whole number of points; a candidate's score is the sum of the parts,
    each part being a weight times a count, so the explanation always adds up to the score.
    """

    program_year = models.OneToOneField(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="targeting_rule",
        verbose_name=_("program year"),
    )
    dtks_registered_points = models.PositiveSmallIntegerField(
        _("points for being in DTKS/DTSEN"), default=20
    )
    desil_points = models.PositiveSmallIntegerField(
        _("points per desil below 11"),
        default=5,
        help_text=_("Desil 1 earns 10 times this, desil 10 once."),
    )
    school_age_heir_points = models.PositiveSmallIntegerField(
        _("points per school-age child"),
        default=15,
        help_text=_("Counted for at most two children (the JKM scholarship covers two)."),
    )
    bpu_points = models.PositiveSmallIntegerField(
        _("points for a non-wage worker (BPU)"), default=10
    )
    disability_points = models.PositiveSmallIntegerField(_("points for a disability"), default=10)
    waiting_points = models.PositiveSmallIntegerField(
        _("points per 30 days waited"),
        default=1,
        help_text=_("Days since the worker was registered in Siaga."),
    )
    waiting_max_periods = models.PositiveSmallIntegerField(
        _("most 30-day periods counted"),
        default=24,
        validators=[MaxValueValidator(120)],
    )
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["-program_year__year"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority rules")
        constraints = [
            # Each period is one CASE branch in the ranking query; keep the query small.
            models.CheckConstraint(
                condition=Q(waiting_max_periods__lte=120), name="targetingrule_waiting_cap"
            ),
        ]

    def __str__(self) -> str:
        return str(self.program_year)

    def snapshot(self) -> dict[str, int | str]:
        """The weights and the tie-break (method and salt) as recorded with each proposal
        batch made under this rule, so the batch's order can be reproduced."""
        return {
            **{name: getattr(self, name) for name in RULE_WEIGHT_FIELDS},
            "tie_break": TIE_BREAK_METHOD,
            "tie_break_salt": tie_break_salt(self.program_year),
        }


class ProposalBatch(models.Model):
    """One "propose the top N" run: the rule in force, the date it ranked on, and the result."""

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="proposal_batches",
        verbose_name=_("program year"),
    )
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    requested = models.PositiveIntegerField(_("places requested"))
    rule_snapshot = models.JSONField(_("rule in force"))
    ranked_on = models.DateField(_("ranked on"))
    stopped_because = models.CharField(_("stopped because"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proposal batch")
        verbose_name_plural = _("proposal batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="proposalbatch_type_valid"
            ),
        ]

    def __str__(self) -> str:
        # Staff read times in WIB (Asia/Jakarta), the page's zone, never UTC.
        created = timezone.localtime(self.created_at)
        return f"{self.program_year} {self.worker_type} ({created:%d-%m-%Y %H:%M} WIB)"


class ProposalItem(models.Model):
    """One enrollment proposed from the priority list, with its rank, score and why."""

    batch = models.ForeignKey(
        ProposalBatch, on_delete=models.PROTECT, related_name="items", verbose_name=_("batch")
    )
    enrollment = models.OneToOneField(
        Enrollment,
        on_delete=models.PROTECT,
        related_name="priority_proposal",
        verbose_name=_("enrollment"),
    )
    rank = models.PositiveIntegerField(_("rank"))
    score = models.IntegerField(_("score"))
    explanation = models.JSONField(_("explanation"))

    class Meta:
        ordering = ["batch", "rank"]
        verbose_name = _("proposed candidate")
        verbose_name_plural = _("proposed candidates")
        constraints = [
            models.UniqueConstraint(fields=["batch", "rank"], name="proposalitem_unique_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} #{self.rank}"


class ProposalSkip(models.Model):
    """A candidate a "propose the top N" run passed over, with the reason (the run goes on)."""

    batch = models.ForeignKey(
        ProposalBatch, on_delete=models.PROTECT, related_name="skips", verbose_name=_("batch")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="+", verbose_name=_("worker")
    )
    rank = models.PositiveIntegerField(_("rank"))
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["batch", "rank"]
        verbose_name = _("skipped candidate")
        verbose_name_plural = _("skipped candidates")
        constraints = [
            models.UniqueConstraint(fields=["batch", "rank"], name="proposalskip_unique_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} #{self.rank}"
