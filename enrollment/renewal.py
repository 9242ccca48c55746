"""Year-to-year renewal ("ditanggung selama satu tahun berkelanjutan")."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.models import Worker, WorkerType

from .models import QUOTA_STATUSES, Enrollment, ProgramYear, QuotaTarget
from .models import EnrollmentStatus as S
from .premiums import coverage_cost, monthly_premium, rate_for
from .services import enrollment_eligibility, enrollment_propose, ensure_year_open, year_committed


@dataclass
class RenewalReport:
    dry_run: bool
    created: list[Worker] = field(default_factory=list)
    already: list[Worker] = field(default_factory=list)
    not_renewed: list[tuple[Worker, str]] = field(default_factory=list)


def _projected_cost(enrollment_like: Enrollment, program_year: ProgramYear, rates: dict) -> int:
    key = (enrollment_like.worker_type, enrollment_like.risk_class)
    if key not in rates:
        rates[key] = rate_for(
            program_year=program_year,
            worker_type=enrollment_like.worker_type,
            risk_class=enrollment_like.risk_class,
        )
    monthly = monthly_premium(rate=rates[key], wage=enrollment_like.declared_wage)
    return coverage_cost(
        monthly=monthly,
        start=enrollment_like.coverage_start,
        end=enrollment_like.coverage_end,
        program_year=program_year,
    )


def _quota_matches(quota: QuotaTarget, worker: Worker, worker_type: str) -> bool:
    if quota.worker_type != worker_type:
        return False
    if quota.segment_id:
        return quota.segment_id == worker.segment_id
    if quota.kecamatan_id:
        return quota.kecamatan_id == worker.kelurahan.kecamatan_id
    return True


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
    """
    to_year = ProgramYear.objects.select_for_update().get(pk=to_year.pk)
    ensure_year_open(to_year)
    if to_year.year <= from_year.year:
        raise ValidationError(_("Renew into a later year."), code="renew_backwards")
    report = RenewalReport(dry_run=dry_run)

    existing = set(
        Enrollment.objects.filter(program_year=to_year).values_list("worker_id", flat=True)
    )
    quotas = list(QuotaTarget.objects.filter(program_year=to_year))
    pending = list(
        Enrollment.objects.filter(
            program_year=to_year, status__in=[S.PROPOSED, *QUOTA_STATUSES]
        ).select_related("worker__kelurahan")
    )
    used = {
        q.pk: sum(1 for e in pending if _quota_matches(q, e.worker, e.worker_type)) for q in quotas
    }
    rates: dict = {}
    budget_used = year_committed(to_year)
    for e in pending:
        if e.status == S.PROPOSED:
            try:
                budget_used += _projected_cost(e, to_year, rates)
            except ValidationError:
                continue

    sources = (
        Enrollment.objects.filter(program_year=from_year, status__in=[S.ACTIVE, S.ENDED])
        .select_related("worker", "worker__kelurahan", "worker__segment")
        .order_by("worker_id")
    )
    for source in sources.iterator(chunk_size=2000):
        worker = source.worker
        if worker.pk in existing:
            report.already.append(worker)
            continue
        eligibility = enrollment_eligibility(worker=worker, program_year=to_year)
        if not eligibility.is_eligible:
            report.not_renewed.append((worker, "; ".join(str(f) for f in eligibility.errors)))
            continue
        is_pu = worker.worker_type == WorkerType.PU
        candidate = Enrollment(
            worker=worker,
            program_year=to_year,
            worker_type=worker.worker_type,
            risk_class=(source.risk_class or "") if is_pu else "",
            declared_wage=worker.monthly_income if is_pu else 0,
            coverage_start=to_year.coverage_start,
            coverage_end=to_year.coverage_end,
        )
        if is_pu and not candidate.risk_class:
            report.not_renewed.append((worker, gettext("A wage earner needs a risk class.")))
            continue
        try:
            cost = _projected_cost(candidate, to_year, rates)
        except ValidationError as exc:
            report.not_renewed.append((worker, "; ".join(exc.messages)))
            continue
        matching = [q for q in quotas if _quota_matches(q, worker, worker.worker_type)]
        full = [q for q in matching if used[q.pk] >= q.target]
        if full:
            report.not_renewed.append(
                (worker, gettext("The quota %(quota)s is full.") % {"quota": full[0]})
            )
            continue
        if budget_used + cost > to_year.budget:
            report.not_renewed.append(
                (worker, gettext("The %(year)s budget is used up.") % {"year": to_year.year})
            )
            continue
        if not dry_run:
            enrollment_propose(
                worker=worker,
                program_year=to_year,
                user=user,
                risk_class=candidate.risk_class,
                reason=gettext("Renewal from %(year)s") % {"year": from_year.year},
                renewed_from=source,
            )
        for q in matching:
            used[q.pk] += 1
        budget_used += cost
        report.created.append(worker)
    return report
