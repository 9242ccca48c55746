"""The year's hard limits: committed money, quota places and the room left for proposals.

One source for every check of the budget and the quotas: verification and activation
(``enrollment.services``), renewal, the targeting priority list and the admin's figures.
Counts and sums run in SQL; PostgreSQL answers them from a covering index (migration 0004).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.models import Worker, WorkerType
from siaga.formatting import number

from .models import QUOTA_STATUSES, Enrollment, EnrollmentStatus, ProgramYear, QuotaTarget
from .premiums import (
    MICRO,
    coverage_cost,
    default_coverage_start,
    monthly_premium,
    rate_for,
    round_rupiah,
    wage_base_sen,
)


def year_committed_micro(program_year: ProgramYear, *, exclude: Enrollment | None = None) -> int:
    """The year's exact commitment in millionths of a rupiah (each enrollment's frozen cost).

    Budget checks compare this exact sum with the budget; figures show it rounded once."""
    qs = Enrollment.objects.filter(program_year=program_year)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.aggregate(total=Sum("committed_micro"))["total"] or 0


def year_committed(program_year: ProgramYear, *, exclude: Enrollment | None = None) -> int:
    """Rupiah the year's enrollments are committed to: the exact sum rounded half up."""
    return round_rupiah(year_committed_micro(program_year, exclude=exclude))


def fits_budget(program_year: ProgramYear, committed_micro: int, cost_micro: int) -> bool:
    return committed_micro + cost_micro <= program_year.budget * MICRO


def quota_counts(quota: QuotaTarget, worker: Worker, worker_type: str) -> bool:
    """Whether ``quota`` counts a worker of ``worker_type``: its type overall, its segment,
    its kecamatan (the SQL side of the same rule is ``quota_used``).

    For a place about to be taken (a proposal, a verification): the worker's current segment
    and kecamatan, which the enrollment then keeps (``Enrollment.take_worker_place``)."""
    if quota.worker_type != worker_type:
        return False
    if quota.segment_id:
        return quota.segment_id == worker.segment_id
    if quota.kecamatan_id:
        return quota.kecamatan_id == worker.kelurahan.kecamatan_id
    return True


def quota_used(
    quota: QuotaTarget,
    *,
    exclude: Enrollment | None = None,
    statuses: Iterable[str] = QUOTA_STATUSES,
) -> int:
    """Enrollments the quota counts: by default those that hold a place (verified onwards),
    by the segment and kecamatan each enrollment was verified under (not the worker's
    current record, so editing a verified worker does not move the place)."""
    qs = Enrollment.objects.filter(
        program_year_id=quota.program_year_id,
        worker_type=quota.worker_type,
        status__in=list(statuses),
    )
    if quota.segment_id:
        qs = qs.filter(segment_id=quota.segment_id)
    if quota.kecamatan_id:
        qs = qs.filter(kelurahan__kecamatan_id=quota.kecamatan_id)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def enrollment_price(
    enrollment: Enrollment, program_year: ProgramYear, rates: dict | None = None
) -> tuple[int, int]:
    """(monthly premium, cost to the year) of an enrollment at the year's rate and wage base,
    exact in millionths of a rupiah, as verification freezes them. ``rates`` caches the
    year's rate rows between calls."""
    rates = {} if rates is None else rates
    key = (enrollment.worker_type, enrollment.risk_class)
    if key not in rates:
        rates[key] = rate_for(
            program_year=program_year,
            worker_type=enrollment.worker_type,
            risk_class=enrollment.risk_class,
        )
    wage_sen = 0
    if enrollment.worker_type == WorkerType.PU:
        wage_sen = wage_base_sen(program_year=program_year, declared_wage=enrollment.declared_wage)
    monthly = monthly_premium(rate=rates[key], wage_sen=wage_sen)
    cost = coverage_cost(
        monthly=monthly,
        start=enrollment.coverage_start,
        end=enrollment.coverage_end,
        program_year=program_year,
    )
    return monthly, cost


