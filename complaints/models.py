"""Complaints (pengaduan): a ticket about one worker, with a deadline from its category's
service level, a status, an assignee and, when overdue, an escalation to the head of office.

Every change to a ticket and to a service level is kept by django-simple-history ("Riwayat");
each escalation is also a row of its own, one per missed deadline, so running the escalation
twice (the command, the queue page) records it once.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.models import Claim, Enrollment
from participants.models import Worker


class Category(models.TextChoices):
    NOT_INCLUDED = "tidak_terdaftar", _("Not included (not registered)")
    NOT_ACTIVE = "tidak_aktif", _("Not active at BPJS")
    WRONG_DATA = "data_salah", _("Wrong data")
    CLAIM = "klaim", _("Claim")
    OTHER = "lainnya", _("Other")


class Channel(models.TextChoices):
    WALK_IN = "datang", _("In person")
    PHONE = "telepon", _("Telephone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LETTER = "surat", _("Letter")
    EMAIL = "email", _("E-mail")
    KELURAHAN = "kelurahan", _("Through the kelurahan")
    OTHER = "lainnya", _("Other")


class TicketStatus(models.TextChoices):
    NEW = "baru", _("New")
    IN_PROGRESS = "diproses", _("In progress")
    WAITING = "menunggu", _("Waiting (for the complainant or BPJS)")
    RESOLVED = "selesai", _("Resolved")
    CLOSED = "ditutup", _("Closed")


# Statuses in which the office still owes an answer: only these can be overdue.
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING)
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class ServiceLevel(models.Model):
    """How many calendar days the office gives itself to answer a complaint of a category."""

    category = models.CharField(_("category"), max_length=16, choices=Category.choices, unique=True)
    days = models.PositiveSmallIntegerField(
        _("days to answer"), help_text=_("Calendar days from the day the complaint came in.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["category"]
        verbose_name = _("complaint service level")
        verbose_name_plural = _("complaint service levels")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="complaints_sla_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(days__gte=1) & Q(days__lte=365), name="complaints_sla_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.days}"


class TicketQuerySet(models.QuerySet):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date | None = None) -> TicketQuerySet:
        return self.open().filter(deadline__lt=today or timezone.localdate())


class Ticket(models.Model):
    """One complaint about one worker (and, when it is about them, an enrollment or a claim)."""

    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("worker")
    )
    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("enrollment"),
    )
    claim = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("claim"),
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    description = models.TextField(_("complaint"))
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    opened_at = models.DateTimeField(_("received at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    deadline = models.DateField(
        _("answer due"), help_text=_("From the category's service level when it was received.")
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated to"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TicketQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="complaints_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="complaints_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="complaints_status_valid"
            ),
            # A resolved or closed complaint says how it was answered, and when.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES)
                | (~Q(resolution="") & Q(resolved_at__isnull=False)),
                name="complaints_done_has_resolution",
            ),
        ]
        indexes = [
            # The queue and the overdue scan: open tickets by deadline.
            models.Index(fields=["status", "deadline"], name="complaints_status_deadline"),
            models.Index(fields=["category", "status"], name="complaints_category_status"),
        ]

    def __str__(self) -> str:
        return _("Complaint #%(number)s") % {"number": self.pk}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.deadline < (today or timezone.localdate())


class Escalation(models.Model):
    """A missed deadline put before the head of office: one row per ticket and deadline."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="escalations", verbose_name=_("complaint")
    )
    deadline = models.DateField(_("missed deadline"))
    escalated_at = models.DateTimeField(_("escalated at"), default=timezone.now)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated to"),
    )
    assignee_then = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to at the time"),
    )

    class Meta:
        ordering = ["-escalated_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "deadline"], name="complaints_one_escalation_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} ({self.deadline:%d-%m-%Y})"
