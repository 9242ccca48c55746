"""Candidates proposed by kelurahan and partner groups (usulan), and the yearly update of
who still works (pemutakhiran).

An ``Proposal`` is a candidate as the proposer sent it, for one program year: it is not in the
registry until Disnaker accepts it (``services.proposal_accept``), which creates or finds the
worker and proposes their enrollment with the registry's and the enrollment's own checks.
An ``UpdateRound`` is one kelurahan's yearly update for a program year; each ``UpdateAnswer``
records what the kelurahan said of one participant (still working, moved, died, not found).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.models import ProgramYear
from participants.models import (
    Kelurahan,
    Relationship,
    Segment,
    Sex,
    Worker,
    WorkerType,
)
from participants.validators import validate_nik, validate_no_formula

# The candidate's fields, named as on Worker so the accepted row becomes a worker as is.
CANDIDATE_FIELDS = (
    "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "kelurahan", "phone", "worker_type", "segment", "employer_name", "monthly_income",
)  # fmt: skip
HEIR_FIELDS = ("heir_name", "heir_relationship", "heir_birth_date", "heir_nik")


class SourceKind(models.TextChoices):
    KELURAHAN = "kelurahan", _("Kelurahan / kecamatan")
    PARTNER = "mitra", _("Partner office (OPD)")
    GROUP = "kelompok", _("Community group or organisation")


class ProposalStatus(models.TextChoices):
    SUBMITTED = "diajukan", _("Submitted, waiting for review")
    ACCEPTED = "diterima", _("Accepted")
    RETURNED = "dikembalikan", _("Returned")


class Proposal(models.Model):
    """One candidate proposed for a program year (usulan)."""

    program_year = models.ForeignKey(
        ProgramYear, on_delete=models.PROTECT, related_name="proposals",
        verbose_name=_("program year"),
    )  # fmt: skip
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals",
        verbose_name=_("proposer"),
    )  # fmt: skip
    source_kind = models.CharField(_("kind of source"), max_length=10, choices=SourceKind.choices)
    source_name = models.CharField(
        _("source"), max_length=150, validators=[validate_no_formula],
        help_text=_("The kelurahan, partner office or group that gathered the candidate."),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus.choices,
        default=ProposalStatus.SUBMITTED,
    )  # fmt: skip
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why the proposal was returned (the proposer sees it)."),
    )

    # The candidate, as typed (validated with the registry's own rules, see ``clean``).
    nik = models.CharField(_("NIK"), max_length=16, validators=[validate_nik])
    kk_number = models.CharField(_("KK number"), max_length=16, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("urban village (kelurahan)"),
    )  # fmt: skip
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    worker_type = models.CharField(_("worker type"), max_length=3, choices=WorkerType.choices)
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="+", verbose_name=_("segment")
    )
    employer_name = models.CharField(_("employer or group"), max_length=150, blank=True)
    monthly_income = models.PositiveBigIntegerField(
        _("declared monthly income (Rp)"), null=True, blank=True
    )
    heir_name = models.CharField(
        _("heir's name"), max_length=150, blank=True, validators=[validate_no_formula]
    )
    heir_relationship = models.CharField(
        _("heir's relationship"), max_length=10, blank=True, choices=Relationship.choices
    )
    heir_birth_date = models.DateField(_("heir's date of birth"), null=True, blank=True)
    heir_nik = models.CharField(_("heir's NIK"), max_length=16, blank=True)

    import_job = models.ForeignKey(
        "importer.ImportJob", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("uploaded in"),
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"),
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals",
        verbose_name=_("worker"),
    )  # fmt: skip
    enrollment = models.OneToOneField(
        "enrollment.Enrollment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="proposal", verbose_name=_("enrollment"),
    )  # fmt: skip

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("proposal (usulan)")
        verbose_name_plural = _("proposals (usulan)")
        ordering = ["-submitted_at", "-pk"]
        permissions = [
            ("review_proposal", _("Can accept or return proposals")),
            ("view_all_proposals", _("Can see every proposer's proposals")),
        ]
        constraints = [
            # One open proposal per person and year: a second one waits for the first's review.
            models.UniqueConstraint(
                fields=["program_year", "nik"],
                condition=Q(status="diajukan"),
                name="proposal_one_open_per_nik_year",
            ),
            models.CheckConstraint(
                condition=~Q(status="dikembalikan") | ~Q(reason=""),
                name="proposal_returned_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="diterima") | Q(worker__isnull=False),
                name="proposal_accepted_has_worker",
            ),
        ]
        indexes = [
            models.Index(fields=["proposer", "status"], name="proposal_proposer_status"),
            models.Index(fields=["program_year", "status"], name="proposal_year_status"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.program_year_id and self.program_year.year})"

    def as_worker(self) -> Worker:
        """The unsaved worker this candidate would become."""
        return Worker(**{f: getattr(self, f) for f in CANDIDATE_FIELDS})

    def clean(self) -> None:
        """The registry's own rules for every candidate field (one source of truth: the
        Worker model's validators and ``clean``), without its NIK uniqueness: a registered
        NIK is proposed for a new year too."""
        if not (self.kelurahan_id and self.segment_id and self.birth_date):
            return
        worker = self.as_worker()
        try:
            worker.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(
                {k: v for k, v in exc.message_dict.items() if k in CANDIDATE_FIELDS} or exc.messages
            ) from None
        self.phone = worker.phone  # normalised to +62…
        if self.heir_name and not self.heir_relationship:
            raise ValidationError(
                {"heir_relationship": _("Give the heir's relationship.")}, code="heir_incomplete"
            )
        if self.heir_nik and self.heir_nik == self.nik:
            raise ValidationError(
                {"heir_nik": _("An heir cannot have the worker's own NIK.")}, code="heir_own_nik"
            )
        if self.heir_nik:
            validate_nik(self.heir_nik)


class Answer(models.TextChoices):
    WORKING = "masih_bekerja", _("Still working")
    MOVED = "pindah", _("Moved away")
    DIED = "meninggal", _("Died")
    NOT_FOUND = "tidak_ditemukan", _("Not found")


class UpdateRound(models.Model):
    """One kelurahan's yearly update (pemutakhiran) for a program year's participants."""

    program_year = models.ForeignKey(
        ProgramYear, on_delete=models.PROTECT, related_name="update_rounds",
        verbose_name=_("program year"),
    )  # fmt: skip
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="update_rounds",
        verbose_name=_("urban village (kelurahan)"),
    )  # fmt: skip
    form_downloaded_at = models.DateTimeField(_("form downloaded at"), null=True, blank=True)
    form_downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("form downloaded by"),
    )  # fmt: skip
    completed_at = models.DateTimeField(_("update done at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("update done by"),
    )  # fmt: skip
    # The last upload's report: what changed and what was refused (row, column, why).
    report = models.JSONField(_("report of the last upload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("yearly update (pemutakhiran)")
        verbose_name_plural = _("yearly updates (pemutakhiran)")
        ordering = ["program_year", "kelurahan__code"]
        permissions = [("run_yearly_update", _("Can download and upload yearly update forms"))]
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "kelurahan"], name="update_round_one_per_kelurahan_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kelurahan} {self.program_year.year}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class UpdateAnswer(models.Model):
    """What the kelurahan answered about one participant in a yearly update."""

    round = models.ForeignKey(
        UpdateRound, on_delete=models.CASCADE, related_name="answers", verbose_name=_("update")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="update_answers", verbose_name=_("worker")
    )
    answer = models.CharField(_("answer"), max_length=16, choices=Answer.choices)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"),
    )  # fmt: skip

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly update answer")
        verbose_name_plural = _("yearly update answers")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "worker"], name="update_answer_one_per_worker"
            ),
            models.CheckConstraint(
                condition=Q(answer="meninggal", death_date__isnull=False)
                | (~Q(answer="meninggal") & Q(death_date__isnull=True)),
                name="update_answer_death_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.get_answer_display()}"
