"""Queueing and delivering outbox messages.

Queueing happens inside the transaction of the activation, renewal or claim change
(enrollment.hooks): one row per person, kind and object (a unique key: queueing again is a
no-op), inserted set-based — a BPJS file of thousands of activations queues them in a few
queries — and committed or rolled back with the change. The row keeps the template's
variables as JSON; the text is rendered in Indonesian from the kind's template at send time,
so a missing or broken template is a visible, retried send failure, never a failed activation.

Delivery claims due messages under row locks (``select_for_update(skip_locked=True)``, a
conditional ``menunggu → dikirim`` update), renders and sends outside any transaction, then
records the outcome: two senders running at once never send one message twice. A message
whose sender died mid-send is not resent automatically (it may have gone out): it is marked
failed for staff to check and retry.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import re
from collections.abc import Iterable, Iterator
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

_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "notifications_suppressed", default=False
)


@contextlib.contextmanager
def queueing_suppressed() -> Iterator[None]:
    """Queue nothing inside the block: for demo data and bulk loads of fake people, whose
    "activations" must never reach a real phone (seed_demo uses it)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- the variables, stored as JSON ------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_json(context: dict) -> dict:
    """JSON-safe variables: dates as ISO text (read back as dates by ``from_json``)."""
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in context.items()
    }


def from_json(context: dict) -> dict:
    values = {}
    for name, value in context.items():
        if isinstance(value, str) and _ISO_DATE.match(value):
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(value)
        values[name] = value
    return values


def render_text(body: str, context: dict) -> str:
    """The text in Indonesian; raises on a template that cannot be used."""
    with translation.override("id"):
        text = Template(body).render(
            Context({"kantor": settings.SIAGA_OFFICE_NAME, **context}, autoescape=False)
        )
    return " ".join(text.split())


class TemplateMissing(Exception):
    pass


def render_message(message: OutboxMessage, templates: dict[str, str]) -> str:
    """The text to send: rendered from the kind's current template (``templates``: kind →
    text); a message queued before rendering moved to send time keeps its stored text."""
    if message.context is None:
        return message.body
    if message.kind not in templates:
        raise TemplateMissing(
            gettext("There is no message template for %(kind)s.") % {"kind": message.kind}
        )
    return render_text(templates[message.kind], from_json(message.context))


def message_text(message: OutboxMessage) -> str:
    """The text the message would have if sent now (for staff and tests)."""
    return render_message(message, _templates())


# --- queueing (inside the change's transaction) ------------------------------------------------


def _queue(kind: str, items: Iterable[tuple[str, object, dict]]) -> int:
    """Insert (key, worker, context) messages not queued before; returns how many are new.

    Queues nothing while the kind's template is switched off or inside
    ``queueing_suppressed()``. A missing template still queues (the send fails visibly
    until an Administrator adds it)."""
    if _suppressed.get():
        return 0
    if MessageTemplate.objects.filter(kind=kind, is_active=False).exists():
        return 0
    now = timezone.now()
    no_phone = gettext("The worker has no phone number.")
    rows = [
        OutboxMessage(
            kind=kind,
            worker=worker,
            key=key,
            recipient=worker.phone,
            context=to_json({"nama": worker.full_name, **context}),
            body="",
            status=D.PENDING if worker.phone else D.SKIPPED,
            last_error="" if worker.phone else no_phone,
            next_attempt_at=now,
            created_at=now,
        )
        for key, worker, context in items
    ]
    existing: set[str] = set()
    for chunk in filter_in(OutboxMessage.objects.all(), "key", [r.key for r in rows]):
        existing.update(chunk.values_list("key", flat=True))
    rows = [r for r in rows if r.key not in existing]
    # A row queued meanwhile by another transaction is skipped by the unique key.
    OutboxMessage.objects.bulk_create(rows, batch_size=BULK, ignore_conflicts=True)
    return len(rows)


def _enrollments(ids: list[int]):
    queryset = Enrollment.objects.select_related("worker", "program_year").only(
        "pk",
        "worker_id",
        "kpj_number",
        "coverage_start",
        "coverage_end",
        "program_year__year",
        "worker__full_name",
        "worker__phone",
    )
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


def _templates() -> dict[str, str]:
    """Every kind's current text (switched-off ones too: what was queued still goes out)."""
    return dict(MessageTemplate.objects.values_list("kind", "body"))


def _deliver(message: OutboxMessage, sender, report: SendReport, templates: dict) -> None:
    try:
        body = render_message(message, templates)
        reference = sender.send(recipient=message.recipient, body=body, key=message.key)
    except Exception as exc:  # a template or sender failure is retried, never lost
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
        body=body,
        sent_at=timezone.now(),
        provider_reference=str(reference or "")[:200],
        last_error="",
    )
    report.sent.append(message.pk)


def messages_send_due(*, limit: int = 1000, batch: int = 50, sender=None) -> SendReport:
    """Send up to ``limit`` due messages, ``batch`` claimed at a time."""
    sender = sender or get_sender()
    report = SendReport(interrupted=fail_interrupted())
    templates = _templates()
    done = 0
    while done < limit:
        claimed = _claim(min(batch, limit - done))
        if not claimed:
            break
        for message in claimed:
            _deliver(message, sender, report, templates)
        done += len(claimed)
    return report


def messages_retry(*, ids: Iterable[int]) -> int:
    """Put failed messages back in the queue now, with a fresh round of attempts."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status=D.FAILED).update(
        status=D.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
