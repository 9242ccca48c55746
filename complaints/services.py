"""Writes and rules of complaints: open, assign, change status, resolve, escalate.

The admin, the commands and the tests call these; each runs in one transaction, takes the
ticket's row lock before changing it, and leaves an audit-trail entry (django-simple-history)
naming the member of staff (the request's user in the admin, ``user`` otherwise).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import KEPALA_BIDANG
from enrollment.models import Claim, Enrollment
from participants.models import Worker

from .models import (
    DONE_STATUSES,
    Category,
    Escalation,
    ServiceLevel,
    Ticket,
    TicketStatus,
)

T = TicketStatus
# Calendar days per category when the Administrator has not set a service level (the data
# migration seeds the same values as rows, editable in the admin).
DEFAULT_DAYS: dict[str, int] = {
    Category.NOT_INCLUDED: 14,
    Category.NOT_ACTIVE: 7,
    Category.WRONG_DATA: 14,
    Category.CLAIM: 7,
    Category.OTHER: 14,
}

TRANSITIONS: dict[str, frozenset[str]] = {
    T.NEW: frozenset({T.IN_PROGRESS, T.WAITING, T.RESOLVED, T.CLOSED}),
    T.IN_PROGRESS: frozenset({T.WAITING, T.RESOLVED, T.CLOSED}),
    T.WAITING: frozenset({T.IN_PROGRESS, T.RESOLVED, T.CLOSED}),
    # A resolved complaint can be reopened when the answer did not help; a closed one is final.
    T.RESOLVED: frozenset({T.IN_PROGRESS, T.CLOSED}),
    T.CLOSED: frozenset(),
}


def _user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _save(ticket: Ticket, user: AbstractBaseUser | None, reason: str = "") -> Ticket:
    ticket.full_clean()
    ticket._history_user = _user(user)  # the admin's request user otherwise (middleware)
    if reason:
        ticket._change_reason = reason[:100]
    ticket.save()
    return ticket


def service_days(category: str) -> int:
    row = ServiceLevel.objects.filter(category=category).only("days").first()
    return row.days if row is not None else DEFAULT_DAYS[category]


def deadline_for(category: str, received_on: datetime.date) -> datetime.date:
    """The last day to answer: the day received plus the category's service level."""
    return received_on + datetime.timedelta(days=service_days(category))


def check_links(*, worker: Worker, enrollment: Enrollment | None, claim: Claim | None) -> None:
    """An enrollment or claim named on a complaint must be the worker's own."""
    errors = {}
    if enrollment is not None and enrollment.worker_id != worker.pk:
        errors["enrollment"] = ValidationError(
            _("This enrollment belongs to another worker."), code="enrollment_other_worker"
        )
    if claim is not None and claim.enrollment.worker_id != worker.pk:
        errors["claim"] = ValidationError(
            _("This claim belongs to another worker."), code="claim_other_worker"
        )
    if errors:
        raise ValidationError(errors)


def check_change(*, ticket: Ticket, status: str, resolution: str) -> None:
    """Refuse a move the ticket's status does not allow, or an answer without its text."""
    if status != ticket.status and status not in TRANSITIONS[ticket.status]:
        raise ValidationError(
            {
                "status": ValidationError(
                    _("A complaint that is “%(from)s” cannot become “%(to)s”."),
                    code="ticket_transition",
                    params={"from": T(ticket.status).label, "to": T(status).label},
                )
            }
        )
    if status in DONE_STATUSES and not (resolution or "").strip():
        raise ValidationError(
            {
                "resolution": ValidationError(
                    _("Write how the complaint was answered before resolving or closing it."),
                    code="resolution_missing",
                )
            }
        )


