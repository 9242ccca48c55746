"""Year-to-year renewal ("ditanggung selama satu tahun berkelanjutan")."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.models import Worker, WorkerType

from . import hooks
from .eligibility import enrollment_eligibility
from .limits import YearRoom
from .models import Enrollment, ProgramYear
from .models import EnrollmentStatus as S
from .services import enrollments_propose_bulk, ensure_year_open

# A year's participants whom renewal proposes for the next year.
RENEWAL_SOURCE_STATUSES = (S.ACTIVE, S.ENDED)


@dataclass
class RenewalReport:
    dry_run: bool
    created: list[Worker] = field(default_factory=list)
    already: list[Worker] = field(default_factory=list)
    not_renewed: list[tuple[Worker, str]] = field(default_factory=list)


@transaction.atomic
def enrollments_renew(
    *,
    from_year: ProgramYear,
    to_year: ProgramYear,
    user: AbstractBaseUser | None,
    dry_run: bool = False,
) -> RenewalReport:
    """Propose next year's cover for this year's participants ("satu tahun berkelanjutan").

    Takes the active (and run-out) enrollments of ``from_year``, skips workers already in
    ``to_year`` (so a second run creates nothing), checks eligibility with the same rule as a
    new proposal, and stops at ``to_year``'s quotas and budget, counting what is already
    committed or proposed there. Workers are taken in registry order (oldest first).
    The proposals are written together (``enrollments_propose_bulk``): the year's renewal is
    the program's whole membership, 14,087 workers in 2024.
    """
    to_year = ProgramYear.objects.select_for_update().get(pk=to_year.pk)
    ensure_year_open(to_year)
    if to_year.year <= from_year.year:
        raise ValidationError(_("Renew into a later year."), code="renew_backwards")
    report = RenewalReport(dry_run=dry_run)

    existing = set(
        Enrollment.objects.filter(program_year=to_year).values_list("worker_id", flat=True)
    )
    room = YearRoom(to_year)
    if room.ended:
        raise ValidationError(
            _("Coverage in %(year)s ends on %(date)s: a proposal made now cannot start in it."),
            code="coverage_over",
            params={"year": to_year.year, "date": to_year.coverage_end.strftime("%d-%m-%Y")},
        )
    sources = (
        Enrollment.objects.filter(program_year=from_year, status__in=RENEWAL_SOURCE_STATUSES)
        .select_related("worker", "worker__kelurahan", "worker__segment")
        .order_by("worker_id")
    )
    reason = gettext("Renewal from %(year)s") % {"year": from_year.year}
    proposals: list[Enrollment] = []
    for source in sources.iterator(chunk_size=2000):
        worker = source.worker
        if worker.pk in existing:
            report.already.append(worker)
            continue
        # Heirs only add a warning, which renewal does not show: skip that query per worker.
        # Age is judged on the day the renewed cover starts (room.start).
        eligibility = enrollment_eligibility(
            worker=worker,
            program_year=to_year,
            coverage_start=room.start,
            enrolled=False,
            has_heirs=True,
        )
        if not eligibility.is_eligible:
            report.not_renewed.append((worker, "; ".join(str(f) for f in eligibility.errors)))
            continue
        is_pu = worker.worker_type == WorkerType.PU
        candidate = room.candidate(worker, risk_class=(source.risk_class or "") if is_pu else "")
        if is_pu and not candidate.risk_class:
            report.not_renewed.append((worker, gettext("A wage earner needs a risk class.")))
            continue
        try:
            cost = room.cost(candidate)
        except ValidationError as exc:
            report.not_renewed.append((worker, "; ".join(exc.messages)))
            continue
        refusal = room.quota_refusal(worker) or room.budget_refusal(cost)
        if refusal:
            report.not_renewed.append((worker, refusal))
            continue
        candidate.renewed_from = source
        proposals.append(candidate)
        existing.add(worker.pk)
        room.take(worker, cost)
        report.created.append(worker)
    if not dry_run:
        created = enrollments_propose_bulk(proposals, user=user, reason=reason)
        hooks.in_transaction(hooks.RENEWED, enrollment_ids=[e.pk for e in created])
    return report
