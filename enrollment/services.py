"""Writes and rules of the enrollment lifecycle. Admin, commands and importers call these.

Every status change goes through ``_move`` so it is checked against ``TRANSITIONS``, refused
in a closed year, and recorded as an ``EnrollmentEvent`` (who, when, from → to, why).
Activation is the exception in form only: ``enrollments_activate`` makes the same checks and
writes the same history for a whole BPJS file at once, and ``enrollment_activate`` is its
one-enrollment case.
Quota and budget are hard limits checked under a row lock on the program year (see
``enrollment_verify``), so two staff verifying the last free place cannot both succeed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from importer.bulk import filter_in, insert_rows, reserve_ids
from participants.models import Worker, WorkerType
from participants.services import history_record_bulk
from siaga.concurrency import refuse_lost_race

from . import hooks
from .eligibility import enrollment_eligibility
from .limits import (
    budget_below_use_error,
    budget_error,
    enrollment_price,
    fits_budget,
    quota_counts,
    quota_used,
    year_committed_micro,
)
from .models import (
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ProgramYear,
    QuotaTarget,
    RiskClass,
    TerminationReason,
    WageBase,
    kpj_validator,
)
from .premiums import coverage_cost, default_coverage_start

S = EnrollmentStatus
# Rows per INSERT in bulk writes: each statement also refreshes the dashboard summary for
# its workers once (a statement trigger), so fewer, larger statements are cheaper.
BULK_BATCH = 10_000

# Context managers entered around a write of very many enrollments (renewal of a whole
# registry). The dashboard registers its summary deferral here in its AppConfig.ready: at a
# million rows one rebuild at the end is much cheaper than its triggers' per-statement
# refresh (about 1 ms per worker), and enrollment does not depend on the dashboard.
BULK_WRITE_WRAPPERS: list[Callable[[], AbstractContextManager]] = []


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Enter every ``BULK_WRITE_WRAPPERS`` context around a large bulk write."""
    with ExitStack() as stack:
        for wrapper in BULK_WRITE_WRAPPERS:
            stack.enter_context(wrapper())
        yield


# The only moves the lifecycle allows (issue 4, point 2).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.VERIFIED, S.REJECTED, S.TERMINATED}),
    S.VERIFIED: frozenset({S.SUBMITTED, S.REJECTED, S.TERMINATED}),
    S.SUBMITTED: frozenset({S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.ENDED, S.TERMINATED}),
    S.ENDED: frozenset(),
    S.TERMINATED: frozenset(),
    S.REJECTED: frozenset(),
}

OVERRIDE_QUOTA_PERMISSION = "enrollment.override_quota"
BPJS_PERMISSION = "enrollment.manage_bpjs_exchange"


# --- lifecycle helpers -------------------------------------------------------------------------


def user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    if user is not None and not user.is_authenticated:
        return None
    return user


def ensure_year_open(program_year: ProgramYear) -> None:
    if program_year.is_closed:
        raise ValidationError(
            _("Program year %(year)s is closed and can no longer change."),
            code="year_closed",
            params={"year": program_year.year},
        )


def worker_presence_error(worker: Worker) -> ValidationError | None:
    """Why a dead or deactivated worker cannot be sent to BPJS or activated (else None).

    Their cover ends when the death or deactivation is recorded (``departures``); this
    guards the steps that would start it again."""
    if worker.death_date is not None:
        return ValidationError(
            _("The worker died on %(date)s."),
            code="deceased",
            params={"date": worker.death_date.strftime("%d-%m-%Y")},
        )
    if not worker.is_active:
        return ValidationError(
            _("The worker's record is deactivated: %(reason)s"),
            code="deactivated",
            params={"reason": worker.deactivation_reason},
        )
    return None


def _lock(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("program_year", "worker", "worker__kelurahan")
        .get(pk=enrollment.pk)
    )


def _check_move(enrollment: Enrollment, to_status: str) -> None:
    ensure_year_open(enrollment.program_year)
    if to_status not in TRANSITIONS[enrollment.status]:
        raise ValidationError(
            _("An enrollment that is %(current)s cannot become %(target)s."),
            code="illegal_transition",
            params={
                "current": S(enrollment.status).label,
                "target": S(to_status).label,
            },
        )


