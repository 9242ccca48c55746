"""Possible duplicate workers found by the rule in dedup/matching.py, and staff's decisions."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from participants.privacy import mask_identity_number

# The worker fields the rule compares: a decided pair comes back only when one of them changes.
COMPARED_FIELDS = (
    "nik",
    "full_name",
    "birth_date",
    "kk_number",
    "phone",
    "kelurahan_id",
    "address",
)


def fingerprint(a, b) -> str:
    """Hash of the compared fields of two records (workers or ``matching.Person``)."""
    values = [str(getattr(w, name) or "") for w in (a, b) for name in COMPARED_FIELDS]
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()


class PairStatus(models.TextChoices):
    OPEN = "terbuka", _("To decide")
    DISTINCT = "berbeda", _("Different people")
    MERGED = "digabung", _("Same person, merged")


class DuplicatePair(models.Model):
    """Two workers the rule scores as possibly the same person (``worker_a`` has the lower id)."""

    worker_a = models.ForeignKey(
        "participants.Worker",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("worker A"),
    )
    worker_b = models.ForeignKey(
        "participants.Worker",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("worker B"),
    )
    nik_a = models.CharField(_("NIK A"), max_length=16)
    nik_b = models.CharField(_("NIK B"), max_length=16)
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("decision"), max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN
    )
    fingerprint = models.CharField(_("compared values (hash)"), max_length=64, editable=False)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "pk"]
        permissions = [("merge_workers", _("Can merge duplicate workers"))]
        constraints = [
            models.UniqueConstraint(fields=["nik_a", "nik_b"], name="dedup_pair_unique"),
            models.CheckConstraint(condition=Q(nik_a__lt=F("nik_b")), name="dedup_pair_ordered"),
            models.CheckConstraint(condition=Q(score__lte=100), name="dedup_score_max_100"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="dedup_pair_queue")]

    def __str__(self) -> str:
        # Masked: the history page and messages show this to staff without full NIKs.
        a, b = mask_identity_number(self.nik_a), mask_identity_number(self.nik_b)
        return f"{a} ~ {b} ({self.score})"


class WorkerAlias(models.Model):
    """A NIK of a worker merged into another: searching it finds the kept worker."""

    nik = models.CharField(_("NIK"), max_length=16, unique=True)
    worker = models.ForeignKey(
        "participants.Worker",
        on_delete=models.CASCADE,
        related_name="aliases",
        verbose_name=_("kept worker"),
    )
    full_name = models.CharField(_("name on the merged record"), max_length=150)
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("merged by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("merged NIK")
        verbose_name_plural = _("merged NIKs")

    def __str__(self) -> str:
        return f"{mask_identity_number(self.nik)} → {self.worker_id}"


class WorkerKey(models.Model):
    """A worker's blocking keys (dedup.matching.blocking_keys, hashed): who is worth comparing.

    Kept current when a worker is saved; each registry scan re-keys the workers changed
    without a save (see WorkerKeyState). An import checks its rows against these keys
    instead of the whole registry.
    """

    worker = models.ForeignKey(
        "participants.Worker", on_delete=models.CASCADE, related_name="+", db_index=True
    )
    key = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("blocking key")
        verbose_name_plural = _("blocking keys")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.key}"


class WorkerKeyState(models.Model):
    """What a worker's stored keys were computed from (a hash of the fields they depend on).

    A scan re-keys only the workers whose hash changed since the last scan (edited by a bulk
    write that bypassed the save signal, or new); it rebuilds every key when most changed.
    """

    worker = models.OneToOneField(
        "participants.Worker", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    fingerprint = models.BigIntegerField()

    class Meta:
        verbose_name = _("blocking key state")
        verbose_name_plural = _("blocking key states")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.fingerprint}"


class PayerKind(models.TextChoices):
    PROVINCE = "provinsi", _("Province budget (APBD Provinsi)")
    EMPLOYER = "pemberi_kerja", _("Employer (as wage earner)")
    CSR = "csr", _("Company CSR")
    OTHER_PROGRAM = "program_lain", _("Another program or BPJS list")


class OtherCover(models.Model):
    """A NIK another payer already covers in a program year (from their uploaded list)."""

    program_year = models.ForeignKey(
        "enrollment.ProgramYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program year"),
    )
    payer = models.CharField(_("payer"), max_length=150)
    payer_kind = models.CharField(_("kind of payer"), max_length=15, choices=PayerKind.choices)
    nik = models.CharField(_("NIK"), max_length=16, db_index=True)
    name = models.CharField(_("name on the list"), max_length=150, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("covered by another payer")
        verbose_name_plural = _("covered by other payers")
        permissions = [("import_other_cover", _("Can import other payers' cover lists"))]
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "payer", "nik"], name="dedup_other_cover_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payer}: {mask_identity_number(self.nik)}"
