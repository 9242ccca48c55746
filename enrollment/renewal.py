"""Year-to-year renewal ("ditanggung selama satu tahun berkelanjutan")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.models import WorkerType

from . import hooks
from .eligibility import enrollment_eligibility
from .limits import YearRoom
from .models import Enrollment, ProgramYear
from .models import EnrollmentStatus as S
from .services import bulk_writes, enrollments_propose_bulk, ensure_year_open

# A year's participants whom renewal proposes for the next year.
RENEWAL_SOURCE_STATUSES = (S.ACTIVE, S.ENDED)
# Called as ``check(from_year=…, worker_ids=[…])`` → {worker id: why not renewed}: a higher app
# holds back people it has not confirmed (proposals: the yearly update, pemutakhiran).
# Staff may renew them anyway with ``include_unconfirmed_reason``. Called once per page.
RENEWAL_CHECKS: list[Callable[..., dict[int, str]]] = []
# Source enrollments read, checked and written per step: memory stays flat whatever the size
# of the registry (a province renews a million people in one run).
RENEWAL_BATCH = 5_000
# From this many renewals on, the write runs inside ``services.bulk_writes`` (the dashboard
# then rebuilds its summary once at the end instead of refreshing it page by page).
BULK_WRITES_FROM = 20_000
# Workers not renewed that the report names (the count covers them all).
NOT_RENEWED_LISTED = 1_000


@dataclass(frozen=True)
class NotRenewed:
    worker_id: int
    nik: str
    full_name: str
    reason: str


@dataclass
class RenewalReport:
    """What a run did. ``created`` holds worker ids (not records: a million of them is a
    few megabytes); ``not_renewed`` names the first ``NOT_RENEWED_LISTED`` refusals and
    ``not_renewed_count`` counts them all."""

    dry_run: bool
    created: list[int] = field(default_factory=list)
    already: int = 0
    not_renewed: list[NotRenewed] = field(default_factory=list)
    not_renewed_count: int = 0
    # Ids of unconfirmed people renewed because staff chose to (with the reason).
    unconfirmed_included: list[int] = field(default_factory=list)

    def refuse(self, worker, reason: str) -> None:
        self.not_renewed_count += 1
        if len(self.not_renewed) < NOT_RENEWED_LISTED:
            self.not_renewed.append(NotRenewed(worker.pk, worker.nik, worker.full_name, reason))


@transaction.atomic
def enrollments_renew(
    *,
    from_year: ProgramYear,
    to_year: ProgramYear,
    user: AbstractBaseUser | None,
    dry_run: bool = False,
    batch_size: int = RENEWAL_BATCH,
    include_unconfirmed_reason: str = "",
) -> RenewalReport:
    """Propose next year's cover for this year's participants ("satu tahun berkelanjutan").

    Takes the active (and run-out) enrollments of ``from_year``, skips workers already in
    ``to_year`` (so a second run creates nothing), checks eligibility with the same rule as a
    new proposal, and stops at ``to_year``'s quotas and budget, counting what is already
    committed or proposed there. Workers are taken in registry order (oldest first).

    The sources are read ``batch_size`` at a time (``_pages``) and each page's proposals are
    written together (``enrollments_propose_bulk``) before the next page is read, so memory
    does not grow with the registry. Everything happens under ``to_year``'s row lock in one
    transaction: a refusal or a lost race leaves nothing behind.

    People the ``RENEWAL_CHECKS`` hold back (not confirmed by the yearly update) are not
    renewed, unless staff give ``include_unconfirmed_reason``, which goes into the note of
    each proposal made for such a person.
    """
    to_year = ProgramYear.objects.select_for_update().get(pk=to_year.pk)
    ensure_year_open(to_year)
    if to_year.year <= from_year.year:
        raise ValidationError(_("Renew into a later year."), code="renew_backwards")
    report = RenewalReport(dry_run=dry_run)

    room = YearRoom(to_year)
    if room.ended:
        raise ValidationError(
            _("Coverage in %(year)s ends on %(date)s: a proposal made now cannot start in it."),
            code="coverage_over",
            params={"year": to_year.year, "date": to_year.coverage_end.strftime("%d-%m-%Y")},
        )
    sources = Enrollment.objects.filter(program_year=from_year, status__in=RENEWAL_SOURCE_STATUSES)
    in_to_year = Enrollment.objects.filter(program_year=to_year, worker_id=OuterRef("worker_id"))
    # Counted before the first write: afterwards this run's own proposals would count.
    report.already = sources.filter(Exists(in_to_year)).count()
    pending = (
        sources.filter(~Exists(in_to_year))
        .select_related("worker", "worker__kelurahan", "worker__segment")
        .order_by("worker_id")
    )
    reason = gettext("Renewal from %(year)s") % {"year": from_year.year}
    include_unconfirmed_reason = include_unconfirmed_reason.strip()
    reason_unconfirmed = gettext("%(reason)s; unconfirmed included: %(why)s") % {
        "reason": reason,
        "why": include_unconfirmed_reason,
    }
    large = not dry_run and pending.count() >= BULK_WRITES_FROM
    with bulk_writes() if large else nullcontext():
        for page in _pages(pending, batch_size):
            held: dict[int, str] = {}
            for check in RENEWAL_CHECKS:
                held.update(check(from_year=from_year, worker_ids=[s.worker_id for s in page]))
            confirmed, included = [], []
            for source in page:
                if source.worker_id in held and not include_unconfirmed_reason:
                    report.refuse(source.worker, held[source.worker_id])
                    continue
                candidate = _renewal_of(source, room, report)
                if candidate is None:
                    continue
                if source.worker_id in held:
                    included.append(candidate)
                    report.unconfirmed_included.append(source.worker_id)
                else:
                    confirmed.append(candidate)
            if dry_run:
                continue
            created = enrollments_propose_bulk(confirmed, user=user, reason=reason)
            created += enrollments_propose_bulk(included, user=user, reason=reason_unconfirmed)
            hooks.in_transaction(hooks.RENEWED, enrollment_ids=[e.pk for e in created])
    return report


def _pages(sources: QuerySet[Enrollment], size: int) -> Iterator[list[Enrollment]]:
    """``sources`` (ordered by worker id) in lists of ``size``, reading one list at a time.

    PostgreSQL: one server-side cursor (``iterator``). Its rows come from the snapshot taken
    when it opened, so the proposals written between pages never show up in it, and the
    query is planned and sorted once. SQLite gives no such isolation to a cursor left open
    while the same connection writes: there each page is its own query, after the last
    worker id of the previous one (the office-size registry makes that cheap).
    """
    if connection.vendor == "postgresql":
        rows = sources.iterator(chunk_size=size)
        while page := list(islice(rows, size)):
            yield page
        return
    after = 0
    while page := list(sources.filter(worker_id__gt=after)[:size]):
        after = page[-1].worker_id
        yield page


def _renewal_of(source: Enrollment, room: YearRoom, report: RenewalReport) -> Enrollment | None:
    """The unsaved proposal renewing ``source``, taken from ``room``; None (with the reason in
    ``report``) when the worker cannot be renewed."""
    worker = source.worker
    # Heirs only add a warning, which renewal does not show: skip that query per worker.
    # Age is judged on the day the renewed cover starts (room.start).
    eligibility = enrollment_eligibility(
        worker=worker,
        program_year=room.program_year,
        coverage_start=room.start,
        enrolled=False,
        has_heirs=True,
        with_warnings=False,
    )
    if not eligibility.is_eligible:
        report.refuse(worker, "; ".join(str(f) for f in eligibility.errors))
        return None
    is_pu = worker.worker_type == WorkerType.PU
    candidate = room.candidate(worker, risk_class=(source.risk_class or "") if is_pu else "")
    if is_pu and not candidate.risk_class:
        report.refuse(worker, gettext("A wage earner needs a risk class."))
        return None
    try:
        cost = room.cost(candidate)
    except ValidationError as exc:
        report.refuse(worker, "; ".join(exc.messages))
        return None
    refusal = room.quota_refusal(worker) or room.budget_refusal(cost)
    if refusal:
        report.refuse(worker, refusal)
        return None
    candidate.renewed_from_id = source.pk
    room.take(worker, cost)
    report.created.append(worker.pk)
    return candidate
