"""JKK and JKM claims: the events that make heirs matter (PP 44/2015 jo. PP 82/2019)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.services import worker_update

from . import hooks
from .departures import enrollments_end_for_departed
from .models import Claim, ClaimStatus, ClaimType, Enrollment
from .models import EnrollmentStatus as S
from .services import user_or_none


def claim_check(*, enrollment: Enrollment, claim_type: str, event_date: datetime.date) -> None:
    """Refuse a claim the enrollment did not cover (shared by the admin form and the service)."""
    if claim_type not in ClaimType.values:
        raise ValidationError(_("Choose JKK or JKM."), code="claim_type")
    if not enrollment.kpj_number or enrollment.status not in (S.ACTIVE, S.ENDED, S.TERMINATED):
        raise ValidationError(
            _("Only an enrollment that became active (has a KPJ number) can have claims."),
            code="claim_not_active",
        )
    if not enrollment.coverage_start <= event_date <= enrollment.coverage_end:
        raise ValidationError(
            _("%(date)s is outside the coverage %(start)s - %(end)s."),
            code="claim_outside_coverage",
            params={
                "date": event_date.strftime("%d-%m-%Y"),
                "start": enrollment.coverage_start.strftime("%d-%m-%Y"),
                "end": enrollment.coverage_end.strftime("%d-%m-%Y"),
            },
        )
    if event_date > timezone.localdate():
        raise ValidationError(_("The event date is in the future."), code="claim_future")


@transaction.atomic
def claim_record(
    *,
    enrollment: Enrollment,
    claim_type: str,
    event_date: datetime.date,
    user: AbstractBaseUser | None,
    fatal: bool = False,
    status: str = ClaimStatus.REPORTED,
    benefit_amount: int = 0,
    notes: str = "",
) -> Claim:
    """Record a JKK/JKM event. A death (every JKM claim, a fatal JKK one) marks the worker
    deceased from ``event_date`` and terminates their enrollments (reason meninggal)."""
    claim_check(enrollment=enrollment, claim_type=claim_type, event_date=event_date)
    fatal = fatal or claim_type == ClaimType.JKM
    claim = Claim(
        enrollment=enrollment,
        claim_type=claim_type,
        event_date=event_date,
        fatal=fatal,
        status=status,
        benefit_amount=benefit_amount,
        notes=notes,
        created_by=user_or_none(user),
    )
    claim.full_clean()
    claim.save()
    if fatal:
        # The one path of every death: the worker's record, then the end of their cover.
        worker = enrollment.worker
        note = gettext("Death recorded with claim %(claim)s.") % {"claim": claim.pk}
        if worker.death_date is None or worker.death_date > event_date:
            worker_update(worker=worker, user=user, data={"death_date": event_date}, reason=note)
        enrollments_end_for_departed(worker_ids=[worker.pk], user=user, reason=note)
    hooks.in_transaction(hooks.CLAIM_STATUS, claim_ids=[claim.pk])
    return claim


@transaction.atomic
def claim_update(*, claim: Claim) -> Claim:
    """Save a claim's editable fields (status, benefit, notes); a new status is passed on to
    the hooks (the participant's message) in the same transaction."""
    before = Claim.objects.select_for_update().only("status").get(pk=claim.pk).status
    claim.full_clean()
    claim.save()
    if claim.status != before:
        hooks.in_transaction(hooks.CLAIM_STATUS, claim_ids=[claim.pk])
    return claim
