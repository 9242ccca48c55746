"""The program the city pays for: program years, premium rates, quotas, enrollments, invoices
and claims.

Business rules (transitions, eligibility, limits, premium arithmetic) live in ``services.py``
and ``premiums.py``; this module holds the data and the invariants the database enforces.
"""

from __future__ import annotations

import datetime

import simple_history
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import Kecamatan, Kelurahan, RiskClass, Segment, Worker, WorkerType
from participants.privacy import mask_identity_number

ELEVEN_DIGITS = r"^[0-9]{11}$"
# Exact premium amounts are kept in millionths of a rupiah (see Enrollment.monthly_premium_micro).
MICRO = 1_000_000


def _micro(rupiah_field: str) -> Cast:
    return Cast(rupiah_field, models.BigIntegerField()) * MICRO


def round_rupiah(micro: int) -> int:
    """Millionths of a rupiah to whole rupiah, halves up (as BPJS rounds an invoice total)."""
    return (micro + MICRO // 2) // MICRO


kpj_validator = RegexValidator(ELEVEN_DIGITS, _("A KPJ number is 11 digits."), code="kpj_format")


class ProgramYearStatus(models.TextChoices):
    PLANNING = "perencanaan", _("Planning")
    RUNNING = "berjalan", _("Running")
    CLOSED = "ditutup", _("Closed")


class WageBase(models.TextChoices):
    """What a wage earner's (PU) premium is a percentage of (docs/enrollment.md, "PU wage base")."""

    UMK = "umk", _("The year's UMK (minimum wage of Kota Madiun)")
    DECLARED = "upah", _("Each worker's declared wage")


class ProgramYearQuerySet(models.QuerySet):
    def open(self) -> ProgramYearQuerySet:
        return self.exclude(status=ProgramYearStatus.CLOSED)


class ProgramYear(models.Model):
    """One budget year of Siaga Kita (Tahun program) with its APBD premium budget."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2020), MaxValueValidator(2100)]
    )
    budget = models.PositiveBigIntegerField(
        _("APBD premium budget (Rp)"), help_text=_("Whole rupiah allocated for premiums.")
    )
    coverage_start = models.DateField(_("default coverage start"))
    coverage_end = models.DateField(_("default coverage end"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ProgramYearStatus.choices,
        default=ProgramYearStatus.PLANNING,
    )
    # Age limits on the coverage start date; see docs/enrollment.md ("Age rule").
    min_age = models.PositiveSmallIntegerField(
        _("minimum age"),
        default=18,
        help_text=_("Completed years on the coverage start date."),
    )
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"),
        default=65,
        help_text=_(
            "Completed years on the coverage start date (BPJS Ketenagakerjaan accepts BPU "
            "participants up to 65, Permenaker 5/2021)."
        ),
    )
    # PU premium base: the city pays its PU participants on the UMK (DOMAIN.md); a year may
    # instead price each worker's declared wage.
    pu_wage_base = models.CharField(
        _("PU wage base"),
        max_length=4,
        choices=WageBase.choices,
        default=WageBase.UMK,
        help_text=_("What the PU premium percentages are applied to."),
    )
    umk = models.DecimalField(
        _("UMK (Rp per month)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_(
            "The year's minimum wage of Kota Madiun with its cents, e.g. 2190216.37; the PU "
            "premium base when the wage base is the UMK."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Why the budget was set below what the year had already committed (see
    # services.program_year_set_budget); kept in the audit trail with each change.
    budget_below_use_reason = models.TextField(
        _("reason for a budget below the committed amount"), blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProgramYearQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("program year")
        verbose_name_plural = _("program years")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProgramYearStatus.values), name="programyear_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(coverage_end__gte=F("coverage_start")),
                name="programyear_coverage_order",
            ),
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")), name="programyear_age_order"
            ),
            models.CheckConstraint(
                condition=Q(pu_wage_base__in=WageBase.values), name="programyear_wage_base_valid"
            ),
            models.CheckConstraint(condition=Q(umk__gte=0), name="programyear_umk_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        errors = {}
        for name in ("coverage_start", "coverage_end"):
            day = getattr(self, name)
            if day and self.year and day.year != self.year:
                errors[name] = ValidationError(
                    _("The date must fall inside the program year %(year)s."),
                    code="coverage_outside_year",
                    params={"year": self.year},
                )
        if self.coverage_start and self.coverage_end and self.coverage_end < self.coverage_start:
            errors["coverage_end"] = ValidationError(
                _("Coverage cannot end before it starts."), code="coverage_order"
            )
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            errors["max_age"] = ValidationError(
                _("The maximum age is below the minimum age."), code="age_order"
            )
        in_use = self.status != ProgramYearStatus.PLANNING
        if self.pu_wage_base == WageBase.UMK and in_use and not self.umk:
            errors["umk"] = ValidationError(
                _("Enter the year's UMK: PU premiums are computed on it."), code="umk_missing"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        return self.status == ProgramYearStatus.CLOSED

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)


class PremiumRate(models.Model):
    """A year's contribution (iuran) rule for one worker type (and, for PU, one risk class).

    BPU: fixed monthly JKK and JKM amounts in rupiah. PU: JKK percentage for the risk class
    plus the JKM percentage, both applied to the declared monthly wage. Rounding: see
    ``enrollment.premiums.monthly_premium``.
    """

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="rates",
        verbose_name=_("program year"),
    )
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    risk_class = models.CharField(
        _("risk class"),
        max_length=16,
        choices=RiskClass.choices,
        blank=True,
        help_text=_("Wage earners (PU) only."),
    )
    jkk_amount = models.PositiveBigIntegerField(
        _("JKK per month (Rp)"), null=True, blank=True, help_text=_("Non-wage workers (BPU).")
    )
    jkm_amount = models.PositiveBigIntegerField(
        _("JKM per month (Rp)"), null=True, blank=True, help_text=_("Non-wage workers (BPU).")
    )
    jkk_percent = models.DecimalField(
        _("JKK (% of wage)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Wage earners (PU), e.g. 0.24."),
    )
    jkm_percent = models.DecimalField(
        _("JKM (% of wage)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Wage earners (PU), e.g. 0.30."),
    )
    legal_basis = models.TextField(
        _("source / legal basis"),
        help_text=_("Regulation and source the amounts come from, e.g. PP 44/2015 jo. PP 82/2019."),
    )

    class Meta:
        ordering = ["program_year", "worker_type", "risk_class"]
        verbose_name = _("premium rate")
        verbose_name_plural = _("premium rates")
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "worker_type", "risk_class"],
                name="premiumrate_unique_per_year_type_class",
            ),
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="premiumrate_type_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        worker_type=WorkerType.BPU,
                        risk_class="",
                        jkk_amount__isnull=False,
                        jkm_amount__isnull=False,
                        jkk_percent__isnull=True,
                        jkm_percent__isnull=True,
                    )
                    | Q(
                        worker_type=WorkerType.PU,
                        risk_class__in=RiskClass.values,
                        jkk_amount__isnull=True,
                        jkm_amount__isnull=True,
                        jkk_percent__isnull=False,
                        jkm_percent__isnull=False,
                        jkk_percent__gte=0,
                        jkm_percent__gte=0,
                    )
                ),
                name="premiumrate_shape_by_type",
            ),
        ]

    def __str__(self) -> str:
        if self.worker_type == WorkerType.BPU:
            return f"{self.program_year} BPU"
        return f"{self.program_year} PU {self.get_risk_class_display()}"

    def clean(self) -> None:
        if self.worker_type == WorkerType.BPU:
            if self.risk_class or self.jkk_percent is not None or self.jkm_percent is not None:
                raise ValidationError(
                    _("A BPU rate has fixed JKK and JKM amounts, no risk class or percentages."),
                    code="rate_shape",
                )
            if self.jkk_amount is None or self.jkm_amount is None:
                raise ValidationError(_("Give the monthly JKK and JKM amounts."), code="rate_shape")
        elif self.worker_type == WorkerType.PU:
            if not self.risk_class or self.jkk_percent is None or self.jkm_percent is None:
                raise ValidationError(
                    _("A PU rate needs a risk class and the JKK and JKM percentages."),
                    code="rate_shape",
                )
            if self.jkk_amount is not None or self.jkm_amount is not None:
                raise ValidationError(
                    _("A PU rate is a percentage of the wage, not a fixed amount."),
                    code="rate_shape",
                )


class QuotaTarget(models.Model):
    """How many workers of a type the year may cover, optionally within a segment or kecamatan.

    A hard limit: verifying an enrollment that would exceed any quota that applies to it is
    refused unless a supervisor overrides it with a reason.
    """

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="quotas",
        verbose_name=_("program year"),
    )
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("segment"),
    )
    kecamatan = models.ForeignKey(
        Kecamatan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district (kecamatan)"),
    )
    target = models.PositiveIntegerField(_("target (participants)"))
    # Why the target was set below the places already held (services.quota_target_set).
    below_use_reason = models.TextField(_("reason for a target below the places used"), blank=True)

    class Meta:
        ordering = ["program_year", "worker_type", "segment", "kecamatan"]
        verbose_name = _("quota target")
        verbose_name_plural = _("quota targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="quota_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(segment__isnull=True) | Q(kecamatan__isnull=True),
                name="quota_segment_or_kecamatan",
            ),
            # NULLs are distinct in a plain unique constraint, so each shape gets its own.
            models.UniqueConstraint(
                fields=["program_year", "worker_type"],
                condition=Q(segment__isnull=True, kecamatan__isnull=True),
                name="quota_unique_type",
            ),
            models.UniqueConstraint(
                fields=["program_year", "worker_type", "segment"],
                condition=Q(segment__isnull=False),
                name="quota_unique_type_segment",
            ),
            models.UniqueConstraint(
                fields=["program_year", "worker_type", "kecamatan"],
                condition=Q(kecamatan__isnull=False),
                name="quota_unique_type_kecamatan",
            ),
        ]

    def __str__(self) -> str:
        scope = self.segment or self.kecamatan
        label = f"{self.program_year} {self.worker_type}"
        return f"{label} · {scope}" if scope else label

    def clean(self) -> None:
        if self.segment_id and self.kecamatan_id:
            raise ValidationError(
                _("Narrow a quota to a segment or to a kecamatan, not both."),
                code="quota_scope",
            )


class EnrollmentStatus(models.TextChoices):
    PROPOSED = "diusulkan", _("Proposed")
    VERIFIED = "diverifikasi", _("Verified")
    SUBMITTED = "didaftarkan", _("Submitted to BPJS")
    ACTIVE = "aktif", _("Active")
    ENDED = "berakhir", _("Ended")
    TERMINATED = "dihentikan", _("Terminated")
    REJECTED = "ditolak", _("Rejected")


# Enrollments holding one of the year's quota places.
QUOTA_STATUSES = (
    EnrollmentStatus.VERIFIED,
    EnrollmentStatus.SUBMITTED,
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.ENDED,
)
# Statuses whose monthly premium has been frozen (at verification).
PRICED_STATUSES = (*QUOTA_STATUSES, EnrollmentStatus.TERMINATED)


class TerminationReason(models.TextChoices):
    DECEASED = "meninggal", _("Deceased")
    MOVED = "pindah_domisili", _("Moved out of the city")
    EMPLOYER_COVERED = "ditanggung_pemberi_kerja", _("Covered by an employer")
    DUPLICATE = "data_ganda", _("Duplicate record")
    BPJS_REJECTED = "ditolak_bpjs", _("Rejected by BPJS")
    WITHDREW = "mengundurkan_diri", _("Withdrew")
    # The worker's registry record was deactivated (its reason is in the status note).
    DEACTIVATED = "dinonaktifkan", _("Worker record deactivated")


class Enrollment(models.Model):
    """One worker's membership in one program year (Kepesertaan)."""

    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("worker")
    )
    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("program year"),
    )
    # Snapshots at proposal: the registry may change during the year, the billing may not.
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    risk_class = models.CharField(
        _("risk class"),
        max_length=16,
        choices=RiskClass.choices,
        blank=True,
        help_text=_("Wage earners (PU) only: the JKK risk class of the work."),
    )
    declared_wage = models.PositiveBigIntegerField(
        _("declared wage (Rp)"), default=0, help_text=_("Wage earners (PU): premium base.")
    )
    # Where the place counts: the worker's segment and kelurahan (hence kecamatan) taken at
    # proposal and again at verification, then kept. Quotas count these, so a later edit of
    # the worker's record does not move a held place (docs/enrollment.md, "Limits").
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("segment (as verified)"),
    )
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("kelurahan (as verified)"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.PROPOSED,
        db_index=True,
    )
    monthly_premium = models.PositiveBigIntegerField(
        _("monthly premium (Rp)"),
        null=True,
        blank=True,
        help_text=_("Frozen from the year's rate when verified, rounded to the rupiah."),
    )
    # The exact amounts in millionths of a rupiah (rate % with 2 decimals × a wage base with
    # cents is exact in 10^-6 rupiah): BPJS rounds only the invoice total, so sums are taken
    # exactly and rounded once (docs/enrollment.md, "Rounding rule"). The rupiah fields above
    # are these rounded half up, for display; the database keeps the two in step.
    monthly_premium_micro = models.PositiveBigIntegerField(
        _("exact monthly premium (millionths of a rupiah)"),
        null=True,
        blank=True,
        help_text=_("Exact premium per month: Rp 11.827,168398 is 11827168398."),
    )
    committed_amount = models.PositiveBigIntegerField(
        _("cost to the year (Rp)"),
        default=0,
        help_text=_("Monthly premium × months of coverage inside the year."),
    )
    committed_micro = models.PositiveBigIntegerField(
        _("exact cost to the year (millionths of a rupiah)"),
        default=0,
        help_text=_("Exact monthly premium × months of coverage inside the year."),
    )
    coverage_start = models.DateField(_("coverage start"))
    coverage_end = models.DateField(_("coverage end"))
    kpj_number = models.CharField(
        _("KPJ number"),
        max_length=11,
        blank=True,
        validators=[kpj_validator],
        help_text=_("11-digit BPJS Ketenagakerjaan membership number."),
    )
    termination_reason = models.CharField(
        _("termination reason"), max_length=32, choices=TerminationReason.choices, blank=True
    )
    status_note = models.TextField(_("reason for the last change"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    quota_override = models.BooleanField(_("quota overridden"), default=False)
    quota_override_reason = models.TextField(_("quota override reason"), blank=True)
    quota_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quota overridden by"),
    )
    renewed_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewed_to",
        verbose_name=_("renewed from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )

    class Meta:
        ordering = ["-program_year__year", "-id"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        permissions = [
            ("override_quota", _("Can verify beyond the quota (with a reason)")),
            ("manage_bpjs_exchange", _("Can export to and import from BPJS")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "program_year"], name="enrollment_one_per_worker_year"
            ),
            models.UniqueConstraint(
                fields=["program_year", "kpj_number"],
                condition=~Q(kpj_number=""),
                name="enrollment_unique_kpj_per_year",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="enrollment_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(kpj_number="") | Q(kpj_number__regex=ELEVEN_DIGITS),
                name="enrollment_kpj_11_digits",
            ),
            models.CheckConstraint(
                condition=Q(coverage_end__gte=F("coverage_start")),
                name="enrollment_coverage_order",
            ),
            models.CheckConstraint(
                condition=(
                    Q(worker_type=WorkerType.BPU, risk_class="")
                    | Q(worker_type=WorkerType.PU, risk_class__in=RiskClass.values)
                ),
                name="enrollment_risk_class_for_pu",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status=EnrollmentStatus.TERMINATED,
                        termination_reason__in=TerminationReason.values,
                    )
                    | (~Q(status=EnrollmentStatus.TERMINATED) & Q(termination_reason=""))
                ),
                name="enrollment_termination_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=QUOTA_STATUSES) | Q(monthly_premium__isnull=False),
                name="enrollment_priced_when_verified",
            ),
            # The rupiah fields are the exact ones rounded half up: a - 0.5 <= exact < a + 0.5.
            # (Cast: model validation puts the value in as a literal PostgreSQL types int4.)
            models.CheckConstraint(
                condition=Q(
                    committed_micro__gte=_micro("committed_amount") - MICRO // 2,
                    committed_micro__lt=_micro("committed_amount") + MICRO // 2,
                ),
                name="enrollment_committed_exact_rounds",
            ),
            models.CheckConstraint(
                condition=Q(monthly_premium__isnull=True, monthly_premium_micro__isnull=True)
                | Q(
                    monthly_premium_micro__gte=_micro("monthly_premium") - MICRO // 2,
                    monthly_premium_micro__lt=_micro("monthly_premium") + MICRO // 2,
                ),
                name="enrollment_premium_exact_rounds",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ENDED])
                | ~Q(kpj_number=""),
                name="enrollment_kpj_when_active",
            ),
            models.CheckConstraint(
                condition=Q(quota_override=False, quota_override_reason="")
                | (Q(quota_override=True) & ~Q(quota_override_reason="")),
                name="enrollment_override_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["program_year", "status"], name="enrollment_year_status_idx"),
            models.Index(fields=["kpj_number"], name="enrollment_kpj_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.program_year}"

    def take_worker_place(self, worker: Worker | None = None) -> None:
        """Record the segment and kelurahan the enrollment's quota place counts under."""
        worker = worker or self.worker
        self.segment_id = worker.segment_id
        self.kelurahan_id = worker.kelurahan_id

    def set_price(self, *, monthly_micro: int | None, cost_micro: int) -> None:
        """Record the exact monthly premium and cost with their rupiah roundings."""
        self.monthly_premium_micro = monthly_micro
        self.monthly_premium = None if monthly_micro is None else round_rupiah(monthly_micro)
        self.set_cost(cost_micro)

    def set_cost(self, cost_micro: int) -> None:
        self.committed_micro = cost_micro
        self.committed_amount = round_rupiah(cost_micro)


class EnrollmentEvent(models.Model):
    """One status change of an enrollment: who, when, from which status to which, and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="events", verbose_name=_("enrollment")
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=EnrollmentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=EnrollmentStatus.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["enrollment", "at", "id"]
        verbose_name = _("enrollment history entry")
        verbose_name_plural = _("enrollment history")
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=EnrollmentStatus.values), name="event_to_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_status="") | Q(from_status__in=EnrollmentStatus.values),
                name="event_from_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: {self.from_status or '-'} → {self.to_status}"


class BpjsExport(models.Model):
    """One registration file sent to BPJS Ketenagakerjaan: who made it, when, which file
    (name and SHA-256) and which enrollments it carried. Making the file is what submits
    the verified enrollments (``bpjs.bpjs_export_create``); the file itself is not kept."""

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="bpjs_exports",
        verbose_name=_("program year"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    row_count = models.PositiveIntegerField(_("participants in the file"))
    submitted_count = models.PositiveIntegerField(
        _("newly submitted"), help_text=_("Verified enrollments this file submitted.")
    )
    left_out = models.TextField(
        _("left out"), blank=True, help_text=_("Enrollments not sent, with the reason.")
    )
    enrollments = models.ManyToManyField(
        Enrollment, related_name="bpjs_exports", verbose_name=_("enrollments")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("BPJS registration file")
        verbose_name_plural = _("BPJS registration files")

    def __str__(self) -> str:
        return self.file_name


class PremiumInvoice(models.Model):
    """BPJS Ketenagakerjaan's monthly premium bill for the city (tagihan iuran)."""

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("program year"),
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    participants_billed = models.PositiveIntegerField(_("participants billed"))
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    reference = models.CharField(_("BPJS reference"), max_length=60, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-program_year__year", "month"]
        verbose_name = _("premium invoice")
        verbose_name_plural = _("premium invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "month"], name="invoice_one_per_year_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="invoice_month_1_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_year}-{self.month:02d}"


class InvoiceLine(models.Model):
    """One participant on a BPJS invoice: who was billed, matched to an enrollment if found."""

    invoice = models.ForeignKey(
        PremiumInvoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    nik = models.CharField(_("NIK"), max_length=16)
    kpj_number = models.CharField(_("KPJ number"), max_length=11, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        verbose_name=_("enrollment"),
    )

    class Meta:
        ordering = ["invoice", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "nik"], name="invoiceline_unique_nik"),
        ]

    def __str__(self) -> str:
        # Masked: __str__ ends up in breadcrumbs, delete confirmations and the admin log.
        return f"{self.invoice} {mask_identity_number(self.nik)}"


class ClaimType(models.TextChoices):
    JKK = "jkk", _("JKK (work accident)")
    JKM = "jkm", _("JKM (death)")


class ClaimStatus(models.TextChoices):
    REPORTED = "dilaporkan", _("Reported")
    SUBMITTED = "diajukan", _("Submitted to BPJS")
    PAID = "dibayar", _("Paid")
    REJECTED = "ditolak", _("Rejected")


class Claim(models.Model):
    """A JKK or JKM event of a participant and its benefit (klaim)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="claims", verbose_name=_("enrollment")
    )
    claim_type = models.CharField(_("type"), max_length=3, choices=ClaimType.choices)
    event_date = models.DateField(_("date of the event"))
    fatal = models.BooleanField(
        _("the participant died"),
        default=False,
        help_text=_("Always true for JKM; for JKK when the accident was fatal."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.REPORTED
    )
    benefit_amount = models.PositiveBigIntegerField(_("benefit (Rp)"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.CheckConstraint(
                condition=Q(claim_type__in=ClaimType.values), name="claim_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(claim_type=ClaimType.JKM) | Q(fatal=True),
                name="claim_jkm_is_fatal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_claim_type_display()} · {self.enrollment.worker}"


class EligibilityRequirement(models.Model):
    """Conditions a program year adds for one worker type, beyond age, residence and the rest
    of ``enrollment.eligibility``: in DTKS/DTSEN (optionally up to a desil), an income ceiling,
    an economic activity among the accepted segments.

    Disnaker's BPU criteria (Nov 2024) ask for a DTKS/DTSEN registration and an economic
    activity; the 2020 Perda draft asked income ≤ Rp 1 juta. They change by year, so they are
    data, set by administrators on the program year.
    """

    program_year = models.ForeignKey(
        ProgramYear,
        on_delete=models.PROTECT,
        related_name="eligibility_requirements",
        verbose_name=_("program year"),
    )
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    dtks_required = models.BooleanField(_("must be in DTKS/DTSEN"), default=False)
    max_desil = models.PositiveSmallIntegerField(
        _("highest desil"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Optional, with DTKS/DTSEN required: desil 1 (poorest) up to this one."),
    )
    income_ceiling = models.PositiveBigIntegerField(
        _("highest monthly income (Rp)"),
        null=True,
        blank=True,
        help_text=_("Empty: no ceiling. A worker whose income is unknown does not pass."),
    )
    segments = models.ManyToManyField(
        Segment,
        blank=True,
        related_name="+",
        verbose_name=_("accepted economic activities (segments)"),
        help_text=_("Empty: any segment."),
    )
    legal_basis = models.CharField(
        _("source / legal basis"),
        max_length=255,
        blank=True,
        help_text=_("E.g. Disnaker's BPU criteria, November 2024."),
    )

    class Meta:
        ordering = ["program_year", "worker_type"]
        verbose_name = _("eligibility requirement")
        verbose_name_plural = _("eligibility requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "worker_type"], name="eligibilityreq_one_per_year_type"
            ),
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="eligibilityreq_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_desil__isnull=True)
                | Q(dtks_required=True, max_desil__gte=1, max_desil__lte=10),
                name="eligibilityreq_desil_with_dtks",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_year} {self.worker_type}"

    def clean(self) -> None:
        if self.max_desil is not None and not self.dtks_required:
            raise ValidationError(
                {"max_desil": _("A highest desil needs “must be in DTKS/DTSEN” ticked.")},
                code="desil_without_dtks",
            )


# Audit trail (django-simple-history): every change to money, quotas and coverage is kept with
# who, when and the old and new values, and shown under "Riwayat" in the admin.
# Only a field the model has can be excluded: an unknown name breaks every version page.
for _audited in (ProgramYear, PremiumRate, QuotaTarget, Enrollment, PremiumInvoice, Claim):
    simple_history.register(
        _audited,
        app="enrollment",
        excluded_fields=[
            f for f in ["updated_at"] if any(x.name == f for x in _audited._meta.local_fields)
        ],
    )
# The accepted segments are part of the rule: their changes are audited too.
simple_history.register(
    EligibilityRequirement, app="enrollment", m2m_fields=["segments"], excluded_fields=[]
)