def _move(
    enrollment: Enrollment,
    to_status: str,
    *,
    user: AbstractBaseUser | None,
    reason: str = "",
) -> Enrollment:
    """Apply a checked status change, validate, save and record it in the history."""
    from_status = enrollment.status
    now = timezone.now()
    enrollment.status = to_status
    enrollment.status_note = reason
    enrollment.status_changed_at = now
    enrollment.full_clean()
    enrollment.save()
    EnrollmentEvent.objects.create(
        enrollment=enrollment,
        from_status=from_status,
        to_status=to_status,
        at=now,
        by=user_or_none(user),
        reason=reason,
    )
    return enrollment


def _sync(original: Enrollment, saved: Enrollment) -> Enrollment:
    """Keep the caller's instance in step with the locked copy that was saved."""
    original.refresh_from_db()
    return saved


# --- transitions -------------------------------------------------------------------------------


@transaction.atomic
def enrollment_propose(
    *,
    worker: Worker,
    program_year: ProgramYear,
    user: AbstractBaseUser | None,
    risk_class: str = "",
    coverage_start: datetime.date | None = None,
    coverage_end: datetime.date | None = None,
    reason: str = "",
    renewed_from: Enrollment | None = None,
) -> Enrollment:
    """Propose ``worker`` for ``program_year`` (status diusulkan) if they are eligible.

    Coverage starts on ``coverage_start`` when staff choose one (never before today), else
    on the year's start while it is ahead, else on the first day of next month
    (``premiums.default_coverage_start``); age is judged on that day. A wage earner (PU)
    gets ``risk_class`` or, without one, their segment's default risk class.
    """
    ensure_year_open(program_year)
    start = coverage_start_for(program_year=program_year, chosen=coverage_start)
    eligibility = enrollment_eligibility(
        worker=worker, program_year=program_year, coverage_start=start
    )
    if not eligibility.is_eligible:
        raise eligibility.as_validation_error()
    is_pu = worker.worker_type == WorkerType.PU
    if is_pu and not risk_class:
        risk_class = worker.segment.default_risk_class
    if (
        is_pu
        and program_year.pu_wage_base == WageBase.DECLARED
        and not worker.monthly_income  # NULL = unknown (e.g. not in the imported list)
    ):
        raise ValidationError(
            _("A wage earner (PU) needs a declared monthly wage to price the premium."),
            code="wage_missing",
        )
    enrollment = Enrollment(
        worker=worker,
        program_year=program_year,
        worker_type=worker.worker_type,
        risk_class=risk_class if is_pu else "",
        declared_wage=(worker.monthly_income or 0) if is_pu else 0,  # unknown: no wage
        coverage_start=start,
        coverage_end=coverage_end or program_year.coverage_end,
        created_by=user_or_none(user),
        renewed_from=renewed_from,
    )
    enrollment.take_worker_place(worker)
    if not (program_year.first_day <= enrollment.coverage_start <= enrollment.coverage_end):
        raise ValidationError(_("Coverage dates are out of order."), code="coverage_order")
    if enrollment.coverage_end > program_year.last_day:
        raise ValidationError(
            _("Coverage must end inside the program year."), code="coverage_outside_year"
        )
    enrollment.status = ""  # recorded as the "from" of the first history entry

    def lost_race() -> ValidationError | None:
        # Someone proposed the same worker at the same moment and committed first: the
        # eligibility rule now sees it ("already enrolled").
        again = enrollment_eligibility(
            worker=worker, program_year=program_year, coverage_start=start
        )
        return None if again.is_eligible else again.as_validation_error()

    return refuse_lost_race(
        lambda: _move(enrollment, S.PROPOSED, user=user, reason=reason), lost_race
    )


