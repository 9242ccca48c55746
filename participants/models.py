"""The registry: the region's kecamatan and villages, occupation segments, workers, heirs."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .privacy import mask_identity_number
from .validators import (
    ValidationWarning,
    nik_district_warning,
    nik_region_warning,
    nik_warnings,
    normalize_phone,
    validate_kk_number,
    validate_nik,
    validate_no_formula,
)

# Portable CHECK for "16 digits": Django implements __regex on SQLite and PostgreSQL alike.
SIXTEEN_DIGITS = r"^[0-9]{16}$"
rt_rw_validator = RegexValidator(r"^[0-9]{1,3}$", _("Write RT/RW as a number of 1-3 digits."))


def years_between(born: datetime.date, on: datetime.date) -> int:
    """Completed years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def shift_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Kecamatan(models.Model):
    """A district of the region (SIAGA_REGION), with its Kemendagri code (e.g. ``35.77.01``)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district (kecamatan)")
        verbose_name_plural = _("districts (kecamatan)")

    def __str__(self) -> str:
        return self.name


_DISTRICT_CACHE: dict[str, object] = {}
DISTRICT_CACHE_SECONDS = 60


def city_district_codes() -> frozenset[str]:
    """The two-digit kecamatan codes of the region (``35.77.01`` → ``01``), from the reference data.

    Read at most once a minute: ``Worker.warnings`` runs once per candidate in eligibility
    checks of whole lists. An empty table (before the reference data is loaded) is not cached.
    """
    now = time.monotonic()
    prefix = region_nik_prefix()
    if _DISTRICT_CACHE.get("until", 0) > now and _DISTRICT_CACHE.get("prefix") == prefix:
        return _DISTRICT_CACHE["codes"]
    codes = frozenset(
        digits[4:6]
        for digits in (c.replace(".", "") for c in Kecamatan.objects.values_list("code", flat=True))
        if digits.startswith(prefix) and len(digits) >= 6
    )
    if codes:
        _DISTRICT_CACHE.update(codes=codes, prefix=prefix, until=now + DISTRICT_CACHE_SECONDS)
    return codes


def region_nik_prefix() -> str:
    """The four NIK digits of the region (SIAGA_REGION ``35.77`` → ``3577``)."""
    return settings.SIAGA_REGION.replace(".", "").strip()


class VillageKind(models.TextChoices):
    """Kepmendagri village codes: ``1xxx`` kelurahan, ``2xxx`` (and Papua's ``3xxx``) desa."""

    KELURAHAN = "kelurahan", _("kelurahan")
    DESA = "desa", _("desa")


class Kelurahan(models.Model):
    """A village of the region — kelurahan or desa — with its Kemendagri code (e.g.
    ``35.77.01.1001``). Names repeat within a kabupaten (and even a kecamatan): the code is
    the key."""

    code = models.CharField(_("code"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=9, choices=VillageKind.choices, default=VillageKind.KELURAHAN
    )
    kecamatan = models.ForeignKey(
        Kecamatan,
        on_delete=models.PROTECT,
        related_name="kelurahan_set",
        verbose_name=_("district (kecamatan)"),
    )
    # Spellings seen in hand-typed lists ("Oro Oro Ombo", "Nambangankidul"), one per line,
    # used by the importer's matching.
    aliases = models.TextField(
        _("spelling variants"),
        blank=True,
        help_text=_("Other spellings found in spreadsheets, one per line."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("urban village (kelurahan)")
        verbose_name_plural = _("urban villages (kelurahan)")

    def __str__(self) -> str:
        return self.name


class RiskClass(models.TextChoices):
    """Work risk classes of PP 44/2015 Lampiran I (JKK contribution for wage earners)."""

    VERY_LOW = "sangat_rendah", _("Very low")
    LOW = "rendah", _("Low")
    MEDIUM = "sedang", _("Medium")
    HIGH = "tinggi", _("High")
    VERY_HIGH = "sangat_tinggi", _("Very high")


class Segment(models.Model):
    """An occupation group the program targets (ojol, PKK, PKL, …); editable by staff."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    aliases = models.TextField(
        _("spelling variants"),
        blank=True,
        help_text=_("Other names found in spreadsheets, one per line."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    # The JKK risk class a wage earner (PU) of this segment is proposed with; staff may change
    # it per enrollment until verification (docs/enrollment.md, "PU risk class").
    default_risk_class = models.CharField(
        _("default PU risk class"),
        max_length=16,
        choices=RiskClass.choices,
        default=RiskClass.VERY_LOW,
        help_text=_(
            "JKK risk class (PP 44/2015 Lampiran I) of a wage earner (PU) in this segment; "
            "can be changed per enrollment until it is verified."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(default_risk_class__in=RiskClass.values),
                name="segment_risk_class_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class WorkerType(models.TextChoices):
    PU = "PU", _("Wage earner (PU)")
    BPU = "BPU", _("Non-wage worker (BPU)")


class DtksStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Not yet checked")
    REGISTERED = "registered", _("In DTKS")
    NOT_REGISTERED = "not_registered", _("Not in DTKS")


class WorkerQuerySet(models.QuerySet):
    def alive(self, on: datetime.date | None = None) -> WorkerQuerySet:
        on = on or timezone.localdate()
        return self.filter(Q(death_date__isnull=True) | Q(death_date__gt=on))

    def with_heirs(self) -> WorkerQuerySet:
        return self.filter(Exists(Heir.objects.filter(worker=OuterRef("pk"))))

    def without_heirs(self) -> WorkerQuerySet:
        return self.exclude(Exists(Heir.objects.filter(worker=OuterRef("pk"))))


class Worker(models.Model):
    """An informal-sector worker in the registry (Pekerja). Never deleted, even after death."""

    nik = models.CharField(
        _("NIK"),
        max_length=16,
        unique=True,
        validators=[validate_nik],
        help_text=_("16-digit national ID number (Nomor Induk Kependudukan)."),
    )
    kk_number = models.CharField(
        _("KK number"),
        max_length=16,
        blank=True,
        validators=[validate_kk_number],
        help_text=_("16-digit family card (Kartu Keluarga) number."),
    )
    full_name = models.CharField(_("full name"), max_length=150, validators=[validate_no_formula])
    birth_place = models.CharField(
        _("place of birth"), max_length=100, blank=True, validators=[validate_no_formula]
    )
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)

    address = models.CharField(
        _("address"), max_length=255, blank=True, validators=[validate_no_formula]
    )
    rt = models.CharField(_("RT"), max_length=3, blank=True, validators=[rt_rw_validator])
    rw = models.CharField(_("RW"), max_length=3, blank=True, validators=[rt_rw_validator])
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        related_name="workers",
        verbose_name=_("urban village (kelurahan)"),
    )
    phone = models.CharField(
        _("phone"),
        max_length=16,
        blank=True,
        help_text=_("Stored as +62…; 08… and 62… are accepted."),
    )

    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="workers", verbose_name=_("segment")
    )
    employer_name = models.CharField(
        _("employer or group"),
        max_length=150,
        blank=True,
        validators=[validate_no_formula],
        help_text=_("Employer (for PU) or community/group name (for BPU)."),
    )
    # NULL = not known (an import row without the column or with an empty cell), never 0:
    # a wage earner (PU) without a known wage cannot be priced, so cannot be proposed.
    monthly_income = models.PositiveBigIntegerField(
        _("declared monthly income (Rp)"),
        null=True,
        blank=True,
        help_text=_("Whole rupiah. Leave empty when not known."),
    )
    has_disability = models.BooleanField(_("has a disability"), default=False)
    employer_covered = models.BooleanField(
        _("covered by an employer"),
        default=False,
        help_text=_(
            "Already registered with BPJS Ketenagakerjaan by an employer; such a worker is not "
            "eligible for the city-paid BPU cover."
        ),
    )

    dtks_status = models.CharField(
        _("DTKS status"),
        max_length=16,
        choices=DtksStatus.choices,
        default=DtksStatus.UNCHECKED,
    )
    dtks_desil = models.PositiveSmallIntegerField(
        _("welfare decile (desil)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("1 = poorest, 10 = richest (DTSEN)."),
    )
    dtks_checked_on = models.DateField(_("DTKS checked on"), null=True, blank=True)
    dtks_source = models.CharField(
        _("DTKS check source"),
        max_length=150,
        blank=True,
        help_text=_("Who answered the check, e.g. the Dinas Sosial of the kabupaten/kota."),
    )

    death_date = models.DateField(_("date of death"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Staff never delete a worker: they deactivate the record with a reason. Only an
    # administrator may purge, and the audit trail keeps that deletion.
    # Database defaults too, so set-based inserts (COPY, seed data) need not name them.
    is_active = models.BooleanField(_("active"), default=True, db_default=True)
    deactivation_reason = models.CharField(
        _("reason for deactivation"), max_length=255, blank=True, default="", db_default=""
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    objects = WorkerQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-id"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        permissions = [
            ("view_full_nik", _("Can see full NIK and KK numbers")),
            ("export_personal_data", _("Can export personal data")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nik__regex=SIXTEEN_DIGITS), name="worker_nik_16_digits"
            ),
            models.CheckConstraint(
                condition=Q(kk_number="") | Q(kk_number__regex=SIXTEEN_DIGITS),
                name="worker_kk_16_digits",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="worker_sex_valid"),
            models.CheckConstraint(
                condition=Q(worker_type__in=WorkerType.values), name="worker_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(dtks_status__in=DtksStatus.values), name="worker_dtks_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(dtks_desil__isnull=True) | Q(dtks_desil__gte=1, dtks_desil__lte=10),
                name="worker_dtks_desil_1_10",
            ),
            models.CheckConstraint(
                condition=Q(death_date__isnull=True) | Q(death_date__gte=models.F("birth_date")),
                name="worker_death_after_birth",
            ),
        ]
        indexes = [
            models.Index(fields=["kelurahan", "worker_type"], name="worker_kel_type_idx"),
            models.Index(fields=["segment"], name="worker_segment_idx"),
            models.Index(fields=["dtks_status", "dtks_checked_on"], name="worker_dtks_idx"),
            # The admin's search by phone number (stored as +62…) is an equality lookup.
            models.Index(fields=["phone"], name="worker_phone_idx"),
        ]

    def __str__(self) -> str:
        # Masked: __str__ ends up in admin breadcrumbs, history and messages seen by every role.
        return f"{self.full_name} ({mask_identity_number(self.nik)})"

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).append(exc)
        if self.birth_date and self.birth_date > timezone.localdate():
            errors.setdefault("birth_date", []).append(
                ValidationError(_("Date of birth is in the future."), code="birth_date_future")
            )
        if self.death_date and self.death_date > timezone.localdate():
            errors.setdefault("death_date", []).append(
                ValidationError(_("Date of death is in the future."), code="death_date_future")
            )
        if self.death_date and self.birth_date and self.death_date < self.birth_date:
            errors.setdefault("death_date", []).append(
                ValidationError(
                    _("Date of death is before the date of birth."), code="death_before_birth"
                )
            )
        if self.dtks_status == DtksStatus.REGISTERED:
            if not self.dtks_checked_on:
                errors.setdefault("dtks_checked_on", []).append(
                    ValidationError(_("Give the date of the DTKS check."), code="dtks_date")
                )
        elif self.dtks_desil is not None:
            errors.setdefault("dtks_desil", []).append(
                ValidationError(
                    _("A desil is only recorded for workers who are in DTKS."), code="dtks_desil"
                )
            )
        if not self.is_active and not self.deactivation_reason.strip():
            errors.setdefault("deactivation_reason", []).append(
                ValidationError(
                    _("Give the reason for deactivating this worker."), code="deactivation_reason"
                )
            )
        if self.dtks_status == DtksStatus.NOT_REGISTERED and not self.dtks_checked_on:
            errors.setdefault("dtks_checked_on", []).append(
                ValidationError(_("Give the date of the DTKS check."), code="dtks_date")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_alive(self) -> bool:
        return self.death_date is None

    def age_on(self, day: datetime.date) -> int:
        return years_between(self.birth_date, day)

    def warnings(self) -> list[ValidationWarning]:
        """Findings staff should see but that do not block saving."""
        found = nik_warnings(self.nik, birth_date=self.birth_date, sex=self.sex)
        region = nik_region_warning(self.nik, region_nik_prefix())
        if self.nik and len(self.nik) == 16 and region:
            found.append(region)
        if self.nik and len(self.nik) == 16:
            district = nik_district_warning(self.nik, region_nik_prefix(), city_district_codes())
            if district:
                found.append(district)
        return found


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class SchoolLevel(models.TextChoices):
    NOT_YET = "belum_sekolah", _("Not yet in school")
    TK = "tk", _("Kindergarten (TK/PAUD)")
    SD = "sd", _("Primary school (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    UNIVERSITY = "pt", _("Higher education")
    NONE = "tidak_sekolah", _("Not in school")


# Levels that count as "in school" when an heir's birth date is unknown. Kindergarten is one:
# the JKM scholarship starts at TK (PP 82/2019 art. 25).
ENROLLED_SCHOOL_LEVELS = (
    SchoolLevel.TK,
    SchoolLevel.SD,
    SchoolLevel.SMP,
    SchoolLevel.SMA,
    SchoolLevel.UNIVERSITY,
)


class HeirQuerySet(models.QuerySet):
    def school_age_on(self, day: datetime.date) -> HeirQuerySet:
        """Heirs of school age on ``day`` (see ``Heir.is_school_age_on``) as one SQL filter."""
        youngest_birth = shift_years(day, -settings.SIAGA_SCHOOL_AGE_MIN)
        oldest_birth = shift_years(day, -settings.SIAGA_SCHOOL_AGE_MAX)
        by_age = Q(birth_date__lte=youngest_birth, birth_date__gt=oldest_birth)
        by_level = Q(birth_date__isnull=True, school_level__in=ENROLLED_SCHOOL_LEVELS)
        return self.filter(relationship=Relationship.CHILD).filter(by_age | by_level)


class Heir(models.Model):
    """A person who would receive the worker's JKM/JKK benefits (ahli waris)."""

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="heirs", verbose_name=_("worker")
    )
    name = models.CharField(_("name"), max_length=150, validators=[validate_no_formula])
    nik = models.CharField(
        _("NIK"),
        max_length=16,
        blank=True,
        validators=[validate_nik],
        help_text=_("May be left empty for young children without a NIK."),
    )
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    school_level = models.CharField(
        _("school level"), max_length=16, choices=SchoolLevel.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HeirQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["worker", "id"]
        verbose_name = _("heir")
        verbose_name_plural = _("heirs")
        constraints = [
            models.CheckConstraint(
                condition=Q(nik="") | Q(nik__regex=SIXTEEN_DIGITS), name="heir_nik_16_digits"
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values), name="heir_relationship_valid"
            ),
            models.UniqueConstraint(
                fields=["worker", "nik"],
                condition=~Q(nik=""),
                name="heir_unique_nik_per_worker",
            ),
        ]
        indexes = [models.Index(fields=["birth_date"], name="heir_birth_date_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError(
                {"birth_date": _("Date of birth is in the future.")}, code="birth_date_future"
            )
        if self.nik and self.worker_id and self.nik == self.worker.nik:
            raise ValidationError(
                {"nik": _("An heir cannot have the worker's own NIK.")}, code="heir_own_nik"
            )

    def age_on(self, day: datetime.date) -> int | None:
        return years_between(self.birth_date, day) if self.birth_date else None

    def is_school_age_on(self, day: datetime.date) -> bool:
        """A child aged from SIAGA_SCHOOL_AGE_MIN up to (not including) SIAGA_SCHOOL_AGE_MAX.

        PP 82/2019 art. 25 pays the JKM scholarship from kindergarten to higher education, until
        the child turns 23. Without a birth date, a recorded school level (TK…PT) counts.
        """
        if self.relationship != Relationship.CHILD:
            return False
        if self.birth_date is None:
            return self.school_level in ENROLLED_SCHOOL_LEVELS
        age = years_between(self.birth_date, day)
        return settings.SIAGA_SCHOOL_AGE_MIN <= age < settings.SIAGA_SCHOOL_AGE_MAX
