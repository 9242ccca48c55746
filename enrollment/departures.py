"""Cover ends when the worker dies or their registry record is deactivated (issue 11, point 2).

Every path that records a death or a deactivation (the worker page, the worker import, a
JKM/fatal JKK claim) ends in ``participants.services.workers_departed``, whose hook
(registered in ``EnrollmentConfig.ready``) is ``enrollments_end_for_departed`` below: the
worker's open enrollments are terminated through ``enrollment_terminate``, the one rule for
what a termination costs and frees.

- A death ends cover on the date of death: an active enrollment keeps the premium of the
  calendar months up to and including that month, every other open one costs nothing; its
  quota place and money are released (reason *meninggal*).
- A deactivation ends cover on the day it is recorded (reason *dinonaktifkan*, the
  deactivation reason in the status note).
- Submitting to BPJS and activation refuse a dead or deactivated worker
  (``services.worker_presence_error``); the BPJS export leaves them out and says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from importer.bulk import filter_in
from participants.models import Worker

from .models import Enrollment, EnrollmentStatus, ProgramYearStatus, TerminationReason
from .premiums import coverage_cost
from .services import TRANSITIONS, enrollment_terminate

S = EnrollmentStatus
# Statuses that can still be terminated: cover that is open or on its way.
OPEN_STATUSES = tuple(s for s, targets in TRANSITIONS.items() if S.TERMINATED in targets)


def departure(worker: Worker, *, today: datetime.date) -> tuple[str, datetime.date, str]:
    """(termination reason, effective date, note) for a dead or deactivated worker."""
    if worker.death_date is not None:
        note = gettext("Died on %(date)s.") % {"date": worker.death_date.strftime("%d-%m-%Y")}
        return TerminationReason.DECEASED, worker.death_date, note
    note = gettext("Worker record deactivated: %(reason)s") % {"reason": worker.deactivation_reason}
    return TerminationReason.DEACTIVATED, today, note


@transaction.atomic
def enrollments_end_for_departed(
    *,
    worker_ids: Iterable[int],
    user: AbstractBaseUser | None,
    reason: str = "",
    today: datetime.date | None = None,
) -> list[Enrollment]:
    """End the open cover (open program years) of those of ``worker_ids`` who are dead or
    deactivated; return the enrollments changed. Safe to call again: cover already ended
    is left alone, except that a death date moved earlier shortens cover ended after it.
    """
    today = today or timezone.localdate()
    changed: list[Enrollment] = []
    departed = Q(death_date__isnull=False) | Q(is_active=False)
    open_years = ~Q(program_year__status=ProgramYearStatus.CLOSED)
    for workers in filter_in(Worker.objects.filter(departed), "id", list(worker_ids)):
        ids = list(workers.values_list("pk", flat=True))
        if not ids:
            continue
        enrollments = (
            Enrollment.objects.filter(open_years, worker_id__in=ids, status__in=OPEN_STATUSES)
            .select_related("worker", "program_year")
            .order_by("program_year_id", "pk")
        )
        for enrollment in enrollments:
            termination_reason, effective, note = departure(enrollment.worker, today=today)
            if enrollment.status == S.ACTIVE and enrollment.coverage_end < effective:
                continue  # its cover had run out before: it ends, not terminates
            enrollment_terminate(
                enrollment=enrollment,
                termination_reason=termination_reason,
                effective_date=effective,
                user=user,
                reason=_joined(reason, note),
            )
            changed.append(enrollment)
        changed += _shorten_to_death(
            Enrollment.objects.filter(
                open_years,
                worker_id__in=ids,
                worker__death_date__isnull=False,
                status=S.TERMINATED,
                coverage_end__gt=F("worker__death_date"),
            )
            .exclude(kpj_number="")
            .select_related("worker", "program_year"),
            reason=reason,
        )
    return changed


def _shorten_to_death(enrollments, *, reason: str) -> list[Enrollment]:
    """Cover already terminated (it had been active) but after a death date recorded later:
    it ends on the death date, and costs the months up to it."""
    changed = []
    for enrollment in enrollments.select_for_update(of=("self",)).order_by("pk"):
        death = enrollment.worker.death_date
        _, _, note = departure(enrollment.worker, today=death)
        if death < enrollment.coverage_start:
            # Died before cover began: no month of it was used.
            enrollment.coverage_end = enrollment.coverage_start
            enrollment.set_cost(0)
        else:
            enrollment.coverage_end = death
            enrollment.set_cost(
                coverage_cost(
                    monthly=enrollment.monthly_premium_micro or 0,
                    start=enrollment.coverage_start,
                    end=death,
                    program_year=enrollment.program_year,
                )
            )
        enrollment.status_note = _joined(reason, note)
        enrollment.full_clean()
        enrollment.save(
            update_fields=["coverage_end", "committed_amount", "committed_micro", "status_note"]
        )
        changed.append(enrollment)
    return changed


def _joined(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def end_cover_hook(*, worker_ids: list[int], user: AbstractBaseUser | None, reason: str) -> None:
    """``participants.services.DEPARTURE_HOOKS`` entry (see ``EnrollmentConfig.ready``)."""
    enrollments_end_for_departed(worker_ids=worker_ids, user=user, reason=reason)