def coverage_start_for(
    *, program_year: ProgramYear, chosen: datetime.date | None, today: datetime.date | None = None
) -> datetime.date:
    """The coverage start of a proposal made ``today``: the date staff chose, which may not
    lie in the past, or the default (the year's start while ahead, else next month's first).
    Refused when the year's coverage is over by then."""
    today = today or timezone.localdate()
    if chosen is not None and chosen < today:
        raise ValidationError(
            {
                "coverage_start": ValidationError(
                    _("Coverage cannot start in the past (%(date)s); choose today or later."),
                    code="coverage_start_past",
                    params={"date": chosen.strftime("%d-%m-%Y")},
                )
            }
        )
    start = chosen or default_coverage_start(program_year=program_year, today=today)
    if start > program_year.coverage_end:
        raise ValidationError(
            _("Coverage in %(year)s ends on %(date)s: a proposal made now cannot start in it."),
            code="coverage_over",
            params={
                "year": program_year.year,
                "date": program_year.coverage_end.strftime("%d-%m-%Y"),
            },
        )
    return start


@transaction.atomic
def enrollment_set_risk_class(
    *, enrollment: Enrollment, risk_class: str, user: AbstractBaseUser | None, reason: str = ""
) -> Enrollment:
    """Change a proposed PU enrollment's JKK risk class (verification freezes the premium,
    so the class is fixed from then on). Recorded in the audit trail with the reason."""
    locked = _lock(enrollment)
    ensure_year_open(locked.program_year)
    if locked.worker_type != WorkerType.PU:
        raise ValidationError(
            _("Only a wage earner (PU) enrollment has a risk class."), code="risk_class_not_pu"
        )
    if risk_class not in RiskClass.values:
        raise ValidationError(_("Choose a risk class."), code="risk_class_missing")
    if locked.status != S.PROPOSED:
        raise ValidationError(
            _(
                "The risk class can be changed only until the enrollment is verified "
                "(it is %(status)s)."
            ),
            code="risk_class_frozen",
            params={"status": S(locked.status).label},
        )
    if locked.risk_class != risk_class:
        locked.risk_class = risk_class
        locked._change_reason = reason or gettext("Risk class changed")
        locked.full_clean()
        locked.save(update_fields=["risk_class"])
    return _sync(enrollment, locked)


@transaction.atomic
def enrollments_propose_bulk(
    enrollments: list[Enrollment], *, user: AbstractBaseUser | None, reason: str = ""
) -> list[Enrollment]:
    """Record many proposals at once: the rows, status events and audit-trail entries that
    ``enrollment_propose`` writes one by one, in a few set-based statements.

    For bulk callers (renewal) that have already applied ``enrollment_eligibility`` to each
    worker and built each enrollment inside its program year (``YearRoom.candidate``); the
    database constraints (one enrollment per worker and year, money not negative) still hold.
    """
    if not enrollments:
        return []
    now = timezone.now()
    by = user_or_none(user)
    for enrollment in enrollments:
        if enrollment.segment_id is None or enrollment.kelurahan_id is None:
            enrollment.take_worker_place()
        enrollment.status = S.PROPOSED
        enrollment.status_note = reason
        enrollment.status_changed_at = now
        enrollment.created_by = by

    def write() -> list[Enrollment]:
        created = _insert_enrollments(enrollments)
        _record_moves_bulk(created, "", S.PROPOSED, at=now, by=by, reason=reason, history_type="+")
        return created

    # A worker proposed by someone else meanwhile: nothing of the batch is written.
    return refuse_lost_race(
        write,
        lambda: ValidationError(
            _(
                "Someone else proposed some of these workers at the same moment; nothing "
                "was proposed. Run it again: workers already proposed are then skipped."
            ),
            code="concurrent_proposal",
        ),
    )


def _insert_enrollments(enrollments: list[Enrollment]) -> list[Enrollment]:
    """Insert new enrollments and set their primary keys.

    On PostgreSQL through ``COPY`` (``importer.bulk.insert_rows``: ``bulk_create`` spent
    most of a million-row renewal building parameters) with ids taken from the sequence
    first; elsewhere ``bulk_create``, which returns them."""
    if connection.vendor != "postgresql":
        return Enrollment.objects.bulk_create(enrollments, batch_size=BULK_BATCH)
    fields = Enrollment._meta.concrete_fields
    rows = []
    for enrollment, pk in zip(enrollments, reserve_ids(Enrollment, len(enrollments)), strict=True):
        enrollment.pk = pk
        row = {}
        for f in fields:
            value = getattr(enrollment, f.attname)
            if value is None and getattr(f, "auto_now_add", False):
                continue  # insert_rows fills it with now, as save() would
            row[f.attname] = value
        rows.append(row)
    insert_rows(Enrollment, rows, with_pk=True)
    for enrollment in enrollments:
        enrollment._state.adding = False
    return enrollments