@transaction.atomic
def ticket_open(
    *,
    worker: Worker,
    category: str,
    channel: str,
    description: str,
    user: AbstractBaseUser | None,
    enrollment: Enrollment | None = None,
    claim: Claim | None = None,
    assignee: AbstractBaseUser | None = None,
) -> Ticket:
    """Record a complaint as received now; its deadline follows the category's service level."""
    if claim is not None and enrollment is None:
        enrollment = claim.enrollment
    check_links(worker=worker, enrollment=enrollment, claim=claim)
    now = timezone.now()
    if category not in Category.values:
        raise ValidationError({"category": _("Choose a category.")}, code="category")
    ticket = Ticket(
        worker=worker,
        enrollment=enrollment,
        claim=claim,
        category=category,
        channel=channel,
        description=description,
        assignee=assignee,
        opened_at=now,
        opened_by=_user(user),
        deadline=deadline_for(category, timezone.localdate(now)),
        status=T.IN_PROGRESS if assignee is not None else T.NEW,
    )
    return _save(ticket, user)


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: AbstractBaseUser | None, user: AbstractBaseUser | None
) -> Ticket:
    """Give the complaint to a member of staff; a new complaint is then in progress."""
    locked = _lock(ticket)
    if assignee is not None and not assignee.is_staff:
        raise ValidationError(
            {"assignee": _("Assign complaints to staff members only.")}, code="assignee_not_staff"
        )
    locked.assignee = assignee
    if assignee is not None and locked.status == T.NEW:
        locked.status = T.IN_PROGRESS
    return _save(locked, user)


@transaction.atomic
def ticket_set_status(
    *,
    ticket: Ticket,
    status: str,
    user: AbstractBaseUser | None,
    resolution: str | None = None,
) -> Ticket:
    """Move the complaint along (TRANSITIONS); resolving or closing needs the resolution."""
    locked = _lock(ticket)
    resolution = locked.resolution if resolution is None else resolution.strip()
    check_change(ticket=locked, status=status, resolution=resolution)
    locked.resolution = resolution
    if status in DONE_STATUSES and locked.resolved_at is None:
        locked.resolved_at = timezone.now()
    elif status not in DONE_STATUSES:
        locked.resolved_at = None  # reopened
    locked.status = status
    return _save(locked, user)


def ticket_resolve(
    *, ticket: Ticket, resolution: str, user: AbstractBaseUser | None, close: bool = False
) -> Ticket:
    """Record the answer: resolved (the complainant may still come back) or closed."""
    return ticket_set_status(
        ticket=ticket, status=T.CLOSED if close else T.RESOLVED, resolution=resolution, user=user
    )


def head_of_office() -> AbstractBaseUser | None:
    """Whom overdue complaints go to: ``SIAGA_COMPLAINTS_ESCALATE_TO`` (a username) when set,
    else the first active member of the Kepala Bidang group."""
    users = get_user_model().objects.filter(is_active=True)
    username = getattr(settings, "SIAGA_COMPLAINTS_ESCALATE_TO", "")
    if username:
        return users.filter(username=username).first()
    return users.filter(groups__name=KEPALA_BIDANG).order_by("pk").first()


@dataclass(frozen=True)
class EscalationReport:
    escalated: list[Escalation]
    already: int


def tickets_escalate_overdue(*, today: datetime.date | None = None) -> EscalationReport:
    """Put every open complaint past its deadline before the head of office, once per deadline.

    Idempotent: an escalation is a row unique per (ticket, deadline), so the periodic command
    and the queue page may both run it, at the same time too. Tickets locked by someone else
    are skipped (``skip_locked``) and caught on the next run.
    """
    today = today or timezone.localdate()
    overdue = Ticket.objects.overdue(today)
    # A deadline never changes, so an escalated ticket has had its deadline escalated: only
    # the others need the write transaction (the queue page runs this on every visit).
    pending = overdue.filter(escalated_at__isnull=True)
    if not pending.exists():
        return EscalationReport([], overdue.count())
    head = head_of_office()
    escalated: list[Escalation] = []
    with transaction.atomic():
        now = timezone.now()
        for ticket in pending.select_for_update(skip_locked=True).order_by("pk"):
            try:
                with transaction.atomic():
                    escalation = Escalation.objects.create(
                        ticket=ticket,
                        deadline=ticket.deadline,
                        escalated_at=now,
                        escalated_to=head,
                        assignee_then_id=ticket.assignee_id,
                    )
            except IntegrityError:  # escalated by another run a moment ago
                continue
            ticket.escalated_at = now
            ticket.escalated_to = head
            if ticket.assignee_id is None:
                ticket.assignee = head
            _save(ticket, None, reason=str(_("Escalated: answer overdue")))
            escalated.append(escalation)
    return EscalationReport(escalated, overdue.count() - len(escalated))