class YearRoom:
    """Places and rupiah left in a year for new proposals made in bulk (renewal, the priority
    list), counting what is committed and what is already proposed.

    Proposing does not lock places (verification does, see ``enrollment_verify``); bulk
    proposers still stop at the limits so they do not fill the year with proposals that can
    never be verified. Callers hold the program year's row lock (``select_for_update``), the
    lock every verification queues on, so two bulk runs cannot both take the last place.
    """

    PENDING = (EnrollmentStatus.PROPOSED, *QUOTA_STATUSES)

    def __init__(self, program_year: ProgramYear, *, today: datetime.date | None = None) -> None:
        self.program_year = program_year
        # Proposals made today start on this day (the first of next month once the year
        # has begun), are priced for the months from it and age-checked on it.
        self.start = default_coverage_start(
            program_year=program_year, today=today or timezone.localdate()
        )
        self.rates: dict = {}
        self._template: Enrollment | None = None
        self.quotas = list(
            QuotaTarget.objects.filter(program_year=program_year).select_related(
                "program_year", "segment", "kecamatan"
            )
        )
        self.used = {q.pk: quota_used(q, statuses=self.PENDING) for q in self.quotas}
        self.spent = year_committed_micro(program_year)  # exact, millionths of a rupiah
        proposed = Enrollment.objects.filter(
            program_year=program_year, status=EnrollmentStatus.PROPOSED
        ).only("worker_type", "risk_class", "declared_wage", "coverage_start", "coverage_end")
        for enrollment in proposed.iterator(chunk_size=5000):
            try:
                self.spent += enrollment_price(enrollment, program_year, self.rates)[1]
            except ValidationError:
                continue  # no rate yet: verification will refuse it anyway

    def candidate(self, worker: Worker, *, risk_class: str = "") -> Enrollment:
        """The unsaved enrollment a proposal for ``worker`` would create: coverage from
        ``self.start`` to the year's end; a PU worker's risk class is ``risk_class`` or else
        their segment's default."""
        is_pu = worker.worker_type == WorkerType.PU
        if is_pu and not risk_class:
            risk_class = worker.segment.default_risk_class
        enrollment = self._blank()
        enrollment.worker_id = worker.pk
        enrollment._state.fields_cache["worker"] = worker
        enrollment.worker_type = worker.worker_type
        enrollment.risk_class = risk_class if is_pu else ""
        enrollment.declared_wage = (worker.monthly_income or 0) if is_pu else 0  # unknown: none
        enrollment.take_worker_place(worker)
        return enrollment

    def _blank(self) -> Enrollment:
        """A copy of the year's blank enrollment (coverage from ``self.start``). Copying the
        attributes skips ``Model.__init__``, which cost about half of a million-row
        renewal's Python time (every field's default, foreign keys set through descriptors).
        """
        if self._template is None:
            self._template = Enrollment(
                program_year=self.program_year,
                coverage_start=self.start,
                coverage_end=self.program_year.coverage_end,
            )
        enrollment = Enrollment.__new__(Enrollment)
        enrollment.__dict__.update(self._template.__dict__)
        enrollment._state = ModelState()
        enrollment._state.fields_cache = {"program_year": self.program_year}
        return enrollment

    @property
    def ended(self) -> bool:
        """The year's coverage is over: a proposal made now would start after it."""
        return self.start > self.program_year.coverage_end

    def cost(self, enrollment: Enrollment) -> int:
        return enrollment_price(enrollment, self.program_year, self.rates)[1]

    def type_full(self, worker_type: str) -> QuotaTarget | None:
        """The type's overall quota, when it has no place left."""
        for q in self.quotas:
            overall = not q.segment_id and not q.kecamatan_id
            if overall and q.worker_type == worker_type and self.used[q.pk] >= q.target:
                return q
        return None

    def quota_refusal(self, worker: Worker) -> str:
        for q in self.quotas:
            if quota_counts(q, worker, worker.worker_type) and self.used[q.pk] >= q.target:
                return gettext("The quota %(quota)s is full.") % {"quota": q}
        return ""

    def budget_refusal(self, cost: int) -> str:
        """Why a proposal costing ``cost`` (exact) does not fit the budget, or ""."""
        if fits_budget(self.program_year, self.spent, cost):
            return ""
        return gettext("The %(year)s budget is used up.") % {"year": self.program_year.year}

    def take(self, worker: Worker, cost: int) -> None:
        for q in self.quotas:
            if quota_counts(q, worker, worker.worker_type):
                self.used[q.pk] += 1
        self.spent += cost


def budget_error(program_year: ProgramYear, committed: int, cost: int) -> ValidationError:
    """The refusal of a cost (exact, millionths of a rupiah) over the exact commitment."""
    left = max(program_year.budget * MICRO - committed, 0)
    return ValidationError(
        _(
            "Not enough budget: this enrollment costs Rp %(cost)s but only Rp %(left)s of "
            "the %(year)s budget is left."
        ),
        code="budget_exceeded",
        params={
            "cost": number(round_rupiah(cost)),
            "left": number(left // MICRO),
            "year": program_year.year,
        },
    )


# --- limits set below what is already used (issue 11, point 11) -------------------------------


def budget_below_use_error(
    program_year: ProgramYear, budget: int, reason: str
) -> ValidationError | None:
    """A budget below the rupiah already committed needs a reason (it is then shown as
    over-committed); None when the budget covers what is committed or a reason is given."""
    if program_year.pk is None:
        return None
    committed_micro = year_committed_micro(program_year)
    if budget * MICRO >= committed_micro or reason.strip():
        return None
    committed = round_rupiah(committed_micro)
    return ValidationError(
        _(
            "Rp %(budget)s is below the Rp %(committed)s already committed for %(year)s. "
            "Give the reason for lowering the budget below what is committed."
        ),
        code="budget_below_committed",
        params={
            "budget": number(budget),
            "committed": number(committed),
            "year": program_year.year,
        },
    )


def quota_below_use_error(quota: QuotaTarget, reason: str) -> ValidationError | None:
    """A quota target below the places already held needs a reason (shown as over-committed)."""
    if quota.program_year_id is None or not quota.worker_type or quota.target is None:
        return None
    used = quota_used(quota)
    if quota.target >= used or reason.strip():
        return None
    return ValidationError(
        _(
            "A target of %(target)s is below the %(used)s places already held. Give the "
            "reason for lowering the target below what is used."
        ),
        code="quota_below_used",
        params={"target": number(quota.target), "used": number(used)},
    )