def _record_moves_bulk(
    enrollments: list[Enrollment],
    from_status: str,
    to_status: str,
    *,
    at: datetime.datetime,
    by: AbstractBaseUser | None,
    reason: str,
    history_type: str,
) -> None:
    """The bulk twin of ``_move``'s record: one ``EnrollmentEvent`` and one audit-trail row
    per enrollment already written with ``to_status``."""
    by_id = getattr(by, "pk", None)
    insert_rows(
        EnrollmentEvent,
        [
            {
                "enrollment_id": enrollment.pk,
                "from_status": from_status,
                "to_status": to_status,
                "at": at,
                "by_id": by_id,
                "reason": reason,
            }
            for enrollment in enrollments
        ],
    )
    history_record_bulk(
        Enrollment,
        lookup="id",
        values=[enrollment.pk for enrollment in enrollments],
        history_type=history_type,
        user=by,
        reason=reason,
    )


@dataclass
class VerifyOutcome:
    verified: list[Enrollment] = field(default_factory=list)
    refused: list[tuple[Enrollment, ValidationError]] = field(default_factory=list)


@transaction.atomic
def enrollment_verify(
    *,
    enrollment: Enrollment,
    user: AbstractBaseUser | None,
    reason: str = "",
    override_quota_reason: str = "",
) -> Enrollment:
    """Check eligibility, freeze the monthly premium and reserve a quota place and budget.

    The single case of ``enrollments_verify``: raises the refusal as a ``ValidationError``.
    """
    outcome = enrollments_verify(
        enrollments=[enrollment],
        user=user,
        reason=reason,
        override_quota_reason=override_quota_reason,
    )
    if outcome.refused:
        raise outcome.refused[0][1]
    return _sync(enrollment, outcome.verified[0])


@transaction.atomic
def enrollments_verify(
    *,
    enrollments: Sequence[Enrollment],
    user: AbstractBaseUser | None,
    reason: str = "",
    override_quota_reason: str = "",
) -> VerifyOutcome:
    """Verify each enrollment that passes, refuse the others with the reason.

    Per program year: locks the year row first (then the enrollments and the year's quota
    rows, in id order). Every verification of a year queues on that lock, so the quota count
    and the budget sum, taken once under it, see every earlier verification; each enrollment
    of the batch is then checked in id order with the places and rupiah of the ones before
    it counted. ``override_quota_reason`` lets a holder of the ``override_quota`` permission
    go past a full quota; nothing overrides the budget. The verified ones are saved
    set-based with one status event and one audit-trail row each (staff verify hundreds at
    once from the admin).
    """
    outcome = VerifyOutcome()
    by_year: dict[int, list[int]] = {}
    for enrollment in enrollments:
        by_year.setdefault(enrollment.program_year_id, []).append(enrollment.pk)
    override_quota_reason = override_quota_reason.strip()
    may_override = user is not None and user.has_perm(OVERRIDE_QUOTA_PERMISSION)
    for year_id in sorted(by_year):
        program_year = ProgramYear.objects.select_for_update().get(pk=year_id)
        locked = list(
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("worker", "worker__kelurahan")
            .filter(pk__in=sorted(by_year[year_id]))
            .order_by("pk")
        )
        quotas = list(
            QuotaTarget.objects.select_for_update(of=("self",))
            .filter(program_year=program_year)
            .select_related("program_year", "segment", "kecamatan")
            .order_by("pk")
        )
        # Count only the quotas this batch can touch: each count scans the year.
        quotas = [
            q for q in quotas if any(quota_counts(q, e.worker, e.worker_type) for e in locked)
        ]
        used = {q.pk: quota_used(q) for q in quotas}
        # A proposal holds no money yet; whatever else was selected (and will be refused as
        # already verified or further on) keeps its committed money counted.
        # Exact, in millionths of a rupiah (premiums.MICRO).
        committed = year_committed_micro(program_year) - sum(
            e.committed_micro for e in locked if e.status == S.PROPOSED
        )
        rates: dict = {}
        done: list[Enrollment] = []
        for enrollment in locked:
            enrollment.program_year = program_year
            # The place is counted where the worker is now, and stays there once verified.
            enrollment.take_worker_place()
            try:
                monthly, cost, overriding = _verify_check(
                    enrollment, quotas, used, committed, rates,
                    override_quota_reason=override_quota_reason, may_override=may_override,
                )  # fmt: skip
            except ValidationError as exc:
                outcome.refused.append((enrollment, exc))
                continue
            if overriding:
                enrollment.quota_override = True
                enrollment.quota_override_reason = override_quota_reason
                enrollment.quota_override_by = user
            enrollment.set_price(monthly_micro=monthly, cost_micro=cost)
            for quota in quotas:
                if quota_counts(quota, enrollment.worker, enrollment.worker_type):
                    used[quota.pk] += 1
            committed += cost
            done.append(enrollment)
        _save_verified(done, user=user, reason=reason or override_quota_reason)
        outcome.verified.extend(done)
    return outcome


