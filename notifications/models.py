"""The outbox: messages to participants (activation with the KPJ number, renewal, claim
status), rendered in Indonesian from editable templates and delivered by a pluggable sender.

A message is queued in the transaction of the change it tells about (enrollment.hooks): the row
holds the template's variables as JSON (``context``), and the text is rendered from the kind's
template when it is sent (``body`` then keeps what went out). A missing or broken template is a
send failure shown on the message and retried, never a failed activation.

Each message has a key unique per person, kind and object (``aktivasi:<worker>:enrollment:<id>``),
so queueing twice queues once; delivery moves ``menunggu → dikirim → terkirim`` under row
locks, so two senders never send one message twice. A failure goes back to ``menunggu`` with a
later ``next_attempt_at`` (backoff) until ``SIAGA_NOTIFICATIONS_MAX_ATTEMPTS``, then ``gagal``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from participants.models import Worker


class MessageKind(models.TextChoices):
    ACTIVATION = "aktivasi", _("Activation (KPJ number)")
    RENEWAL = "perpanjangan", _("Renewal")
    CLAIM_STATUS = "status_klaim", _("Claim status")


class DeliveryStatus(models.TextChoices):
    PENDING = "menunggu", _("Waiting to be sent")
    SENDING = "dikirim", _("Being sent")
    SENT = "terkirim", _("Sent")
    FAILED = "gagal", _("Failed")
    SKIPPED = "dilewati", _("Not sent (no phone number)")


# The variables each kind's template may use (shown on the template's page).
TEMPLATE_VARIABLES: dict[str, list[str]] = {
    MessageKind.ACTIVATION: ["nama", "kpj", "tahun", "mulai", "akhir", "kantor"],
    MessageKind.RENEWAL: ["nama", "tahun", "tahun_lalu", "kantor"],
    MessageKind.CLAIM_STATUS: [
        "nama",
        "jenis",
        "status",
        "tanggal",
        "manfaat",
        "meninggal",
        "kantor",
    ],
}


class MessageTemplate(models.Model):
    """The text of one kind of message, in Django template language (``{{ nama }}``)."""

    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices, unique=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Django template text; variables such as {{ nama }} and {{ kpj }} are filled in "
            "when the message is sent."
        ),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to stop queueing this kind of message.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="notifications_template_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        try:
            Template(self.body).render(Context({}))
        except TemplateSyntaxError as exc:
            raise ValidationError(
                {"body": _("The text cannot be used as a template: %(error)s")},
                code="template_syntax",
                params={"error": str(exc)},
            ) from None


class OutboxMessage(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="messages", verbose_name=_("worker")
    )
    key = models.CharField(
        _("key"),
        max_length=120,
        unique=True,
        help_text=_("Person, kind and object: the same message is never queued twice."),
    )
    recipient = models.CharField(_("phone"), max_length=16, blank=True)
    context = models.JSONField(
        _("variables"),
        null=True,
        blank=True,
        help_text=_("The template's variables, filled in when the message is sent."),
    )
    body = models.TextField(_("text"), blank=True, help_text=_("The text as it was sent."))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_reference = models.CharField(_("gateway reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="notifications_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="notifications_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="terkirim") | Q(sent_at__isnull=False),
                name="notifications_sent_has_time",
            ),
        ]
        indexes = [
            # The senders' claim: due waiting messages, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="notifications_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
