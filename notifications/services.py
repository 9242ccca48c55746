"""Queueing and delivering outbox messages.

Queueing renders the kind's template in Indonesian and inserts one row per person, kind and
object (a unique key: queueing again is a no-op). Delivery claims due messages under row locks
(``select_for_update(skip_locked=True)``, a conditional ``menunggu → dikirim`` update), sends
outside any transaction, then records the outcome: two senders running at once never send
one message twice. A message whose sender died mid-send is not resent automatically (it may
have gone out): it is marked failed for staff to check and retry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext

from enrollment.models import Claim, Enrollment
from importer.bulk import filter_in
from siaga.formatting import rupiah

from .models import DeliveryStatus, MessageKind, MessageTemplate, OutboxMessage
from .senders import get_sender

D = DeliveryStatus
BULK = 1000


def _setting(name: str, default):
    return getattr(settings, name, default)


def render(kind: str, context: dict) -> str | None:
    """The kind's text for one person, in Indonesian; None when the kind is switched off."""
    template = MessageTemplate.objects.filter(kind=kind, is_active=True).first()
    if template is None:
        return None
    return render_text(template.body, context)


def render_text(body: str, context: dict) -> str:
    with translation.override("id"):
        text = Template(body).render(
            Context({"kantor": settings.SIAGA_OFFICE_NAME, **context}, autoescape=False)
        )
    return " ".join(text.split())


def _queue(kind: str, items: Iterable[tuple[str, object, dict]]) -> int:
    """Insert (key, worker, context) messages not queued before; returns how many are new."""
    template = MessageTemplate.objects.filter(kind=kind, is_active=True).first()
    if template is None:
        return 0
    now = timezone.now()
    rows = []
    for key, worker, context in items:
        rows.append(
            OutboxMessage(
                kind=kind,
                worker=worker,
                key=key,
                recipient=worker.phone,
                body=render_text(template.body, {"nama": worker.full_name, **context}),
                status=D.PENDING if worker.phone else D.SKIPPED,
                last_error="" if worker.phone else gettext("The worker has no phone number."),
                next_attempt_at=now,
                created_at=now,
            )
        )
    existing: set[str] = set()
    for chunk in filter_in(OutboxMessage.objects.all(), "key", [r.key for r in rows]):
        existing.update(chunk.values_list("key", flat=True))
    rows = [r for r in rows if r.key not in existing]
    # A row queued meanwhile by another process is skipped by the unique key.
    OutboxMessage.objects.bulk_create(rows, batch_size=BULK, ignore_conflicts=True)
    return len(rows)


def _enrollments(ids: list[int]):
    queryset = Enrollment.objects.select_related("worker", "program_year")
    for chunk in filter_in(queryset, "id", ids):
        yield from chunk.order_by("pk")


def queue_activations(*, enrollment_ids: list[int]) -> int:
    """The new participant's KPJ number and cover period (BPJS activation)."""
    return _queue(
        MessageKind.ACTIVATION,
        (
            (
                f"aktivasi:{e.worker_id}:enrollment:{e.pk}",
                e.worker,
                {
                    "kpj": e.kpj_number,
                    "tahun": e.program_year.year,
                    "mulai": e.coverage_start,
                    "akhir": e.coverage_end,
                },
            )
            for e in _enrollments(enrollment_ids)
            if e.kpj_number
        ),
    )


def queue_renewals(*, enrollment_ids: list[int]) -> int:
    """Next year's cover proposed for this year's participant."""
    return _queue(
        MessageKind.RENEWAL,
        (
            (
                f"perpanjangan:{e.worker_id}:enrollment:{e.pk}",
                e.worker,
                {"tahun": e.program_year.year, "tahun_lalu": e.program_year.year - 1},
            )
            for e in _enrollments(enrollment_ids)
        ),
    )


def queue_claim_statuses(*, claim_ids: list[int]) -> int:
    """A claim recorded or moved on (reported, submitted to BPJS, paid, rejected): one message
    per claim and status."""
    claims = Claim.objects.select_related("enrollment__worker").filter(pk__in=claim_ids)
    with translation.override("id"):
        items = [
            (
                f"status_klaim:{c.enrollment.worker_id}:claim:{c.pk}:{c.status}",
                c.enrollment.worker,
                {
                    "jenis": c.claim_type.upper(),
                    "status": str(c.get_status_display()),
                    "tanggal": c.event_date,
                    "manfaat": rupiah(c.benefit_amount) if c.benefit_amount else "",
                    "meninggal": c.fatal,
                },
            )
            for c in claims.order_by("pk")
        ]
    return _queue(MessageKind.CLAIM_STATUS, items)


# --- delivery ---------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    interrupted: int = 0


def backoff(attempts: int) -> datetime.timedelta:
    """Wait before the next try: base × 2^(attempts − 1), at most a day."""
    base = _setting("SIAGA_NOTIFICATIONS_RETRY_SECONDS", 300)
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86_400))


def fail_interrupted(now: datetime.datetime | None = None) -> int:
    """Messages a sender claimed and never finished (it died): failed, for staff to check."""
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=_setting("SIAGA_NOTIFICATIONS_LEASE_SECONDS", 600))
    return OutboxMessage.objects.filter(status=D.SENDING, claimed_at__lt=now - lease).update(
        status=D.FAILED,
        last_error=gettext(
            "Interrupted while sending: it may have been delivered. Check with the gateway "
            "before retrying."
        ),
    )


def _claim(batch: int) -> list[OutboxMessage]:
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=D.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:batch]
        )
        claimed = []
        for message in due:
            # Conditional: only a message still waiting becomes ours.
            if OutboxMessage.objects.filter(pk=message.pk, status=D.PENDING).update(
                status=D.SENDING, claimed_at=now, attempts=F("attempts") + 1
            ):
                message.attempts += 1
                message.status = D.SENDING
                claimed.append(message)
    return claimed


def _deliver(message: OutboxMessage, sender, report: SendReport) -> None:
    try:
        reference = sender.send(recipient=message.recipient, body=message.body, key=message.key)
    except Exception as exc:  # any sender failure is retried, never lost
        now = timezone.now()
        error = f"{exc.__class__.__name__}: {exc}"[:1000]
        if message.attempts >= _setting("SIAGA_NOTIFICATIONS_MAX_ATTEMPTS", 6):
            changes = {"status": D.FAILED, "last_error": error}
            report.failed.append(message.pk)
        else:
            changes = {
                "status": D.PENDING,
                "last_error": error,
                "next_attempt_at": now + backoff(message.attempts),
            }
            report.retrying.append(message.pk)
        OutboxMessage.objects.filter(pk=message.pk, status=D.SENDING).update(**changes)
        return
    OutboxMessage.objects.filter(pk=message.pk, status=D.SENDING).update(
        status=D.SENT,
        sent_at=timezone.now(),
        provider_reference=str(reference or "")[:200],
        last_error="",
    )
    report.sent.append(message.pk)


def messages_send_due(*, limit: int = 1000, batch: int = 50, sender=None) -> SendReport:
    """Send up to ``limit`` due messages, ``batch`` claimed at a time."""
    sender = sender or get_sender()
    report = SendReport(interrupted=fail_interrupted())
    done = 0
    while done < limit:
        claimed = _claim(min(batch, limit - done))
        if not claimed:
            break
        for message in claimed:
            _deliver(message, sender, report)
        done += len(claimed)
    return report


def messages_retry(*, ids: Iterable[int]) -> int:
    """Put failed messages back in the queue now, with a fresh round of attempts."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status=D.FAILED).update(
        status=D.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