def _verify_check(
    enrollment: Enrollment,
    quotas: list[QuotaTarget],
    used: dict[int, int],
    committed: int,
    rates: dict,
    *,
    override_quota_reason: str,
    may_override: bool,
) -> tuple[int, int, bool]:
    """One enrollment's checks for verification: (monthly premium, cost, past a quota?)."""
    _check_move(enrollment, S.VERIFIED)
    # The one-per-worker-and-year constraint means no other enrollment of the year exists;
    # a missing heir is only a warning, which verification does not show.
    eligibility = enrollment_eligibility(
        worker=enrollment.worker,
        program_year=enrollment.program_year,
        worker_type=enrollment.worker_type,
        coverage_start=enrollment.coverage_start,
        enrolled=False,
        has_heirs=True,
    )
    if not eligibility.is_eligible:
        raise eligibility.as_validation_error()
    monthly, cost = enrollment_price(enrollment, enrollment.program_year, rates)
    full = [
        q
        for q in quotas
        if quota_counts(q, enrollment.worker, enrollment.worker_type) and used[q.pk] >= q.target
    ]
    if full:
        if not override_quota_reason:
            raise ValidationError(
                _("The quota %(quota)s is full (%(target)s participants)."),
                code="quota_full",
                params={"quota": str(full[0]), "target": full[0].target},
            )
        if not may_override:
            raise ValidationError(
                _("Only a supervisor may verify beyond the quota."),
                code="quota_override_forbidden",
            )
    if not fits_budget(enrollment.program_year, committed, cost):
        raise budget_error(enrollment.program_year, committed, cost)
    return monthly, cost, bool(full)


def _save_verified(
    enrollments: list[Enrollment], *, user: AbstractBaseUser | None, reason: str
) -> None:
    if not enrollments:
        return
    now = timezone.now()
    for enrollment in enrollments:
        enrollment.status = S.VERIFIED
        enrollment.status_note = reason
        enrollment.status_changed_at = now
    Enrollment.objects.bulk_update(
        enrollments,
        [
            "status", "status_note", "status_changed_at", "monthly_premium",
            "monthly_premium_micro", "committed_amount", "committed_micro", "quota_override",
            "quota_override_reason", "quota_override_by", "segment", "kelurahan",
        ],
        batch_size=1000,
    )  # fmt: skip
    _record_moves_bulk(
        enrollments, S.PROPOSED, S.VERIFIED, at=now, by=user_or_none(user), reason=reason,
        history_type="~",
    )  # fmt: skip


def require_approved_for_bpjs(enrollments, *, action: str) -> None:
    """The approvals gate before anything goes to BPJS: refused, naming the rows, unless
    every enrollment is in an approved submission batch (``approvals.gate``; without the
    approvals app installed there is no gate)."""
    if not apps.is_installed("approvals"):
        return
    from approvals.gate import require_approved

    require_approved(enrollments, action=action)


@transaction.atomic
def enrollment_submit(
    *, enrollment: Enrollment, user: AbstractBaseUser | None, reason: str = ""
) -> Enrollment:
    """Mark a verified enrollment as sent to BPJS Ketenagakerjaan for registration (only
    once an approved submission batch holds it)."""
    locked = _lock(enrollment)
    _check_move(locked, S.SUBMITTED)
    if (absent := worker_presence_error(locked.worker)) is not None:
        raise absent
    require_approved_for_bpjs([locked], action=gettext("Marking as submitted to BPJS"))
    _move(locked, S.SUBMITTED, user=user, reason=reason)
    return _sync(enrollment, locked)


def check_activation_start(
    *, program_year: ProgramYear, coverage_end: datetime.date, coverage_start: datetime.date
) -> None:
    """BPJS's coverage start must fall between the year's first day and the planned end."""
    if not program_year.first_day <= coverage_start <= coverage_end:
        raise ValidationError(
            _("Coverage start %(date)s is outside the enrollment's period."),
            code="coverage_start_outside",
            params={"date": coverage_start.strftime("%d-%m-%Y")},
        )


def kpj_taken_error(kpj_number: str) -> ValidationError:
    """A KPJ number identifies one person at BPJS, in every year: another worker cannot have it."""
    return ValidationError(
        _("KPJ number %(kpj)s already belongs to another worker."),
        code="kpj_taken",
        params={"kpj": kpj_number},
    )


def kpj_holders(kpj_numbers: Iterable[str]) -> dict[str, set[int]]:
    """KPJ number -> the workers whose enrollments (any year) carry it, for the numbers given."""
    wanted = {(kpj or "").strip() for kpj in kpj_numbers} - {""}
    holders: dict[str, set[int]] = {}
    for queryset in filter_in(Enrollment.objects.all(), "kpj_number", list(wanted)):
        for kpj, worker_id in queryset.values_list("kpj_number", "worker_id"):
            holders.setdefault(kpj, set()).add(worker_id)
    return holders


@transaction.atomic
def enrollment_activate(
    *,
    enrollment: Enrollment,
    kpj_number: str,
    coverage_start: datetime.date,
    user: AbstractBaseUser | None,
    reason: str = "",
) -> Enrollment:
    """Record BPJS's registration: KPJ number and the date coverage actually started.

    The cost is recomputed from the real start date; a start earlier than planned that
    would overrun the budget is refused like any other budget overrun.
    """
    [activated] = enrollments_activate(
        program_year=ProgramYear(pk=enrollment.program_year_id),
        activations=[Activation(enrollment.pk, kpj_number, coverage_start)],
        user=user,
        reason=reason,
    )
    return _sync(enrollment, activated)


@dataclass(frozen=True)
class Activation:
    """BPJS's answer for one enrollment: its KPJ number and the day coverage really started."""

    enrollment_id: int
    kpj_number: str
    coverage_start: datetime.date


class ActivationRefused(ValidationError):
    """Why one enrollment of a batch cannot be activated, naming it (a file row points at it)."""

    def __init__(self, error: ValidationError, *, enrollment_id: int) -> None:
        super().__init__(error)
        self.enrollment_id = enrollment_id


@transaction.atomic
def enrollments_activate(
    *,
    program_year: ProgramYear,
    activations: Sequence[Activation],
    user: AbstractBaseUser | None,
    reason: str = "",
) -> list[Enrollment]:
    """Activate submitted enrollments of one year from BPJS's answer, all or none.

    Locks the year row, then the enrollments in id order, like every activation. Each is
    checked as a single activation would be: the move to active, a start inside its period
    (the cost is recomputed from it), a KPJ number of 11 digits that no other worker has, and
    the year's budget with every earlier one of the batch counted. A refusal raises
    ``ActivationRefused`` for that enrollment and nothing is written. Otherwise the batch is
    saved set-based (a BPJS file can hold thousands of rows): one status-history entry and
    one audit-trail entry per enrollment, as ``_move`` writes for one.
    """
    program_year = ProgramYear.objects.select_for_update().get(pk=program_year.pk)
    ensure_year_open(program_year)
    locked: dict[int, Enrollment] = {}
    in_year = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("worker")
        .filter(program_year=program_year)
    )
    for queryset in filter_in(in_year, "id", [a.enrollment_id for a in activations]):
        locked.update((e.pk, e) for e in queryset.order_by("pk"))
    kpj_workers = kpj_holders(a.kpj_number for a in activations)
    # Exact, in millionths of a rupiah (premiums.MICRO).
    committed = year_committed_micro(program_year) - sum(e.committed_micro for e in locked.values())

    now = timezone.now()
    done: list[Enrollment] = []
    for activation in activations:
        enrollment = locked.get(activation.enrollment_id)
        try:
            # A second activation of one enrollment fails the move (it is active by then).
            if enrollment is None:
                raise ValidationError(
                    _("The enrollment is not in program year %(year)s."),
                    code="not_in_year",
                    params={"year": program_year.year},
                )
            enrollment.program_year = program_year
            cost = _check_activation(enrollment, activation, kpj_workers)
            if not fits_budget(program_year, committed, cost):
                raise budget_error(program_year, committed, cost)
        except ValidationError as exc:
            raise ActivationRefused(exc, enrollment_id=activation.enrollment_id) from None
        committed += cost
        kpj_workers.setdefault(activation.kpj_number.strip(), set()).add(enrollment.worker_id)
        enrollment.kpj_number = activation.kpj_number.strip()
        enrollment.coverage_start = activation.coverage_start
        enrollment.set_cost(cost)
        enrollment.status = S.ACTIVE
        enrollment.status_note = reason
        enrollment.status_changed_at = now
        done.append(enrollment)

    fields = ["kpj_number", "coverage_start", "committed_amount", "committed_micro", "status"]
    Enrollment.objects.bulk_update(
        done, [*fields, "status_note", "status_changed_at"], batch_size=1000
    )
    _record_moves_bulk(
        done, S.SUBMITTED, S.ACTIVE, at=now, by=user_or_none(user), reason=reason,
        history_type="~",
    )  # fmt: skip
    hooks.in_transaction(hooks.ACTIVATED, enrollment_ids=[e.pk for e in done])
    return done


def _check_activation(
    enrollment: Enrollment, activation: Activation, kpj_workers: dict[str, set[int]]
) -> int:
    """The rules of one activation (the budget aside); returns its cost to the year."""
    _check_move(enrollment, S.ACTIVE)
    if (absent := worker_presence_error(enrollment.worker)) is not None:
        raise absent
    check_activation_start(
        program_year=enrollment.program_year,
        coverage_end=enrollment.coverage_end,
        coverage_start=activation.coverage_start,
    )
    kpj = (activation.kpj_number or "").strip()
    if not kpj:
        raise ValidationError(_("Give the KPJ number from BPJS."), code="kpj_missing")
    try:
        kpj_validator(kpj)
    except ValidationError as exc:
        raise ValidationError({"kpj_number": exc.error_list}) from None
    if kpj_workers.get(kpj, set()) - {enrollment.worker_id}:
        raise kpj_taken_error(kpj)
    return coverage_cost(
        monthly=enrollment.monthly_premium_micro,
        start=activation.coverage_start,
        end=enrollment.coverage_end,
        program_year=enrollment.program_year,
    )


@transaction.atomic
def enrollment_end(
    *,
    enrollment: Enrollment,
    user: AbstractBaseUser | None,
    today: datetime.date | None = None,
    reason: str = "",
) -> Enrollment:
    """Close an active enrollment whose coverage period has run out (berakhir)."""
    today = today or timezone.localdate()
    locked = _lock(enrollment)
    _check_move(locked, S.ENDED)
    if locked.coverage_end >= today:
        raise ValidationError(
            _("Coverage runs until %(date)s; it has not ended yet."),
            code="coverage_not_over",
            params={"date": locked.coverage_end.strftime("%d-%m-%Y")},
        )
    _move(locked, S.ENDED, user=user, reason=reason)
    return _sync(enrollment, locked)


@transaction.atomic
def enrollment_terminate(
    *,
    enrollment: Enrollment,
    termination_reason: str,
    user: AbstractBaseUser | None,
    effective_date: datetime.date | None = None,
    reason: str = "",
) -> Enrollment:
    """Stop an enrollment early (dihentikan) for one of ``TerminationReason``.

    An active enrollment keeps the months it was covered (coverage now ends on
    ``effective_date``); one that never became active, or whose termination takes effect
    before its coverage started, costs nothing and frees its place.
    """
    if termination_reason not in TerminationReason.values:
        raise ValidationError(_("Choose a termination reason."), code="termination_reason")
    locked = _lock(enrollment)
    _check_move(locked, S.TERMINATED)
    effective = effective_date or timezone.localdate()
    if locked.status == S.ACTIVE and effective >= locked.coverage_start:
        end = min(effective, locked.coverage_end)
        locked.coverage_end = end
        locked.set_cost(
            coverage_cost(
                monthly=locked.monthly_premium_micro,
                start=locked.coverage_start,
                end=end,
                program_year=locked.program_year,
            )
        )
    else:
        # Never covered: not active yet, or stopped before its coverage began.
        if locked.status == S.ACTIVE:
            locked.coverage_end = locked.coverage_start
        locked.set_cost(0)
    locked.termination_reason = termination_reason
    _move(locked, S.TERMINATED, user=user, reason=reason)
    return _sync(enrollment, locked)


@transaction.atomic
def enrollment_reject(
    *, enrollment: Enrollment, user: AbstractBaseUser | None, reason: str
) -> Enrollment:
    """Refuse a proposed or verified enrollment (ditolak); a reason is required."""
    if not reason.strip():
        raise ValidationError(_("Say why the enrollment is rejected."), code="reason_missing")
    locked = _lock(enrollment)
    _check_move(locked, S.REJECTED)
    locked.set_cost(0)
    _move(locked, S.REJECTED, user=user, reason=reason.strip())
    return _sync(enrollment, locked)


def enrollments_end_expired(
    *, program_year: ProgramYear, user: AbstractBaseUser | None, today: datetime.date | None = None
) -> int:
    """End every active enrollment of the year whose coverage is over; return how many."""
    today = today or timezone.localdate()
    ids = Enrollment.objects.filter(
        program_year=program_year, status=S.ACTIVE, coverage_end__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(ids):
        enrollment_end(enrollment=Enrollment(pk=pk), user=user, today=today)
        count += 1
    return count


# --- program years and invoices ----------------------------------------------------------------


@transaction.atomic
def program_year_save(*, program_year: ProgramYear, user: AbstractBaseUser | None) -> ProgramYear:
    """Save a program year; a budget below what is committed needs its reason.

    Takes the year's row lock (the one every verification holds) before reading the
    committed sum, so the check sees every verification before it. The reason is kept on the
    year while the budget stays below the committed amount, and goes into the audit trail.
    """
    if program_year.pk is not None:
        ProgramYear.objects.select_for_update().filter(pk=program_year.pk).first()
    reason = program_year.budget_below_use_reason.strip()
    if program_year.pk is not None and fits_budget(
        program_year, year_committed_micro(program_year), 0
    ):
        reason = ""  # not over-committed: nothing to explain
    error = budget_below_use_error(program_year, program_year.budget, reason)
    if error is not None:
        raise ValidationError({"budget_below_use_reason": error})
    program_year.budget_below_use_reason = reason
    program_year.full_clean()
    if reason:
        program_year._change_reason = reason[:100]
    program_year.save()
    return program_year


@transaction.atomic
def program_year_copy_rates(*, program_year: ProgramYear, source: ProgramYear) -> int:
    """Give a new year the previous year's rates (staff then check them against the latest
    regulation); rates the year already has are kept. Returns how many were copied."""
    ensure_year_open(program_year)
    have = set(program_year.rates.values_list("worker_type", "risk_class"))
    copied = 0
    for rate in source.rates.all():
        if (rate.worker_type, rate.risk_class) in have:
            continue
        rate.pk = None
        rate.program_year = program_year
        rate.full_clean()
        rate.save()
        copied += 1
    return copied
